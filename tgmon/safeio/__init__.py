"""Hostile input and bounded waits: safe file reads, safe atomic writes, bounded
calls, the one YAML loader, token files, URLs and their redaction, safe text.
Imports nothing of tgmon but errors."""

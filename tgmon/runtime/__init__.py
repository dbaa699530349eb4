"""Presentation and plumbing shared by every check: options, timeout, output."""

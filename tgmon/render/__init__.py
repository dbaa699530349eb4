"""Presentation: a Verdict as text a monitoring core or a program reads."""

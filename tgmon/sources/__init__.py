"""Acquisition: turn a state dir (or, later, an HTTP endpoint) into a State."""

"""Errors that become one UNKNOWN line: what went wrong, and what to do."""


class TgmonError(Exception):
    """Expected failure (bad input, unreachable source). Never a traceback."""

    def __init__(self, cause, fix=None):
        super().__init__(cause)
        self.cause = cause
        self.fix = fix

    def __str__(self):
        return "%s; %s" % (self.cause, self.fix) if self.fix else self.cause


class SourceError(TgmonError):
    """The state could not be read, parsed or trusted."""


class UsageError(TgmonError):
    """Bad command line or config file."""


class CheckTimeout(TgmonError):
    """The whole check did not finish within -t/--timeout."""

"""The option types of tgmon's command lines: each validates at parse time and
says what it expects (``expects``), so that an error about a value - from a
command line or a config file - names what was wanted without quoting it.
"""

import argparse
import re

from .render import formats
from .timeutil import parse_duration
from .verdict import SEVERITY_CHOICES

def duration(text):
    try:
        return parse_duration(text, what="the value")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


duration.expects = "a duration (e.g. 90, 15m, 24h, 7d)"


def _seconds_between(low, high, text, low_included):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("the value is not a number of seconds") from None
    if not ((low <= value) if low_included else (low < value)) or not value <= high:
        rule = "between %d and %d" if low_included else "more than %d and at most %d"
        raise argparse.ArgumentTypeError("the value must be %s seconds" % (rule % (low, high)))
    return value


def positive_seconds(text):
    return _seconds_between(0, 3600, text, low_included=False)


positive_seconds.expects = "seconds, more than 0 and at most 3600"


def cache_seconds(text):
    return _seconds_between(0, 3600, text, low_included=True)


cache_seconds.expects = "seconds, 0 to 3600"

MAX_RANGE = 1e9    # a count or an age threshold beyond this is no threshold


def nagios_range(text):
    # nagiosplugin is imported by the runtime anyway; Range is its parser.
    from nagiosplugin import Range
    try:
        value = Range(text[:100])
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            "the value is not a Nagios range (e.g. 5, 10:, @1:3)") from None
    finite = [bound for bound in (value.start, value.end)
              if bound not in (float("inf"), float("-inf"))]
    if len(text) > 100 or any(bound != bound or abs(bound) > MAX_RANGE for bound in finite):
        raise argparse.ArgumentTypeError("a Nagios range's numbers must lie within +-%g"
                                         % MAX_RANGE)
    return value


nagios_range.expects = "a Nagios range, e.g. 5, 10:, @1:3"


_RUNBOOK_URL = re.compile(r"https?://[A-Za-z0-9._:/%+,=()*!\[\]-]+")


def runbook_base(text):
    """A base URL for the runbook links; empty means not given (a Nagios macro without
    a value). Printable ASCII only, and none of the characters Nagios strips from
    notification macros: the link must reach the pager as written. No query, fragment
    or user:password@ (it would travel in every alert)."""
    if not text.strip():
        return None
    if len(text) > 300 or not _RUNBOOK_URL.fullmatch(text):
        # shown without a user:password@ it may hold (urllib: only on this path)
        from .safeio.urls import redact_url
        raise argparse.ArgumentTypeError("%s is not a plain http(s) base URL"
                                         % redact_url(text)[:60])
    return text.rstrip("/")


runbook_base.expects = ("an http(s) URL without ?, # or @, "
                        "e.g. https://nagios.example.net/tgmon-docs")


def optional_file(text):
    """A file option; empty means not given (a Nagios macro without a value)."""
    return text if text.strip() else None


optional_file.expects = "a file path"


def nonempty_path(text):
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty (a macro without a value?)")
    return text


nonempty_path.expects = "a path"


def severity(text):
    lowered = str(text).lower()
    if lowered not in SEVERITY_CHOICES:
        raise argparse.ArgumentTypeError(
            "the value is not a state: use %s" % "|".join(SEVERITY_CHOICES))
    return SEVERITY_CHOICES.index(lowered)


severity.expects = "one of " + "|".join(SEVERITY_CHOICES)


def output_format(text):
    """A format name in any case; empty means not given (a Nagios macro without a
    value): --config's format, else the default."""
    if not text.strip():
        return None
    lowered = str(text).lower()
    if lowered not in formats():
        raise argparse.ArgumentTypeError(
            "the value is no output format: use %s" % "|".join(formats()))
    return lowered


output_format.expects = "one of " + "|".join(formats())

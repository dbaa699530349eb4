"""Command-line options: the shared ones (one help text each) and the types.

Every value is validated at parse time so a bad option is exit 3 with one
line, before anything is read.
"""

import argparse
import re

from . import __version__
from .docpaths import doc_path
from .errors import UsageError
from .safeargs import SafeArgumentParser
from .state.layout import DEFAULT_STATE_DIR
from .safeio.urls import redact_url
from .timeutil import DURATION_HELP, parse_duration
from .verdict import SEVERITY_CHOICES, status_name

DEFAULT_TIMEOUT = 10
DEFAULT_MAX_AGE = "30m"
# Where the rendered docs are served: the package's Apache snippet (tgmon.conf)
# on the monitoring host itself. Set the real host's name: the person paged follows it.
DEFAULT_RUNBOOK_URL = "http://localhost/tgmon-docs"

SHARED_HELP = {
    "verbose": "more output: -v lists every aspect, -vv adds where the state "
               "came from, -vvv adds tracebacks of internal errors",
    "timeout": "give up after this many seconds with UNKNOWN, covering the "
               "whole read and evaluation (default: %d)" % DEFAULT_TIMEOUT,
    "state_dir": "state directory holding status.json and the marker files "
                 "(default: %s)" % DEFAULT_STATE_DIR,
    "config": "YAML file with defaults for any long option and the paths of "
              "the state files (see %s)" % doc_path("configuration.rst"),
    "url": "read the state over HTTP(S) from a tgmon exporter instead of a state dir, "
           "e.g. https://tg1.example.net:9740/v1/status",
    "token_file": "file holding the exporter's bearer token (never give a secret on the "
                  "command line; empty: none)",
    "ca_file": "CA certificate(s) to verify the exporter's TLS certificate with (empty: the "
               "system's CAs)",
    "insecure": "do not verify the exporter's TLS certificate (not recommended)",
    "no_proxy": "ignore the http(s)_proxy environment variables",
    "cache_ttl": "reuse a fetched answer for this many seconds, so the checks of one host "
                 "share one fetch (private per-user cache; default: 0, off)",
    "node": "one cluster node: its state dir or its exporter URL, NAME=SOURCE to name "
            "it (repeatable)",
    "cluster_file": "file listing the cluster's nodes, one per line: [NAME] SOURCE "
                    "[TIMEZONE] (state dir or URL), '#' starts a comment",
    "runbook_url": "base URL of the rendered docs: a problem's long output ends with "
                   "Runbook: URL/checks/<check>.html#<finding> (Icinga 2: the constant "
                   "TgmonDocsUrl; empty: the default; default: %s)" % DEFAULT_RUNBOOK_URL,
    "max_age": "UNKNOWN when status.json was generated longer ago than this: "
               "the writer has stopped (%s; default: %s)"
               % (DURATION_HELP, DEFAULT_MAX_AGE),
}


class _Exit(Exception):
    """-h / -V: text to print, then exit 3 (the plugin did not check anything)."""


class _HelpFormatter(argparse.HelpFormatter):
    """Wraps between words only: a path (the docs under a long PREFIX) stays whole."""

    def _split_lines(self, text, width):
        import textwrap
        return textwrap.wrap(" ".join(text.split()), width, break_long_words=False,
                             break_on_hyphens=False)

    def _fill_text(self, text, width, indent):
        import textwrap
        return textwrap.fill(" ".join(text.split()), width, initial_indent=indent,
                             subsequent_indent=indent, break_long_words=False,
                             break_on_hyphens=False)


class PluginArgumentParser(SafeArgumentParser):
    def __init__(self, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(**kwargs)

    def usage_error(self, message):
        raise UsageError("bad option: %s" % message,
                         "see %s --help" % self.prog)

    def exit(self, status=0, message=None):
        raise _Exit(message or "")

    def print_help(self, file=None):
        raise _Exit(self.format_help())

    def _print_message(self, message, file=None):
        raise _Exit(message)


# Option types. Each says what it expects (``expects``), so that an error about
# a value from a config file can say it without quoting the file.

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
        # shown without a user:password@ it may hold
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


def build_parser(definition):
    parser = PluginArgumentParser(
        prog=definition.prog, description=definition.description,
        epilog=definition.epilog, add_help=False,
    )
    common = parser.add_argument_group("common options")
    common.add_argument("-h", "--help", action="help",
                        help="show this help and exit (exit code 3)")
    common.add_argument("-V", "--version", action="version",
                        version="%s (tgmon) %s" % (definition.prog, __version__),
                        help="show the version and exit (exit code 3)")
    common.add_argument("-v", "--verbose", action="count", default=0,
                        help=SHARED_HELP["verbose"])
    common.add_argument("-t", "--timeout", type=positive_seconds,
                        default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=SHARED_HELP["timeout"])
    common.add_argument("--config", metavar="FILE", type=optional_file,
                        help=SHARED_HELP["config"])
    common.add_argument("--max-age", type=duration, default=DEFAULT_MAX_AGE,
                        metavar="DURATION", help=SHARED_HELP["max_age"])
    common.add_argument("--runbook-url", metavar="URL", type=runbook_base,
                        default=DEFAULT_RUNBOOK_URL, help=SHARED_HELP["runbook_url"])
    definition.add_source_arguments(common)

    own = parser.add_argument_group("%s options" % definition.prog)
    definition.add_arguments(own)
    add_severity_options(own, definition.conditions)
    return parser


def add_age_option(group, option, default, when):
    """A --*-age threshold: '<STATE> when <when> longer than this'."""
    group.add_argument(option, type=duration, default=default, metavar="DURATION",
                       help="%s longer than this (%s; default: %s)" % (when, DURATION_HELP, default))


def add_severity_options(group, conditions):
    """One --<condition>-severity option per discrete condition."""
    for condition in conditions:
        group.add_argument(
            "--%s-severity" % condition.name, type=severity,
            default=condition.default, metavar="STATE",
            help="state when %s: ok|warning|critical|unknown (default: %s)"
                 % (condition.when, status_name(condition.default).lower()))


def add_state_source(group):
    """Where a single-node check reads its state: a state dir or an exporter URL."""
    where = group.add_mutually_exclusive_group()
    where.add_argument("--state-dir", metavar="DIR", default=DEFAULT_STATE_DIR,
                       type=nonempty_path, help=SHARED_HELP["state_dir"])
    where.add_argument("--url", metavar="URL", help=SHARED_HELP["url"])
    add_http_options(group)
    group.add_argument("--cache-ttl", type=cache_seconds, default=0, metavar="SECONDS",
                       help=SHARED_HELP["cache_ttl"])


def add_cluster_source(group):
    """Where the cluster check reads its nodes."""
    group.add_argument("--node", action="append", metavar="DIR|URL", help=SHARED_HELP["node"])
    group.add_argument("--cluster-file", metavar="FILE", type=optional_file,
                       help=SHARED_HELP["cluster_file"])
    add_http_options(group)


def add_http_options(group):
    group.add_argument("--token-file", metavar="FILE", type=optional_file,
                       help=SHARED_HELP["token_file"])
    group.add_argument("--ca-file", metavar="FILE", type=optional_file,
                       help=SHARED_HELP["ca_file"])
    group.add_argument("--insecure", action="store_true", help=SHARED_HELP["insecure"])
    group.add_argument("--no-proxy", action="store_true", help=SHARED_HELP["no_proxy"])


def http_settings(opts):
    """The HTTP reader's settings from the options (and the deadline run() set)."""
    from .sources import HttpSettings
    return HttpSettings(opts.token_file, opts.ca_file, opts.insecure, opts.no_proxy,
                        getattr(opts, "cache_ttl", 0), getattr(opts, "deadline", None),
                        opts.timeout)


def single_source(opts):
    """Where a single-node check reads: the state dir (and --config's files) or --url."""
    from .sources import SingleSource
    return SingleSource(opts.state_dir, opts.url, getattr(opts, "files", {}), opts.max_age,
                        http_settings(opts))


def cache_seconds(text):
    return _seconds_between(0, 3600, text, low_included=True)


cache_seconds.expects = "seconds, 0 to 3600"

"""tgmon downtimes sync: the command line, the run's output and its exit code.

Exit 0: every node read and synced in every core (and nothing on stderr).
1: something was skipped, each with one line on stderr - a node not read, a
node whose configured name its state does not bear, a plan that cannot be a
downtime, a host a core lacks, an object name no command can carry, a
downtime the core refused - and the rest synced. 2: a usage error, a core
that cannot be used (access, API, its pipe), or -t ran out. Every line is
one line of safe text, whatever the nodes, files and cores held. The run
prints one line per change and a summary; --dry-run prints the same plan and
changes nothing. -t covers everything: the nodes, DNS, TLS, the API.
"""

import argparse
import re
import string
import sys
import time

from ..safeio import bounded
from ..cores import unsafe_character
from ..errors import TgmonError, UsageError
from ..state.lifecycle import MAINTENANCE_DURATION, UPDATE_DURATION
from ..options import (add_cluster_source, duration, optional_file,
                               positive_seconds)
from ..render.nagios import sanitize
from ..safeargs import SafeArgumentParser
from ..safeio.stdio import say_stderr, write_stdout
from ..timeutil import DURATION_HELP, format_duration, utcnow
from .sync import sync, words
from .wanted import DEFAULT_SERVICE_COMMANDS

DEFAULT_TIMEOUT = 30
DEFAULT_LOOKAHEAD = "24h"
DEFAULT_AUTHOR = "tgmon"
DEFAULT_MAX_AGE = "30m"
MARGIN = 0.5
_AUTHOR = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


# ----------------------------------------------------------------- options
def host_name_format(text):
    """{node} once, as it is: no conversion (!r) or format spec (:d, :.0) that could
    fail later or turn every node into the same host."""
    try:
        fields = [(f, spec, conversion) for _, f, spec, conversion
                  in string.Formatter().parse(text) if f is not None]
        trial = text.format(node="tg1")
    except (ValueError, KeyError, IndexError, AttributeError):
        fields, trial = None, ""
    if fields != [("node", "", None)] or "tg1" not in trial or unsafe_character(text, ";") \
            or len(text) > 200:
        raise argparse.ArgumentTypeError("must hold {node} once, nothing else in braces (no "
                                         "!conversion or :format), no ';' or control character")
    return text


host_name_format.expects = "a format with {node}, e.g. {node}.example.net"


def author(text):
    if not _AUTHOR.match(text):
        raise argparse.ArgumentTypeError("must be 1-64 letters, digits, _ . @ -")
    return text


author.expects = "a name of letters, digits, _ . @ -"


def positive_duration(text):
    seconds = duration(text)
    if seconds <= 0:
        raise argparse.ArgumentTypeError("must be longer than 0")
    return seconds


positive_duration.expects = "a duration longer than 0 (e.g. 90m, 2h)"


def zone_name(text):
    from zoneinfo import ZoneInfo
    try:
        return ZoneInfo(text)
    except Exception:   # ZoneInfoNotFoundError, ValueError for odd keys
        raise argparse.ArgumentTypeError(
            "the value is not a time zone (e.g. Europe/Berlin)") from None


zone_name.expects = "an IANA time zone, e.g. Europe/Berlin"


def command_name(text):
    if not re.match(r"^[A-Za-z0-9_.-]{1,128}$", text):
        raise argparse.ArgumentTypeError("the value is not a check command name")
    return text


command_name.expects = "a check command name, e.g. tgmon_maintenance"


def add_arguments(parser):
    common = parser.add_argument_group("run")
    common.add_argument("-t", "--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT,
                        metavar="SECONDS", help="give up after this many seconds, covering "
                        "the nodes (read within half of it) and the cores (default: %d)"
                        % DEFAULT_TIMEOUT)
    common.add_argument("--config", metavar="FILE", type=optional_file,
                        help="YAML file with defaults for any long option: the common part "
                        "and a section downtimes (docs/configuration.rst)")
    common.add_argument("--dry-run", action="store_true",
                        help="print what would be added and removed, change nothing")
    nodes = parser.add_argument_group("nodes (read as check_cluster_updates reads them)")
    add_cluster_source(nodes)
    nodes.add_argument("--max-age", type=duration, default=DEFAULT_MAX_AGE, metavar="DURATION",
                       help="a node whose state is older counts as not read (%s; default: %s)"
                       % (DURATION_HELP, DEFAULT_MAX_AGE))
    plan = parser.add_argument_group("the windows")
    plan.add_argument("--lookahead", type=duration, default=DEFAULT_LOOKAHEAD,
                      metavar="DURATION", help="schedule the update runs that begin within "
                      "this time (default: %s)" % DEFAULT_LOOKAHEAD)
    plan.add_argument("--update-duration", type=positive_duration,
                      default=format_duration(UPDATE_DURATION.total_seconds()), metavar="DURATION",
                      help="how long an update runs after its start; the window begins 1 h "
                      "before it (default: %s, as check_cluster_updates)"
                      % format_duration(UPDATE_DURATION.total_seconds()))
    plan.add_argument("--default-duration", type=positive_duration,
                      default=format_duration(MAINTENANCE_DURATION.total_seconds()),
                      metavar="DURATION", help="length of a planned maintenance that has no "
                      "end (default: %s)" % format_duration(MAINTENANCE_DURATION.total_seconds()))
    plan.add_argument("--timezone", type=zone_name, metavar="ZONE",
                      help="the nodes' time zone for their weekly schedule, e.g. Europe/Berlin; "
                      "a --cluster-file line's own zone wins (default: the UTC offset of each "
                      "node's state, exact but for a DST change inside the lookahead)")
    marks = parser.add_argument_group("the downtimes")
    marks.add_argument("--author", type=author, default=DEFAULT_AUTHOR,
                       help="author of tgmon's downtimes; only these are ever changed "
                       "(default: %s)" % DEFAULT_AUTHOR)
    marks.add_argument("--host-name-format", type=host_name_format, default="{node}",
                       metavar="FORMAT", help="the core's host name of a node from its "
                       "configured name (NAME=SOURCE, or its URL's host or state dir's name; "
                       "never what its state claims): {node} once, without !conversion or "
                       ":format, e.g. {node}.example.net (default: {node})")
    marks.add_argument("--service-command", type=command_name, action="append", metavar="NAME",
                       help="services with this check command get downtimes too (repeatable; "
                       "default: %s)" % ", ".join(DEFAULT_SERVICE_COMMANDS))
    icinga = parser.add_argument_group("Icinga 2 (REST API)")
    icinga.add_argument("--icinga-url", metavar="URL",
                        help="the API, e.g. https://master.example.net:5665")
    icinga.add_argument("--icinga-user", metavar="USER", help="the ApiUser")
    icinga.add_argument("--icinga-password-file", metavar="FILE", type=optional_file,
                        help="file holding the ApiUser's password (never on the command line)")
    icinga.add_argument("--icinga-ca-file", metavar="FILE", type=optional_file,
                        help="CA certificate to verify the API with (Icinga's own CA: "
                        "/var/lib/icinga2/certs/ca.crt)")
    icinga.add_argument("--icinga-insecure", action="store_true",
                        help="do not verify the API's certificate (not recommended)")
    nagios = parser.add_argument_group("Nagios (external commands)")
    nagios.add_argument("--nagios-command-file", metavar="FILE",
                        help="Nagios' command pipe (command_file, e.g. "
                        "/var/lib/nagios4/rw/nagios.cmd)")
    nagios.add_argument("--nagios-status-file", metavar="FILE",
                        help="Nagios' status.dat (status_file), to see what exists")
    nagios.add_argument("--nagios-host-downtime", action="store_true",
                        help="also schedule host downtimes; Nagios then mutes every service "
                        "of the host in the window, an update lock included")
    return parser


class _Parser(SafeArgumentParser):
    """Option errors as one sanitised line that quotes no value given, exit 2."""

    def usage_error(self, message):
        raise UsageError("bad option: %s" % message, "see tgmon downtimes sync --help")


def build_parser():
    parser = _Parser(
        prog="tgmon downtimes sync",
        description="Turn each node's own plan (a maintenance admin maint planned, the next "
                    "scheduled update run) into downtimes in Icinga 2 and/or Nagios; remove "
                    "tgmon's downtimes whose window is gone. Planned is silent, failed is loud.",
        epilog="Nodes: --node NAME=SOURCE or NAME SOURCE [TIMEZONE] lines in --cluster-file; "
               "a node gets downtimes only on the host it is configured as, and only if its "
               "state calls itself by that name. Exit 0: synced, nothing skipped; 1: something "
               "skipped (one line each on stderr), the rest synced; 2: usage, access or API "
               "error, or -t ran out. See docs/downtimes.rst.")
    return add_arguments(parser)


class _SyncCommand:
    """What --config needs of a command: its name (the config section) and options."""
    prog = "downtimes"
    scope = "tool"

    def parser(self):
        return build_parser()


SYNC = _SyncCommand()


def parse(argv):
    parser = build_parser()
    opts = parser.parse_args(argv)
    if opts.config:
        from ..config import apply_config
        for action in parser._actions:
            action.default = argparse.SUPPRESS
        opts._given = set(vars(parser.parse_args(argv)))
        apply_config(SYNC, opts, opts.config)
    if not opts.icinga_url and not opts.nagios_command_file:
        raise UsageError("no monitoring core given",
                         "give --icinga-url (with --icinga-user, --icinga-password-file) "
                         "and/or --nagios-command-file with --nagios-status-file")
    return opts


# ----------------------------------------------------------------- the run
class Report:
    """What the run prints: changes to stdout, what was skipped and what failed to
    stderr, then a summary; every line sanitised (it holds names from nodes, files
    and cores). The exit code follows from what was said, not from whether anybody
    read it: the process's own streams go through safeio.stdio, so a closed stdout
    or a reader gone never stops a sync halfway. ``out``, ``err``: other streams
    to write to instead (a test's)."""

    def __init__(self, out=None, err=None):
        self.out, self.err = out, err
        self.errors = 0      # exit 2
        self.skipped = 0     # exit 1

    def line(self, text):
        line = sanitize(text)
        if self.out is None:
            write_stdout(line + "\n")
        else:
            self.out.write(line + "\n")

    def skip(self, text):
        self.skipped += 1
        self._say(text)

    def problem(self, text):
        self.errors += 1
        self._say(text)

    def _say(self, text):
        line = sanitize("tgmon downtimes: " + text)
        if self.err is None:
            say_stderr(line)
        else:
            self.err.write(line + "\n")

    def code(self):
        return 2 if self.errors else 1 if self.skipped else 0


def main(argv=None, out=None, err=None):
    report = Report(out, err)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "sync":
        if argv and argv[0] in ("-h", "--help"):
            report.line("usage: tgmon downtimes sync [options]   (tgmon downtimes sync --help)")
            return 0
        report.problem("usage: tgmon downtimes sync [options] - see tgmon downtimes sync --help")
        return 2
    started = time.monotonic()
    try:
        opts = parse(argv[1:])
    except TgmonError as exc:
        report.problem(words(exc))
        return 2
    deadline = started + opts.timeout
    opts.deadline = deadline - MARGIN
    try:
        return bounded.call(lambda: sync(opts, report, utcnow()), deadline - MARGIN / 2)
    except bounded.Overdue:
        report.problem("did not finish within -t %g s - check the nodes and the cores' "
                       "reachability, or raise -t" % opts.timeout)
        return 2
    except TgmonError as exc:
        report.problem(words(exc))
        return 2
    except Exception as exc:     # unforeseen: one line all the same, never a traceback
        report.problem("stopped by an internal %s, nothing more changed - please report it"
                       % type(exc).__name__)
        return 2

"""The options of tgmon downtimes sync, as data: its parser and --config read them.

Their types validate at parse time (one line, exit 2); each says what it
expects (``expects``) so that a config file's bad value is named, not quoted.
"""

import argparse
import re
import string

from ..cores import unsafe_character
from ..options import CLUSTER_SOURCE_ARGS, CommandParser, add_args, arg, doc_path
from ..optiontypes import duration, optional_file, positive_seconds
from ..state.lifecycle import MAINTENANCE_DURATION, UPDATE_DURATION
from ..timeutil import DURATION_HELP, format_duration

SECTION = "downtimes"        # its section in a config file
DEFAULT_TIMEOUT = 30
DEFAULT_LOOKAHEAD = "24h"
DEFAULT_AUTHOR = "tgmon"
DEFAULT_MAX_AGE = "30m"
DEFAULT_UPDATE_DURATION = format_duration(UPDATE_DURATION.total_seconds())
DEFAULT_MAINTENANCE = format_duration(MAINTENANCE_DURATION.total_seconds())
_AUTHOR = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
# Nagios' own default: the check commands whose services change state because
# of the plan. Icinga 2's CheckCommand is tgmon_maintenance; Nagios' sample
# has a command per way of reaching the node.
DEFAULT_SERVICE_COMMANDS = ("tgmon_maintenance", "tgmon_maintenance_url", "tgmon_maintenance_nrpe")
# Alertmanager: the alerts a planned window explains - maintenance mode on, and VNC
# login off for it (R14) - but not a maintenance only admin maint may end (R7) or
# one that lasts too long: those are failures, and alert inside a window too
DEFAULT_SILENCED = (("maintenance", "maintenance-active"), ("maintenance", "vnc-disabled"))


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


def finding_name(text):
    """CHECK/FINDING of a check's finding (its runbook id), as tgmon's alerts label it."""
    from ..checks.registry import all_checks
    check, _, finding = text.partition("/")
    known = {d.short_name: d.runbook_ids for d in all_checks()}
    if finding not in known.get(check, ()):
        raise argparse.ArgumentTypeError("not a check's finding, e.g. maintenance/"
                                         "maintenance-active (docs/prometheus.rst)")
    return check, finding


finding_name.expects = "CHECK/FINDING, e.g. maintenance/maintenance-active"


# (title of the --help group, its options)
GROUPS = (
    ("run", (
        arg("-t", "--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT,
            metavar="SECONDS", help="give up after this many seconds, covering the nodes "
            "(read within half of it) and the cores (default: %d)" % DEFAULT_TIMEOUT),
        arg("--config", metavar="FILE", type=optional_file,
            help="YAML file with defaults for any long option: the common part and a section "
            "downtimes (%s)" % doc_path("configuration.rst")),
        arg("--dry-run", form="flag", default=False,
            help="print what would be added and removed, change nothing"),
    )),
    ("nodes (read as check_cluster_updates reads them)", CLUSTER_SOURCE_ARGS + (
        arg("--max-age", type=duration, default=DEFAULT_MAX_AGE, metavar="DURATION",
            help="a node whose state is older counts as not read (%s; default: %s)"
            % (DURATION_HELP, DEFAULT_MAX_AGE)),
    )),
    ("the windows", (
        arg("--lookahead", type=duration, default=DEFAULT_LOOKAHEAD, metavar="DURATION",
            help="schedule the update runs that begin within this time (default: %s)"
            % DEFAULT_LOOKAHEAD),
        arg("--update-duration", type=positive_duration, default=DEFAULT_UPDATE_DURATION,
            metavar="DURATION", help="how long an update runs after its start; the window "
            "begins 1 h before it (default: %s, as check_cluster_updates)"
            % DEFAULT_UPDATE_DURATION),
        arg("--default-duration", type=positive_duration, default=DEFAULT_MAINTENANCE,
            metavar="DURATION", help="length of a planned maintenance that has no end "
            "(default: %s)" % DEFAULT_MAINTENANCE),
        arg("--timezone", type=zone_name, metavar="ZONE",
            help="the nodes' time zone for their weekly schedule, e.g. Europe/Berlin; a "
            "--cluster-file line's own zone wins (default: the UTC offset of each node's "
            "state, exact but for a DST change inside the lookahead)"),
    )),
    ("the downtimes", (
        arg("--author", type=author, default=DEFAULT_AUTHOR,
            help="author of tgmon's downtimes; only these are ever changed (default: %s)"
            % DEFAULT_AUTHOR),
        arg("--host-name-format", type=host_name_format, default="{node}", metavar="FORMAT",
            help="the core's host name of a node from its configured name (NAME=SOURCE, or "
            "its URL's host or state dir's name; never what its state claims): {node} once, "
            "without !conversion or :format, e.g. {node}.example.net (default: {node})"),
        arg("--service-command", form="list", type=command_name, metavar="NAME",
            help="services with this check command get downtimes too (repeatable; default: "
            "%s)" % ", ".join(DEFAULT_SERVICE_COMMANDS)),
    )),
    ("Icinga 2 (REST API)", (
        arg("--icinga-url", metavar="URL", help="the API, e.g. https://master.example.net:5665"),
        arg("--icinga-user", metavar="USER", help="the ApiUser"),
        arg("--icinga-password-file", metavar="FILE", type=optional_file,
            help="file holding the ApiUser's password (never on the command line)"),
        arg("--icinga-ca-file", metavar="FILE", type=optional_file,
            help="CA certificate to verify the API with (Icinga's own CA: "
            "/var/lib/icinga2/certs/ca.crt)"),
        arg("--icinga-insecure", form="flag", default=False,
            help="do not verify the API's certificate (not recommended)"),
    )),
    ("Nagios (external commands)", (
        arg("--nagios-command-file", metavar="FILE", help="Nagios' command pipe (command_file, "
            "e.g. /var/lib/nagios4/rw/nagios.cmd)"),
        arg("--nagios-status-file", metavar="FILE",
            help="Nagios' status.dat (status_file), to see what exists"),
        arg("--nagios-host-downtime", form="flag", default=False,
            help="also schedule host downtimes; Nagios then mutes every service of the host "
            "in the window, an update lock included"),
    )),
    ("Alertmanager (API v2 silences)", (
        arg("--alertmanager-url", metavar="URL",
            help="Alertmanager, e.g. https://alertmanager.example.net:9093: per window and "
            "check a silence of the node's alerts of the findings below"),
        arg("--alertmanager-ca-file", metavar="FILE", type=optional_file,
            help="CA certificate to verify Alertmanager with (verification is always on)"),
        arg("--alertmanager-token-file", metavar="FILE", type=optional_file,
            help="file holding a bearer token for Alertmanager (https:// or this host only)"),
        arg("--alertmanager-user", metavar="USER", help="user for basic auth, with "
            "--alertmanager-password-file"),
        arg("--alertmanager-password-file", metavar="FILE", type=optional_file,
            help="file holding that user's password (never on the command line)"),
        arg("--alertmanager-finding", form="list", type=finding_name, metavar="CHECK/FINDING",
            help="the alerts of this finding are silenced in a window (repeatable; default: "
            "%s)" % ", ".join("/".join(pair) for pair in DEFAULT_SILENCED)),
    )),
)
ARGS = {option.dest: option for _, group in GROUPS for option in group}


def build_parser():
    parser = CommandParser(
        prog="tgmon downtimes sync",
        description="Turn each node's own plan (a maintenance admin maint planned, the next "
                    "scheduled update run) into downtimes in Icinga 2 and/or Nagios and "
                    "silences in Alertmanager; remove tgmon's whose window is gone. Planned "
                    "is silent, failed is loud.",
        epilog="Nodes: --node NAME=SOURCE or NAME SOURCE [TIMEZONE] lines in --cluster-file; "
               "a node gets downtimes only on the host it is configured as, and only if its "
               "state calls itself by that name. Exit 0: synced, nothing skipped; 1: something "
               "skipped (one line each on stderr), the rest synced; 2: usage, access or API "
               "error, or -t ran out. See %s." % doc_path("downtimes.rst"))
    for title, args in GROUPS:
        add_args(parser.add_argument_group(title), args)
    return parser

"""tgmon downtimes sync: read the nodes, plan their windows, make each core hold
exactly tgmon's downtimes for them.

Exit 0: every node read, every core synced. 1: some nodes could not be read
(their downtimes are left as they are), the rest synced. 2: a usage, access
or API error (one line each, naming cause and fix), or -t ran out. The run
prints one line per change and a summary; --dry-run prints the same plan
and changes nothing. -t covers everything: the nodes, DNS, TLS, the API.
"""

import argparse
import re
import string
import sys
import time
from datetime import timedelta

from .. import bounded
from ..errors import TgmonError, UsageError
from ..lifecycle import MAINTENANCE_DURATION, UPDATE_DURATION
from ..runtime.options import (add_cluster_source, duration, optional_file,
                               positive_seconds)
from ..timeutil import DURATION_HELP, format_duration, utcnow
from .wanted import DEFAULT_SERVICE_COMMANDS

DEFAULT_TIMEOUT = 30
DEFAULT_LOOKAHEAD = "24h"
DEFAULT_AUTHOR = "tgmon"
DEFAULT_MAX_AGE = "30m"
MARGIN = 0.5
# A host or service name tgmon will put into a command: no ';' (Nagios' field
# separator), no controls, none of the characters Nagios refuses in names.
_NAME = re.compile(r"^[^;\x00-\x1f\x7f`~$&|'\"<>]{1,255}$")
_AUTHOR = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


# ----------------------------------------------------------------- options
def host_name_format(text):
    fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    if fields != ["node"] or "\n" in text:
        raise argparse.ArgumentTypeError("must hold {node} once and nothing else in braces")
    return text


host_name_format.expects = "a format with {node}, e.g. {node}.example.net"


def author(text):
    if not _AUTHOR.match(text):
        raise argparse.ArgumentTypeError("must be 1-64 letters, digits, _ . @ -")
    return text


author.expects = "a name of letters, digits, _ . @ -"


def zone_name(text):
    from zoneinfo import ZoneInfo
    try:
        return ZoneInfo(text)
    except Exception:   # ZoneInfoNotFoundError, ValueError for odd keys
        raise argparse.ArgumentTypeError("is not a time zone (e.g. Europe/Berlin)") from None


zone_name.expects = "an IANA time zone, e.g. Europe/Berlin"


def command_name(text):
    if not re.match(r"^[A-Za-z0-9_.-]{1,128}$", text):
        raise argparse.ArgumentTypeError("is not a check command name")
    return text


command_name.expects = "a check command name, e.g. tgmon_maintenance"


def add_arguments(parser):
    common = parser.add_argument_group("run")
    common.add_argument("-t", "--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT,
                        metavar="SECONDS", help="give up after this many seconds, covering "
                        "the nodes and the cores (default: %d)" % DEFAULT_TIMEOUT)
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
    plan.add_argument("--update-duration", type=duration,
                      default=format_duration(UPDATE_DURATION.total_seconds()), metavar="DURATION",
                      help="how long an update runs after its start; the window begins 1 h "
                      "before it (default: %s, as check_cluster_updates)"
                      % format_duration(UPDATE_DURATION.total_seconds()))
    plan.add_argument("--default-duration", type=duration,
                      default=format_duration(MAINTENANCE_DURATION.total_seconds()),
                      metavar="DURATION", help="length of a planned maintenance that has no "
                      "end (default: %s)" % format_duration(MAINTENANCE_DURATION.total_seconds()))
    plan.add_argument("--timezone", type=zone_name, metavar="ZONE",
                      help="the nodes' time zone for their weekly schedule, e.g. Europe/Berlin "
                      "(default: the UTC offset of each node's state, exact but for a DST "
                      "change inside the lookahead)")
    marks = parser.add_argument_group("the downtimes")
    marks.add_argument("--author", type=author, default=DEFAULT_AUTHOR,
                       help="author of tgmon's downtimes; only these are ever changed "
                       "(default: %s)" % DEFAULT_AUTHOR)
    marks.add_argument("--host-name-format", type=host_name_format, default="{node}",
                       metavar="FORMAT", help="the core's host name of a node, e.g. "
                       "{node}.example.net (default: {node})")
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


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tgmon downtimes sync",
        description="Turn each node's own plan (a maintenance admin maint planned, the next "
                    "scheduled update run) into downtimes in Icinga 2 and/or Nagios; remove "
                    "tgmon's downtimes whose window is gone. Planned is silent, failed is loud.",
        epilog="Exit 0: synced; 1: some nodes not read (their downtimes stay); 2: usage, "
               "access or API error. See docs/downtimes.rst.")
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
    """What the run prints: changes to stdout, problems to stderr, then a summary."""

    def __init__(self, out, err):
        self.out, self.err = out, err
        self.errors = 0      # what makes the exit code 2

    def line(self, text):
        self.out.write(text + "\n")
        self.out.flush()

    def problem(self, text, error=True):
        self.errors += 1 if error else 0
        self.err.write("tgmon downtimes: " + text + "\n")
        self.err.flush()


def main(argv=None, out=None, err=None):
    out, err = out or sys.stdout, err or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "sync":
        if argv and argv[0] in ("-h", "--help"):
            out.write("usage: tgmon downtimes sync [options]   (tgmon downtimes sync --help)\n")
            return 0
        err.write("usage: tgmon downtimes sync [options]\n")
        return 2
    started = time.monotonic()
    report = Report(out, err)
    try:
        opts = parse(argv[1:])
    except TgmonError as exc:
        report.problem("%s - %s" % (exc.cause, exc.fix) if exc.fix else exc.cause)
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
        report.problem("%s - %s" % (exc.cause, exc.fix) if exc.fix else exc.cause)
        return 2


def sync(opts, report, now):
    from ..runtime.options import http_settings
    from ..sources.nodes import node_sources, read_nodes
    from .plan import PlanSettings, plan
    sources = node_sources(opts.node, opts.cluster_file)
    cores = make_cores(opts)   # usage errors before anything is read
    view = read_nodes(sources, http_settings(opts), opts.max_age, now, require_one=False)
    states = [state for _, state in view.nodes]
    failures = list(view.failures)
    for failure in failures:
        cause = "%s; %s" % (failure.cause, failure.fix) if failure.fix else failure.cause
        report.problem("node %s not read: %s - its downtimes stay as they are"
                       % (failure.source, cause), error=False)
    if not states:
        report.line("tgmon downtimes: 0 of %d nodes read, nothing changed" % len(sources))
        return 1
    settings = PlanSettings(timedelta(seconds=opts.lookahead),
                            timedelta(seconds=opts.update_duration),
                            timedelta(seconds=opts.default_duration), opts.timezone)
    windows = plan(states, now, settings)
    zones = {s.node.name: opts.timezone or s.generated.tzinfo for s in states}
    summaries, api_failed = [], False
    for core in cores:
        try:
            summaries.append(sync_core(core, opts, states, windows, zones, report))
        except TgmonError as exc:
            api_failed = True
            report.problem("%s: %s - %s" % (core.name, exc.cause, exc.fix) if exc.fix
                           else "%s: %s" % (core.name, exc.cause))
            summaries.append("%s: failed" % core.name)
    report.line("tgmon downtimes%s: %d of %d nodes read, %d windows; %s" % (
        " (dry run)" if opts.dry_run else "", len(states), len(states) + len(failures),
        len(windows), "; ".join(summaries)))
    if api_failed or report.errors:
        return 2
    return 1 if failures else 0


def make_cores(opts):
    from ..runtime.options import http_settings
    cores = []
    if opts.icinga_url:
        from .icinga import IcingaApi, IcingaSettings
        cores.append(IcingaApi(IcingaSettings(opts.icinga_url, opts.icinga_user,
                                              opts.icinga_password_file, opts.icinga_ca_file,
                                              opts.icinga_insecure, http_settings(opts))))
    if opts.nagios_command_file:
        from .nagios import NagiosCore, NagiosSettings
        cores.append(NagiosCore(NagiosSettings(opts.nagios_command_file, opts.nagios_status_file,
                                               opts.nagios_host_downtime, opts.deadline)))
    return cores


def sync_core(core, opts, states, windows, zones, report):
    from .wanted import changes, wanted_downtimes
    hosts = {}
    for state in states:
        host = opts.host_name_format.format(node=state.node.name)
        if not _NAME.match(host):
            report.problem("%s: node %s gives no usable host name - check --host-name-format"
                           % (core.name, state.node.name))
            continue
        hosts[state.node.name] = host
    existing = core.hosts(set(hosts.values()))
    for node, host in sorted(hosts.items()):
        if host not in existing:
            report.problem("%s: no host %s for node %s - add it, or fix --host-name-format"
                           % (core.name, host, node))
    nodes = {node for node, host in hosts.items() if host in existing}
    known = {hosts[node] for node in nodes}
    commands = tuple(opts.service_command or DEFAULT_SERVICE_COMMANDS)
    services = core.services(known, commands) if known else {}
    found = core.downtimes(opts.author, known) if known else []
    wanted = wanted_downtimes([w for w in windows if w.node in nodes], zones, hosts.get,
                              services, host_downtime=core.host_downtime)
    todo = changes(wanted, found)
    verb = ("would add", "would remove") if opts.dry_run else ("add", "remove")
    for item in todo.remove:
        report.line("%s: %s %s" % (core.name, verb[1], _describe(item.downtime, core.separator)))
    for downtime in todo.add:
        report.line("%s: %s %s" % (core.name, verb[0], _describe(downtime, core.separator)))
    if not opts.dry_run:
        for item in todo.remove:
            core.remove(item)
        for downtime in todo.add:
            core.schedule(downtime, opts.author)
        core.finish(todo.add, todo.remove)
    return "%s: %d %s, %d %s, %d unchanged" % (
        core.name, len(todo.add), "to add" if opts.dry_run else "added",
        len(todo.remove), "to remove" if opts.dry_run else "removed", len(todo.keep))


def _describe(downtime, separator):
    target = downtime.host + (separator + downtime.service if downtime.service else "")
    kind = "service" if downtime.service else "host"
    return "%s downtime %s (%s)" % (kind, target, downtime.comment)

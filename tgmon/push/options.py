"""The options of tgmon push, as data: its parser and --config read them.

Composed of tgmon downtimes sync's options (the nodes, the node -> host
mapping, the Icinga 2 API, Nagios' command pipe and status.dat) and the
plugins' --runbook-url, each with its one help text; the push's own below.
"""

import argparse

from ..downtimes.options import ARGS as SYNC_ARGS, command_name
from ..options import COMMON_ARGS, CommandParser, add_args, arg, doc_path
from ..optiontypes import optional_file, positive_seconds

SECTION = "push"              # its section in a config file
DEFAULT_ROUND = 60
DEFAULT_TIMEOUT = 30
NODE_FAILURES = ("unknown", "expire")


def _sync(dest, **changes):
    return SYNC_ARGS[dest]._replace(**changes)


def round_seconds(text):
    seconds = positive_seconds(text)
    if seconds < 1:
        raise argparse.ArgumentTypeError("must be at least 1 second")
    return seconds


round_seconds.expects = "seconds, 1 to 3600"


def node_failure(text):
    if text not in NODE_FAILURES:
        raise argparse.ArgumentTypeError("must be one of " + "|".join(NODE_FAILURES))
    return text


node_failure.expects = "one of " + "|".join(NODE_FAILURES)


def check_interval(text):
    """'versions=15m' -> ('versions', 900.0)."""
    from ..optiontypes import duration
    from .services import INTERVALS
    check, sep, value = text.partition("=")
    if not sep or check not in INTERVALS:
        raise argparse.ArgumentTypeError("must be CHECK=DURATION, CHECK one of "
                                         + ", ".join(sorted(INTERVALS)))
    seconds = duration(value)
    if seconds < 1:
        raise argparse.ArgumentTypeError("the interval must be at least 1 s")
    return check, seconds


check_interval.expects = "CHECK=DURATION, e.g. versions=15m"


# (title of the --help group, its options)
GROUPS = (
    ("run", (
        arg("--once", form="flag", default=False,
            help="one round, then exit: 0 every node read and every result sent, 1 "
                 "something skipped or refused (one line each), 2 a core failed"),
        arg("--round", type=round_seconds, default=DEFAULT_ROUND, metavar="SECONDS",
            help="read every node this often and push each service whose interval is due "
                 "(default: %d)" % DEFAULT_ROUND),
        arg("--interval", form="list", type=check_interval, metavar="CHECK=DURATION",
            help="push CHECK this often instead of as the shipped apply rules check it "
                 "(TgmonChecks; repeatable); each result's ttl is twice it"),
        _sync("timeout", default=DEFAULT_TIMEOUT,
              help="a round's limit: the nodes are read within half of it, the cores get "
                   "the rest (default: %d)" % DEFAULT_TIMEOUT),
        _sync("config", help="YAML file with defaults for any long option: the common part, "
              "a section push, and the plugins' sections: each check's thresholds, max_age and "
              "runbook_url as its plugin takes them (%s)"
              % doc_path("configuration.rst")),
        arg("--dry-run", form="flag", default=False,
            help="print each result's host, service and first line instead of sending it"),
    )),
    ("nodes (read as check_cluster_updates reads them)", tuple(
        SYNC_ARGS[d] for d in ("node", "cluster_file", "token_file", "ca_file", "insecure",
                               "no_proxy", "max_age", "host_name_format")) + (
        arg("--cluster-host", type=command_name, metavar="HOST",
            help="the host standing for the cluster of these nodes: its tgmon_cluster_updates "
                 "service gets the cluster check (default: none)"),
        arg("--node-failure", type=node_failure, default="unknown", metavar="WHAT",
            help="a node that cannot be read: unknown pushes UNKNOWN with the cause to its "
                 "services (its reachable service CRITICAL, as the plugins say), expire "
                 "pushes nothing for it, so the core's ttl runs the real checks (default: "
                 "unknown)"),
        next(a for a in COMMON_ARGS if a.dest == "runbook_url"),
    )),
    ("Icinga 2 (REST API: process-check-result)", tuple(
        SYNC_ARGS[d] for d in ("icinga_url", "icinga_user", "icinga_password_file",
                               "icinga_ca_file", "icinga_insecure")) + (
        arg("--check-source", type=command_name, metavar="NAME",
            help="check_source of the results (default: this machine's name)"),
    )),
    ("Nagios (command pipe, NSCA-ng)", (
        SYNC_ARGS["nagios_command_file"],
        _sync("nagios_status_file", help="Nagios' status.dat (status_file): which of tgmon's "
              "services exist, by check command"),
        arg("--nsca-config", metavar="FILE", type=optional_file,
            help="send_nsca's config file (server, port, identity, password; not readable "
                 "by others): results go through NSCA-ng, as its -C commands"),
        arg("--nsca-all-in-one", form="flag", default=False,
            help="NSCA-ng: the nodes have the one service TightGate all checks instead of "
                 "one per check"),
    )),
)
ARGS = {option.dest: option for _, group in GROUPS for option in group}


def build_parser():
    parser = CommandParser(
        prog="tgmon push",
        description="Read every node once per round, judge every check in this one process "
                    "(the plugins' own output) and send the results as passive results to "
                    "Icinga 2 (API, with ttl: a silent pusher makes Icinga run the real "
                    "check), Nagios (command pipe) and/or NSCA-ng. Only services that exist "
                    "get results; nothing is created.",
        epilog="A node is its host by NAME=SOURCE (--node) or NAME SOURCE (--cluster-file), "
               "formatted with --host-name-format; a node read under another name gets "
               "UNKNOWN. Runs until SIGTERM (one summary line per round on stdout, problems on "
               "stderr), or one "
               "round with --once. See %s." % doc_path("push.rst"))
    for title, args in GROUPS:
        add_args(parser.add_argument_group(title), args)
    return parser

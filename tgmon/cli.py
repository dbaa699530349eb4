"""tgmon: tools around the checks (validate a state dir, serve it, write examples).

    tgmon validate DIR            read DIR as a check would; exit 0 valid, 2 not
    tgmon refresh DIR             move DIR's instants so that it was generated now
                                  (the weekly schedule as written; --move-schedule)
    tgmon serve --state-dir DIR   read-only HTTP(S) exporter: GET /v1/status, /metrics,
                                  /healthz
    tgmon textfile --output F.prom  the metrics of /metrics for node_exporter's textfile
                                  collector, written atomically
    tgmon example list            names of the example states
    tgmon example write NAME DIR  write example NAME into DIR (new or empty), fresh as of now
    tgmon example write-all DIR   write every example at its fixed instant into DIR/NAME
    tgmon downtimes sync ...      each node's plan as downtimes in Icinga 2 / Nagios
    tgmon checkmk --node ...      Checkmk datasource: a piggyback block per node
    tgmon push ...                every node's check results as passive results
    tgmon state VERB DIR ...      the appliance side: init, set-flag, clear-flag,
                                  update, heartbeat (docs/appliance.rst)

Exit codes: 0 done; 1 partly written (the line names what was, tgmon state
only); 2 refused or failed, nothing written; 130 interrupted (Ctrl-C). The
exit code says what happened to the state, never to the terminal: output to
a closed pipe or a full device is dropped.
"""

import argparse
import sys

from . import __version__
from .errors import TgmonError
from .safeio.text import sanitize
from .safeio.stdio import say_stderr, write_stdout
from .safeio.args import SafeArgumentParser
from .state.layout import DEFAULT_STATE_DIR


class _Parser(SafeArgumentParser):
    """A usage error is one safe line that quotes no value given."""

    def usage_error(self, message):
        _say("%s: %s - see %s --help" % (self.prog, message, self.prog))
        self.exit(2)


def _say(text):
    """One line on stderr, whatever the text holds (paths, values from input)."""
    say_stderr(sanitize(text))


def _print(text):
    """One line on stdout, whatever the text holds; a stdout that takes nothing
    costs the line, never the exit code."""
    write_stdout(sanitize(text) + "\n")


def _parser():
    parser = _Parser(prog="tgmon", description=__doc__.split("\n")[0],
                                     epilog="\n".join(__doc__.split("\n")[1:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    # The plugins' -V words; exit 0 here, as a tool's --version does (3 is for plugins only).
    parser.add_argument("-V", "--version", action="version",
                        version="tgmon (tgmon) %s" % __version__,
                        help="show the version and exit (exit code 0)")
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="validate a state dir: readable, valid, fresh")
    validate.add_argument("state_dir", metavar="DIR", nargs="?",
                          help="the state dir (default: --config's state_dir, or %s)"
                          % DEFAULT_STATE_DIR)
    validate.add_argument("--config", metavar="FILE",
                          help="a checks' config file: its state_dir and files: apply")
    validate.add_argument("--max-age", default="30m", metavar="DURATION",
                          help="report the state as stale when older (default: 30m)")
    refresh = sub.add_parser("refresh", help="shift the instants of a state dir to now "
                             "(to try a check on a copied or edited example); reads and "
                             "writes only the files of DIR itself, never through a link, "
                             "under the state lock")
    refresh.add_argument("state_dir", metavar="DIR")
    refresh.add_argument("--move-schedule", action="store_true",
                         help="move the weekly schedule (weekday and time of the scheduled "
                              "download and update) by as much; by default it stays as "
                              "written, so a schedule you edited is kept")
    from .server.exporter import ENDPOINTS_HELP, add_serve_arguments
    serve = sub.add_parser("serve", help="serve a state dir read-only over HTTP(S)",
                           description=ENDPOINTS_HELP)
    serve.add_argument("--state-dir", default=DEFAULT_STATE_DIR, metavar="DIR",
                       help="state dir to serve (default: %s)" % DEFAULT_STATE_DIR)
    add_serve_arguments(serve)
    add_textfile_parser(sub)
    example = sub.add_parser("example", help="write the example states")
    ex_sub = example.add_subparsers(dest="action", required=True)
    ex_sub.add_parser("list", help="list the example names")
    write = ex_sub.add_parser("write", help="write one example, fresh as of now, into a new "
                              "or empty DIR")
    write.add_argument("name")
    write.add_argument("state_dir", metavar="DIR")
    write_all = ex_sub.add_parser("write-all", help="write all examples at their fixed "
                                  "instant into DIR/NAME (DIR new or empty; with --force, "
                                  "holding nothing but example dirs)")
    write_all.add_argument("target", metavar="DIR")
    for verb in (write, write_all):
        verb.add_argument("--force", action="store_true",
                          help="replace an example written there before; a dir holding "
                               "anything else, or a set update lock or warn flag the "
                               "example lacks, is still refused")
    add_state_parser(sub)
    sub.add_parser("push", add_help=False,
                   help="send every node's check results to Icinga 2, Nagios or NSCA-ng as "
                        "passive results, judged in one process (tgmon push --help)")
    sub.add_parser("downtimes", add_help=False,
                   help="downtimes sync: each node's planned maintenance and scheduled update "
                        "as downtimes in Icinga 2 and Nagios (tgmon downtimes sync --help)")
    sub.add_parser("checkmk", add_help=False,
                   help="a Checkmk datasource program: every node's local checks as a "
                        "piggyback block, the cluster's on this host (tgmon checkmk --help)")
    return parser


def add_textfile_parser(sub):
    from .metrics.textfile import DEFAULT_TIMEOUT
    from .options import doc_path
    textfile = sub.add_parser(
        "textfile", help="write the metrics of GET /metrics into a file for node_exporter's "
        "textfile collector (%s)" % doc_path("prometheus.rst"),
        description="Reads the state dir once, judges it as tgmon serve's /metrics does and "
        "replaces FILE atomically (never through a link, never in a dir other users may "
        "write). A state that cannot be read is written as tgmon_up 0 with its cause, with "
        "a warning on stderr (exit 0). Exit 2: FILE not written, one line naming the cause "
        "and the fix.")
    textfile.add_argument("--state-dir", default=DEFAULT_STATE_DIR, metavar="DIR",
                          help="the state dir (default: %s)" % DEFAULT_STATE_DIR)
    textfile.add_argument("--output", required=True, metavar="FILE",
                          help="the file to write, ending in .prom, e.g. "
                               "/var/lib/prometheus/node-exporter/tgmon.prom")
    textfile.add_argument("-t", "--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                          metavar="SECONDS", help="give up reading the state after this "
                          "long and write that as the cause (default: %d)" % DEFAULT_TIMEOUT)


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("the value is not a number") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("the value must be more than 0 and at most 3600")
    return value


def _textfile(args):
    from .metrics.textfile import write_textfile
    from .timeutil import utcnow
    view = write_textfile(args.state_dir, args.output, utcnow(), args.timeout)
    if view.cause is not None:
        _say("tgmon: warning: %s written as tgmon_up 0: %s" % (args.output, view.cause))
    return 0


def add_state_parser(sub):
    from .appliance.writer import FLAG_NAMES
    from .options import doc_path
    state = sub.add_parser("state", help="write a state dir from the appliance's scripts: "
                           "init, set-flag, clear-flag, update, heartbeat (%s)"
                           % doc_path("appliance.rst"),
                           description="Exit 0: written (set-flag may warn in one line that "
                           "it made its text one line). Exit 1: partly written, one line naming "
                           "what was: a marker set or cleared, but not status.json (set-flag "
                           "sets its marker even where status.json is too large or invalid; "
                           "a rename failed). Exit 2: refused or failed, one line naming the "
                           "cause and the fix, nothing written. Exit 130: interrupted; the "
                           "state is the old or the new one, never a part. Never follows or "
                           "writes through a link; refuses a dir (or parent) another user owns "
                           "or may write. See %s." % doc_path("appliance.rst"))
    verbs = state.add_subparsers(dest="verb", required=True)
    init = verbs.add_parser("init", help="a minimal valid state: nothing known yet")
    init.add_argument("state_dir", metavar="DIR")
    init.add_argument("--node", required=True,
                      help="the node's host name (RFC 1123, dots allowed)")
    init.add_argument("--role", required=True, choices=("single", "cluster-node"))
    init.add_argument("--cluster", help="the cluster's name (cluster-node): one printable line")
    init.add_argument("--installed", default="0", metavar="VERSION",
                      help="the installed release, e.g. 4.11 (default: 0, unknown)")
    init.add_argument("--force", action="store_true", help="replace an existing state (also "
                      "one too large or invalid to read); the markers set are kept")
    flags = sorted(FLAG_NAMES)
    set_flag = verbs.add_parser("set-flag", help="set a marker (since now unless --since)")
    set_flag.add_argument("state_dir", metavar="DIR")
    set_flag.add_argument("flag", choices=flags)
    set_flag.add_argument("--reason", help="the first line: why (not for reboot-required); "
                          "line breaks and control characters become spaces (with a warning)")
    set_flag.add_argument("--line", action="append", default=[], metavar="TEXT",
                          help="one more line (reboot-required: a package), repeatable; made "
                               "one printable line like --reason")
    set_flag.add_argument("--since", type=_timestamp, metavar="TIME",
                          help="when it was set, ISO-8601 with offset, from 1970 up to now "
                               "(default: now, or when it was set before)")
    clear = verbs.add_parser("clear-flag", help="clear a marker")
    clear.add_argument("state_dir", metavar="DIR")
    clear.add_argument("flag", choices=flags)
    update = verbs.add_parser("update", help="merge a partial status.json (objects merge, "
                              "lists replace), validated")
    update.add_argument("state_dir", metavar="DIR")
    update.add_argument("--json", required=True, metavar="FILE|-",
                        help="the partial document; - reads stdin")
    beat = verbs.add_parser("heartbeat", help="refresh generated only")
    beat.add_argument("state_dir", metavar="DIR")


def _timestamp(text):
    from .timeutil import parse_timestamp
    try:
        return parse_timestamp(text, what="the value")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _state(args):
    from .appliance import writer
    if args.verb == "init":
        writer.init(args.state_dir, args.node, args.role, args.cluster, args.installed,
                    args.force)
    elif args.verb == "set-flag":
        try:
            warnings = writer.set_flag(args.state_dir, args.flag, args.reason, args.line,
                                       args.since)
        except writer.PartlyWritten as exc:
            _warn(exc.warnings)
            raise
        _warn(warnings)
    elif args.verb == "clear-flag":
        writer.clear_flag(args.state_dir, args.flag)
    elif args.verb == "update":
        writer.update(args.state_dir, writer.read_update_document(args.json))
    else:
        writer.heartbeat(args.state_dir)
    return 0


def _warn(warnings):
    if warnings:
        _say("tgmon: warning: %s" % "; ".join(warnings))


def main(argv=None):
    """The console script: the command's exit code, whatever becomes of stdout and
    stderr (it says what happened to the state, never to the terminal)."""
    from .safeio.stdio import reopen_closed_std_fds, settle_stdout
    reopen_closed_std_fds()      # no file of ours may take the number of a closed one
    try:
        return _main(argv)
    except KeyboardInterrupt:
        _say("tgmon: interrupted - a state dir holds its old or its new state, never a part; "
             "run it again to be sure")
        return 130
    finally:
        settle_stdout()


def _main(argv):
    from .safeio.writeerror import PartlyWritten
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["downtimes"]:
        from .downtimes.command import main as downtimes
        return downtimes(argv[1:])
    if argv[:1] == ["checkmk"]:
        from .checkmk.datasource import main as checkmk
        return checkmk(argv[1:])
    if argv[:1] == ["push"]:
        from .push.command import main as push
        return push(argv[1:])
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.state_dir, args.config, args.max_age)
        if args.command == "serve":
            from .server.exporter import StateDirApp, serve_from_arguments
            return serve_from_arguments(StateDirApp(args.state_dir), args)
        if args.command == "textfile":
            return _textfile(args)
        if args.command == "refresh":
            return _refresh(args.state_dir, args.move_schedule)
        if args.command == "example":
            return _example(args)
        if args.command == "state":
            return _state(args)
    except TgmonError as exc:
        _say("tgmon: %s - %s" % (exc.cause, exc.fix) if exc.fix else "tgmon: %s" % exc.cause)
        return 1 if isinstance(exc, PartlyWritten) else 2
    except (OSError, ValueError) as exc:  # e.g. the port is taken, a bad --max-age
        _say("tgmon: %s" % exc)
        return 2
    return 2


def _validate(state_dir, config, max_age):
    """Read a state dir as check_versions would (with --config's paths); say what it is."""
    from .checks.versions import DEFINITION
    from .runtime.configure import options_from
    from .state.freshness import check_freshness
    from .sources.statedir import read_state
    from .state.layout import paths_for
    from .timeutil import parse_duration, utcnow
    argv = (["--config", config] if config else []) + (["--state-dir", state_dir]
                                                        if state_dir else [])
    opts = options_from(DEFINITION, argv)
    state = read_state(paths_for(opts.state_dir, opts.files))
    set_flags = [name for name, marker in state.flags._asdict().items() if marker.is_set]
    _print("%s: valid %s state of %s (%s), generated %s; markers set: %s"
           % (opts.state_dir, state.schema, state.node.name, state.node.role,
              state.generated.isoformat(), ", ".join(set_flags) or "none"))
    check_freshness(state, utcnow(), parse_duration(max_age))
    _print("%s: fresh (generated within %s)" % (opts.state_dir, max_age))
    return 0


def _refresh(state_dir, move_schedule=False):
    """Move DIR's instants so that it was generated now; the weekly schedule is a
    setting the admin may just have edited, moved only when asked. Reads and writes
    only DIR's own files, as ``tgmon state`` does (a planted link is refused), under
    its lock: no writer's change made meanwhile is written over."""
    from .state.lifecycle import shift_state
    from .state.model import shift_times
    from .state.layout import STATUS_FILE, write_state_into
    from .timeutil import utcnow
    from .appliance.writer import check_writable, locked, read_own_state
    with locked(state_dir, transient=True, precheck=read_own_state) as directory:
        state = read_own_state(directory)
        # A marker newer than its status.json (e.g. a fresh git checkout) dates
        # from when the state was generated.
        flags = state.flags._replace(**{
            name: marker._replace(since=min(marker.since, state.generated))
            for name, marker in state.flags._asdict().items() if marker.is_set})
        now = utcnow().astimezone(state.generated.tzinfo).replace(microsecond=0)
        shift = shift_state if move_schedule else shift_times
        moved = shift(state._replace(flags=flags), now - state.generated)
        check_writable(moved, directory.shown(STATUS_FILE))
        write_state_into(directory, moved)
    _print("%s: times moved by %s; generated is now %s; weekly schedule %s"
           % (state_dir, now - state.generated, now.isoformat(),
              "moved with them" if move_schedule else "kept as written"))
    return 0


def _example(args):
    from .state import examples
    if args.action == "list":
        for name in examples.EXAMPLES:
            _print(name)
        return 0
    if args.action == "write":
        if args.name not in examples.EXAMPLES:
            raise TgmonError("no example named %s" % args.name[:40],
                             "choose one of: %s" % ", ".join(examples.EXAMPLES))
        from .timeutil import local_zone, utcnow
        examples.write_example(args.name, args.state_dir, utcnow().astimezone(local_zone()),
                               args.force)
        return 0
    examples.write_all(args.target, args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""tgmon: tools around the checks (validate a state dir, serve it, write examples).

    tgmon validate DIR            read DIR as a check would; exit 0 valid, 2 not
    tgmon refresh DIR             move every time in DIR so that it was generated now
    tgmon serve --state-dir DIR   read-only HTTP(S) exporter: GET /v1/status, /healthz
    tgmon example list            names of the example states
    tgmon example write NAME DIR  write example NAME into DIR, fresh as of now
    tgmon example write-all DIR   write every example at its fixed instant
    tgmon downtimes sync ...      each node's plan as downtimes in Icinga 2 / Nagios
"""

import argparse
import os
import sys

from .errors import TgmonError
from .stateformat import DEFAULT_STATE_DIR


def _parser():
    parser = argparse.ArgumentParser(prog="tgmon", description=__doc__.split("\n")[0],
                                     epilog="\n".join(__doc__.split("\n")[1:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="validate a state dir: readable, valid, fresh")
    validate.add_argument("state_dir", metavar="DIR", nargs="?",
                          help="the state dir (default: --config's state_dir, or %s)"
                          % DEFAULT_STATE_DIR)
    validate.add_argument("--config", metavar="FILE",
                          help="a checks' config file: its state_dir and files: apply")
    validate.add_argument("--max-age", default="30m", metavar="DURATION",
                          help="report the state as stale when older (default: 30m)")
    refresh = sub.add_parser("refresh", help="shift all times of a state dir to now "
                             "(to try a check on a copied or edited example)")
    refresh.add_argument("state_dir", metavar="DIR")
    serve = sub.add_parser("serve", help="serve a state dir read-only over HTTP(S)")
    serve.add_argument("--state-dir", default=DEFAULT_STATE_DIR, metavar="DIR",
                       help="state dir to serve (default: %s)" % DEFAULT_STATE_DIR)
    from .exporter import add_serve_arguments
    add_serve_arguments(serve)
    example = sub.add_parser("example", help="write the example states")
    ex_sub = example.add_subparsers(dest="action", required=True)
    ex_sub.add_parser("list", help="list the example names")
    write = ex_sub.add_parser("write", help="write one example, fresh as of now")
    write.add_argument("name")
    write.add_argument("state_dir", metavar="DIR")
    write_all = ex_sub.add_parser("write-all", help="write all examples at their fixed instant")
    write_all.add_argument("target", metavar="DIR")
    sub.add_parser("downtimes", add_help=False,
                   help="downtimes sync: each node's planned maintenance and scheduled update "
                        "as downtimes in Icinga 2 and Nagios (tgmon downtimes sync --help)")
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["downtimes"]:
        from .downtimes.command import main as downtimes
        return downtimes(argv[1:])
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.state_dir, args.config, args.max_age)
        if args.command == "serve":
            from .exporter import StateDirApp, serve_from_arguments
            return serve_from_arguments(StateDirApp(args.state_dir), args)
        if args.command == "refresh":
            return _refresh(args.state_dir)
        if args.command == "example":
            return _example(args)
    except TgmonError as exc:
        print("tgmon: %s - %s" % (exc.cause, exc.fix) if exc.fix else "tgmon: %s" % exc.cause,
              file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:  # e.g. the port is taken, a bad --max-age
        print("tgmon: %s" % exc, file=sys.stderr)
        return 2
    return 2


def _validate(state_dir, config, max_age):
    """Read a state dir as check_versions would (with --config's paths); say what it is."""
    from .checks.versions import DEFINITION
    from .freshness import check_freshness
    from .sources.statedir import read_state
    from .stateformat import paths_for
    from .timeutil import parse_duration, utcnow
    argv = (["--config", config] if config else []) + (["--state-dir", state_dir]
                                                        if state_dir else [])
    opts = DEFINITION.parse(argv)
    state = read_state(paths_for(opts.state_dir, opts.files))
    set_flags = [name for name, marker in state.flags._asdict().items() if marker.is_set]
    print("%s: valid %s state of %s (%s), generated %s; markers set: %s"
          % (opts.state_dir, state.schema, state.node.name, state.node.role,
             state.generated.isoformat(), ", ".join(set_flags) or "none"))
    check_freshness(state, utcnow(), parse_duration(max_age))
    print("%s: fresh (generated within %s)" % (opts.state_dir, max_age))
    return 0


def _refresh(state_dir):
    from .lifecycle import shift_state
    from .sources.statedir import read_state
    from .stateformat import paths_for
    from .stateformat import write_state
    from .timeutil import utcnow
    state = read_state(paths_for(state_dir))
    # A marker newer than its status.json (e.g. a fresh git checkout) dates
    # from when the state was generated.
    flags = state.flags._replace(**{
        name: marker._replace(since=min(marker.since, state.generated))
        for name, marker in state.flags._asdict().items() if marker.is_set})
    now = utcnow().astimezone(state.generated.tzinfo).replace(microsecond=0)
    write_state(state_dir, shift_state(state._replace(flags=flags), now - state.generated))
    print("%s: times moved by %s; generated is now %s"
          % (state_dir, now - state.generated, now.isoformat()))
    return 0


def _example(args):
    from . import examples
    from .stateformat import write_state
    if args.action == "list":
        for name in examples.EXAMPLES:
            print(name)
        return 0
    if args.action == "write":
        if args.name not in examples.EXAMPLES:
            raise TgmonError("no example named %r" % args.name,
                             "choose one of: %s" % ", ".join(examples.EXAMPLES))
        from .timeutil import local_zone, utcnow
        write_state(args.state_dir, examples.build(args.name, utcnow().astimezone(local_zone())))
        return 0
    for name in examples.EXAMPLES:
        write_state(os.path.join(args.target, name), examples.build(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""tgmon-sim: run scenarios of the simulated appliance.

    tgmon-sim run SCENARIO --until TIME --state-dir DIR [--node NAME] [--as-of-now]
    tgmon-sim timeline SCENARIO [--until TIME] [--node NAME]
    tgmon-sim downtimes SCENARIO [--until TIME] [--lookahead DURATION]
    tgmon-sim serve SCENARIO [--at TIME | --speed FACTOR] [--simulated-times] [--bind ADDR]
                    [--port N]

Exit 0 on success, 2 on a bad scenario or bad arguments (one line, no traceback).
Everything printed that came from the scenario file is one printable line of
text (``render.nagios.sanitize``); a reader that stops reading (``| head``)
ends the run quietly with 0, any other output that cannot be written is exit 2.
"""

import argparse
import math
import os
import sys

from ..safeio.text import sanitize
from ..safeio.args import SafeArgumentParser
from ..safeio.stdio import say_stderr, settle_stdout, write_stdout
from ..errors import TgmonError
from .errors import ScenarioError, SimError


class _Parser(SafeArgumentParser):
    def usage_error(self, message):
        raise ScenarioError("", "bad arguments: %s (see tgmon-sim --help)" % message)


def _parser():
    parser = _Parser(prog="tgmon-sim", description="Simulate the TightGate-Pro update "
                     "lifecycle (R1-R17) from a scenario file.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="write the state of the scenario's nodes at an instant")
    run.add_argument("scenario")
    run.add_argument("--until", required=True, metavar="TIME",
                     help="simulated instant (ISO-8601; without offset: scenario's local time)")
    run.add_argument("--state-dir", required=True, metavar="DIR",
                     help="with --node: the node's state dir; else one sub dir per node")
    run.add_argument("--node", metavar="NAME", help="write only this node")
    run.add_argument("--as-of-now", action="store_true",
                     help="move every time so that the states were written just now (the "
                     "checks then need no --max-age)")
    timeline = _printing(sub, "timeline", "print each event and what every check reports "
                         "for every node")
    timeline.add_argument("--node", action="append", metavar="NAME",
                          help="only this node (repeatable)")
    downtimes = _printing(sub, "downtimes", "print the downtimes tgmon downtimes sync would "
                          "add and remove as simulated time passes")
    downtimes.add_argument("--lookahead", default="24h", metavar="DURATION",
                           help="as tgmon downtimes sync (default: 24h)")
    downtimes.add_argument("--update-duration", default="1h", metavar="DURATION",
                           help="as tgmon downtimes sync (default: 1h)")
    downtimes.add_argument("--default-duration", default="2h", metavar="DURATION",
                           help="as tgmon downtimes sync (default: 2h)")
    serve = sub.add_parser("serve", help="serve every node's live simulated state over HTTP "
                           "(/NODE/v1/status)")
    serve.add_argument("scenario")
    when = serve.add_mutually_exclusive_group()
    when.add_argument("--at", metavar="TIME", help="simulated time stands at this instant")
    when.add_argument("--speed", type=_speed, metavar="FACTOR",
                      help="simulated time runs from the scenario start at FACTOR x real time")
    serve.add_argument("--simulated-times", action="store_true",
                       help="serve the scenario's own times; by default every time is moved "
                       "so that each state was written just now, and real checks read it as "
                       "fresh (as run --as-of-now)")
    from ..server.exporter import add_serve_arguments
    add_serve_arguments(serve, default_port=9741)
    return parser


def _printing(sub, name, help_text):
    """A command that prints what happens over the scenario's time, up to --until."""
    command = sub.add_parser(name, help=help_text)
    command.add_argument("scenario")
    command.add_argument("--until", metavar="TIME", help="stop here (default: scenario end)")
    return command


def _speed(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_SPEED):
        raise argparse.ArgumentTypeError("--speed must be a number above 0 and at most %d"
                                         % MAX_SPEED)
    return value


MAX_SPEED = 1000000


def main(argv=None):
    try:
        return _dispatch(_parser().parse_args(argv))
    except (SimError, TgmonError) as exc:   # a bad scenario or argument, a refused write
        return _fail(str(exc))
    except OSError as exc:       # e.g. the port is taken
        return _fail(exc.strerror or type(exc).__name__)
    finally:
        settle_stdout()          # --help into a closed pipe: no exit 120 at exit


def _fail(text):
    say_stderr("tgmon-sim: %s" % sanitize(text))
    return 2


def _out(text):
    """Write the output; a reader that went away is no error (exit 0), any other
    failure is (exit 2)."""
    problem = write_stdout(text)
    if problem is not None and not isinstance(problem, BrokenPipeError):
        raise SimError("cannot write the output: %s - give a writable stdout"
                       % (getattr(problem, "strerror", None) or "stdout is closed"))


def _dispatch(args):
    from .scenario import load_scenario
    scenario = load_scenario(args.scenario)
    if args.command == "serve":
        from ..server.exporter import serve_from_arguments
        from .serve import SimulationApp
        return serve_from_arguments(SimulationApp(scenario, _instant(scenario, args.at, "--at"),
                                                  args.speed, as_of_now=not args.simulated_times),
                                    args, name="tgmon-sim serve")
    until = _instant(scenario, args.until, "--until")
    if args.command == "run":
        return _run(scenario, until, args.state_dir, args.node, args.as_of_now)
    if args.command == "downtimes":
        return _downtimes(scenario, until, args)
    from .timeline import format_timeline
    for node in args.node or ():
        if node not in scenario.node_names:
            raise ScenarioError(args.scenario, "unknown node %r" % node)
    _out(format_timeline(scenario, until, args.node))
    return 0


def _instant(scenario, text, option):
    """An instant given on the command line, within the span a scenario may cover."""
    if text is None:
        return None
    instant = scenario.parse_time(text, None, option)
    if instant > scenario.start + scenario.max_span:
        raise ScenarioError(scenario.path, "%s is more than %d days after the scenario start"
                            % (option, scenario.max_span.days))
    return instant


def _downtimes(scenario, until, args):
    from datetime import timedelta
    from ..downtimes.plan import PlanSettings
    from ..timeutil import parse_duration
    from .downtimes import format_downtimes
    try:
        settings = PlanSettings(*(timedelta(seconds=parse_duration(value)) for value in (
            args.lookahead, args.update_duration, args.default_duration)), scenario.zone)
    except ValueError as exc:
        raise SimError(str(exc)) from None
    _out(format_downtimes(scenario, settings, until))
    return 0


def _run(scenario, until, state_dir, node, as_of_now=False):
    from ..state.lifecycle import moved_to_now
    from ..state.layout import write_state
    from ..timeutil import utcnow
    if until < scenario.start:
        raise ScenarioError(scenario.path, "--until is before the scenario start")
    sim = scenario.build()
    sim.run_until(until)
    states = sim.states()
    if node is not None:
        states = {node: sim.node(node).snapshot()}
    moved = ""
    if as_of_now:
        now = utcnow()
        states = {name: moved_to_now(state, until, now) for name, state in states.items()}
        moved = ", its times moved to now"
    for name, state in states.items():
        path = state_dir if node is not None else os.path.join(state_dir, name)
        write_state(path, state)
        _out("%s: state of %s at %s%s\n" % (sanitize(path), name, until.isoformat(), moved))
    return 0


if __name__ == "__main__":
    sys.exit(main())

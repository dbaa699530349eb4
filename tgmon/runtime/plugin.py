"""Run one check: options -> read -> judge -> Nagios output and exit code.

The nagiosplugin split is kept: ``StateResource.probe`` acquires (reads the
state and asks the check's pure judge function), ``FindingContext`` and
``PerfContext`` evaluate, ``FindingSummary`` presents. Everything that can
go wrong ends as one UNKNOWN line; exit codes stay within 0-3.
"""

import argparse
import os
import signal
import sys
import time
import traceback

import nagiosplugin

from ..errors import CheckTimeout, TgmonError, UsageError
from ..freshness import check_freshness
from ..timeutil import utcnow
from ..verdict import UNKNOWN, state_name, summary_line
from . import options as optmod
from .output import render, sanitize

_NP_STATES = (nagiosplugin.Ok, nagiosplugin.Warn, nagiosplugin.Critical,
              nagiosplugin.Unknown)


class CheckDefinition:
    """What makes one plugin: its name, options, conditions and judge."""

    def __init__(self, name, prog, description, judge, add_arguments=None,
                 conditions=(), epilog=None, read=None,
                 add_source_arguments=optmod.add_state_source, always_long=False):
        self.name = name
        self.prog = prog
        self.description = description
        self.judge = judge
        self._add_arguments = add_arguments
        self.conditions = tuple(conditions)
        self.epilog = epilog or (
            "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for -h, -V and bad "
            "options). Docs: docs/checks/%s.rst" % prog)
        self.read = read or read_single_state
        self.add_source_arguments = add_source_arguments
        # all-in-one checks print one line per aspect even without -v
        self.always_long = always_long

    def add_arguments(self, group):
        if self._add_arguments:
            self._add_arguments(group)

    def parser(self):
        return optmod.build_parser(self)

    def parse(self, argv):
        parser = self.parser()
        opts = parser.parse_args(argv)
        opts.files = {}
        if opts.config:
            from ..config import apply_config
            opts._given = _given_options(self, argv)
            apply_config(parser, opts, opts.config, self.prog)
        return opts

    def default_options(self):
        """Options as if given nothing: what the simulator's timeline uses."""
        return self.parse([])


def _given_options(definition, argv):
    parser = definition.parser()
    for action in parser._actions:
        action.default = argparse.SUPPRESS
    return set(vars(parser.parse_args(argv)))


def read_single_state(opts, now):
    """The state dir (and any per-file overrides from --config) or, with
    --url, the exporter; refused when stale or from the future."""
    if opts.url:
        from ..sources.http import read_url_state
        state = read_url_state(opts)
    else:
        from ..sources.statedir import paths_for, read_state
        state = read_state(paths_for(opts.state_dir, opts.files))
    check_freshness(state, now, opts.max_age)
    return state


class StateResource(nagiosplugin.Resource):
    """Acquisition: read the state, then ask the pure judge function."""

    def __init__(self, definition, opts, now):
        self.definition = definition
        self.opts = opts
        self.now = now
        self.state = None
        self.verdict = None

    @property
    def name(self):
        return self.definition.name

    def probe(self):
        now = self.now or utcnow()
        self.state = self.definition.read(self.opts, now)
        # Judge in the node's own offset so alert times read as its local time.
        now = now.astimezone(self.state.generated.tzinfo)
        self.verdict = self.definition.judge(self.state, self.opts, now)
        for index, finding in enumerate(self.verdict.findings):
            yield nagiosplugin.Metric("finding_%d" % index, index, context="finding")
        for index, perf in enumerate(self.verdict.perfdata):
            yield nagiosplugin.Metric(perf.label, perf.value, perf.uom or None,
                                      context="perf")


class FindingContext(nagiosplugin.Context):
    def __init__(self):
        super().__init__("finding")

    def evaluate(self, metric, resource):
        finding = resource.verdict.findings[metric.value]
        return nagiosplugin.Result(_NP_STATES[finding.state], finding.text, metric)


class PerfContext(nagiosplugin.Context):
    def __init__(self):
        super().__init__("perf")

    def evaluate(self, metric, resource):
        return nagiosplugin.Result(nagiosplugin.Ok, None, metric)

    def performance(self, metric, resource):
        perf = next(p for p in resource.verdict.perfdata if p.label == metric.name)
        return nagiosplugin.Performance(
            perf.label, _number(perf.value), perf.uom, _range(perf.warn),
            _range(perf.crit), _number(perf.min), _number(perf.max))


def _number(value):
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return round(value, 3)
    return int(value)


def _range(value):
    if value is None:
        return None
    return str(value)


def long_lines(verdict, verbose, state=None, always=False):
    lines = []
    if verbose >= 1 or always:
        for finding in verdict.findings:
            lines.append("[%s] %s" % (state_name(finding.state), finding.text))
            if verbose >= 1:
                lines.extend("    %s" % detail for detail in finding.details)
    if verbose >= 2 and state is not None:
        lines.append("source: %s (generated %s)" % (getattr(state, "origin", "?"),
                                                    state.generated.isoformat()))
    return lines


def run(definition, argv=None, now=None, out=None):
    """Run a check in-process; print its output; return the exit code."""
    out = out or sys.stdout
    argv = sys.argv[1:] if argv is None else list(argv)
    verbose = _count_verbose(argv)
    try:
        opts = definition.parse(argv)
    except optmod._Exit as text:
        out.write(str(text) if str(text).endswith("\n") else "%s\n" % text)
        return UNKNOWN
    except UsageError as exc:
        return _unknown(definition, out, str(exc))
    except Exception as exc:
        return _internal(definition, out, exc, verbose)

    opts.deadline = time.monotonic() + opts.timeout   # network waits end before -t
    resource = StateResource(definition, opts, now)
    check = nagiosplugin.Check(resource, FindingContext(), PerfContext(),
                               name=definition.name)
    try:
        with _deadline(opts.timeout):
            check()
    except CheckTimeout as exc:
        return _unknown(definition, out, str(exc))
    except TgmonError as exc:
        return _unknown(definition, out, str(exc))
    except Exception as exc:
        return _internal(definition, out, exc, opts.verbose)

    verdict = resource.verdict
    code = int(check.exitcode)
    perfdata = " ".join(p for p in check.perfdata if p)
    out.write(render(definition.name, state_name(code), summary_line(verdict),
                     perfdata, long_lines(verdict, opts.verbose, resource.state,
                                          definition.always_long)))
    return code


def main(definition):
    """Console-script entry point."""
    try:
        code = run(definition)
    except KeyboardInterrupt:  # must not leak a traceback or exit code 130
        code = UNKNOWN
        sys.stdout.write("%s UNKNOWN - interrupted\n" % definition.name)
    code = code if code in (0, 1, 2, 3) else UNKNOWN
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # stdout closed by the caller: nothing more to say
        pass
    # A check writes nothing and holds nothing: skip the interpreter's
    # teardown of every module (a measurable share of a ~60 ms run).
    os._exit(code)


def _unknown(definition, out, text):
    out.write(render(definition.name, "UNKNOWN", text, "", []))
    return UNKNOWN


def _internal(definition, out, exc, verbose):
    lines = traceback.format_exc().splitlines() if verbose >= 3 else []
    text = "internal error: %s: %s; rerun with -vvv and report it" % (
        type(exc).__name__, sanitize(str(exc))[:200])
    out.write(render(definition.name, "UNKNOWN", text, "", lines))
    return UNKNOWN


def _count_verbose(argv):
    count = 0
    for arg in argv:
        if arg == "--verbose":
            count += 1
        elif arg.startswith("-") and not arg.startswith("--") and set(arg[1:]) == {"v"}:
            count += len(arg) - 1
    return count


class _deadline:
    """SIGALRM-based limit over the whole check (main thread only)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.armed = False

    def _fire(self, signum, frame):
        raise CheckTimeout("timed out after %s s" % _fmt_seconds(self.seconds),
                           "raise -t/--timeout or look at why the state source is slow")

    def __enter__(self):
        try:
            self.previous = signal.signal(signal.SIGALRM, self._fire)
        except ValueError:  # not the main thread: the caller limits time itself
            return self
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        self.armed = True
        return self

    def __exit__(self, *exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


def _fmt_seconds(seconds):
    return ("%g" % seconds)

"""Run one check: options -> read -> judge -> Nagios output and exit code.

The evaluation is the check's pure ``judge(state, opts, now)``: it returns
findings, each already carrying its status, and perfdata. This runtime hands
them to nagiosplugin, which picks the worst status (the exit code) and
formats the perfdata: ``StateResource.probe`` reads the state, calls the
judge and yields one metric per finding and per perfdata value, the metric
carrying the ``Finding`` or ``Perf`` itself; ``FindingContext`` turns a
finding into a result of its status, ``PerfContext`` a ``Perf`` into
performance data. The first line and the long output are written here
(``output.render``), sanitised. Everything that can go wrong ends as one
UNKNOWN line; exit codes stay within 0-3.
"""

import os
import signal
import sys
import time
import traceback

import nagiosplugin

from ..errors import CheckTimeout, TgmonError, UsageError
from ..timeutil import utcnow
from ..verdict import UNKNOWN, status_name, summary_line
from . import options as optmod
from .output import render, sanitize

_NP_STATES = (nagiosplugin.Ok, nagiosplugin.Warn, nagiosplugin.Critical,
              nagiosplugin.Unknown)


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
            yield nagiosplugin.Metric("finding_%d" % index, finding, context="finding")
        for perf in self.verdict.perfdata:
            yield nagiosplugin.Metric(perf.label, perf, context="perf")


class FindingContext(nagiosplugin.Context):
    """A finding is a result of the status its judge gave it."""

    def __init__(self):
        super().__init__("finding")

    def evaluate(self, metric, resource):
        finding = metric.value
        return nagiosplugin.Result(_NP_STATES[finding.status], finding.text, metric)


class PerfContext(nagiosplugin.Context):
    """Perfdata only: always OK, thresholds as the judge set them."""

    def __init__(self):
        super().__init__("perf")

    def evaluate(self, metric, resource):
        return nagiosplugin.Result(nagiosplugin.Ok, None, metric)

    def performance(self, metric, resource):
        perf = metric.value
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
            lines.append("[%s] %s" % (status_name(finding.status), finding.text))
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
    out.write(render(definition.name, status_name(code), summary_line(verdict),
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

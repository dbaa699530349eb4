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

import io
import os
import signal
import sys
import time
import traceback

import nagiosplugin

from ..safeio import bounded
from ..errors import CheckTimeout, TgmonError, UsageError
from ..safeio.stdio import write_stdout
from ..timeutil import utcnow
from ..verdict import OK, UNKNOWN, fit, line_of, problems_first, status_name, summary_line
from ..render.nagios import first_line_budget
from .. import options as optmod
from ..render.nagios import render, sanitize

# The bounded waits end this much before the alarm, so their own, more
# precise message (what did not answer) wins over the generic one.
DEADLINE_MARGIN = 0.1

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
        opts = self.opts
        try:
            # in a thread: no signal cuts a DNS lookup or a hung mount short
            self.state = bounded.call(lambda: self.definition.read(opts, now),
                                      opts.deadline - DEADLINE_MARGIN)
        except bounded.Overdue:
            raise CheckTimeout(*self.definition.overdue(opts)) from None
        # Judge in the node's own offset so alert times read as its local time
        # (a cluster none of whose nodes could be read has no offset).
        if self.state.generated is not None:
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


def long_lines(verdict, verbose, state=None, always=False, status=OK):
    """The long output: every finding with its next step and details whenever the
    result is not OK (Icinga Web and mails show it); for OK results with -v (or
    always for the all-in-one check); -vv adds where the state came from."""
    lines = []
    if status != OK or verbose >= 1 or always:
        problems = problems_first(verdict.findings)
        for finding in problems + [f for f in verdict.findings if f.status == OK]:
            lines.append("[%s] %s" % (status_name(finding.status), line_of(finding)))
            if finding.status != OK or verbose >= 1:
                lines.extend("    %s" % detail for detail in finding.details)
    if verbose >= 2 and state is not None and state.generated is not None:
        lines.append("source: %s (generated %s)" % (getattr(state, "origin", "?"),
                                                    state.generated.isoformat()))
    return lines


def run(definition, argv=None, now=None, out=None):
    """Run a check in-process; print its output; return the exit code.

    -t covers everything from the first byte of I/O: the config file is read
    under it (a timeout set there applies from then on), then the state.
    """
    out = out or sys.stdout
    argv = sys.argv[1:] if argv is None else list(argv)
    verbose = _count_verbose(argv)
    try:
        opts = definition.parse_command_line(argv)
    except optmod._Exit as text:
        out.write(str(text) if str(text).endswith("\n") else "%s\n" % text)
        return UNKNOWN
    except UsageError as exc:
        return _unknown(definition, out, exc)
    except Exception as exc:
        return _internal(definition, out, exc, verbose)

    started = time.monotonic()
    opts.deadline = started + opts.timeout
    resource = StateResource(definition, opts, now)
    # its name comes from the resource (nagiosplugin 1.3.2 takes no name= argument)
    check = nagiosplugin.Check(resource, FindingContext(), PerfContext())
    try:
        with _deadline(opts.timeout) as alarm:
            if opts.config:
                _apply_config(definition, opts, argv)
                opts.deadline = started + opts.timeout
                alarm.rearm(opts.deadline - time.monotonic(), opts.timeout)
            check()
    except (TgmonError, CheckTimeout) as exc:
        return _unknown(definition, out, exc)
    except Exception as exc:
        return _internal(definition, out, exc, max(verbose, getattr(opts, "verbose", 0)))

    verdict = resource.verdict
    # nagiosplugin's worst status, unless the judge decided the overall status itself
    code = verdict.status if verdict.status is not None else int(check.exitcode)
    perfdata = " ".join(p for p in check.perfdata if p)
    name = status_name(code)
    lines = long_lines(verdict, opts.verbose, resource.state, definition.always_long, code)
    # last, so mails and chat messages that carry the long output carry the link
    lines += definition.runbook_lines(verdict, code, opts)
    out.write(render(definition.name, name,
                     summary_line(verdict, first_line_budget(definition.name, name)),
                     perfdata, lines))
    return code


def _apply_config(definition, opts, argv):
    try:
        bounded.call(lambda: definition.apply_config(opts, argv),
                     opts.deadline - DEADLINE_MARGIN)
    except bounded.Overdue:
        raise CheckTimeout("reading the config file %s did not finish within -t %s s"
                           % (opts.config, _fmt_seconds(opts.timeout)),
                           "check the file system holding it (a hung network mount?)") from None


def main(definition):
    """Console-script entry point."""
    out = io.StringIO()
    try:
        code = run(definition, out=out)
    except KeyboardInterrupt:  # must not leak a traceback or exit code 130
        code = UNKNOWN
        out = io.StringIO()
        out.write("%s UNKNOWN - interrupted\n" % definition.name)
    except Exception as exc:  # a bug outside run's own guards: still one line, exit 3
        out = io.StringIO()
        code = _internal(definition, out, exc, _count_verbose(sys.argv[1:]))
    code = code if code in (0, 1, 2, 3) else UNKNOWN
    # bytes, so that no locale or stdout encoding can make writing fail; a stdout
    # that is closed, broken or full takes nothing, and the exit code stands
    write_stdout(out.getvalue().encode("utf-8", "replace"))
    # A check writes nothing and holds nothing: skip the interpreter's
    # teardown of every module (a measurable share of a ~60 ms run).
    os._exit(code)


def _unknown(definition, out, error):
    """One line: the cause and the fix; a long cause is cut, never the fix."""
    budget = first_line_budget(definition.name, "UNKNOWN")
    if isinstance(error, TgmonError) and error.fix:
        text = fit(error.cause, " - " + error.fix, budget)
    else:
        text = fit(str(error), "", budget)
    out.write(render(definition.name, "UNKNOWN", text, "", []))
    return UNKNOWN


def _internal(definition, out, exc, verbose):
    lines = traceback.format_exc().splitlines() if verbose >= 3 else []
    text = "internal error: %s: %s - rerun with -vvv and report it" % (
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
        self.limit = seconds       # what -t says, for the message
        self.armed = False

    def _fire(self, signum, frame):
        raise CheckTimeout("timed out after %s s" % _fmt_seconds(self.limit),
                           "raise -t/--timeout or look at why the state source is slow")

    def __enter__(self):
        try:
            self.previous = signal.signal(signal.SIGALRM, self._fire)
        except ValueError:  # not the main thread: the caller limits time itself
            return self
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        self.armed = True
        return self

    def rearm(self, seconds, limit):
        """-t from the config file: the alarm now fires after ``seconds``."""
        self.seconds, self.limit = seconds, limit
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, max(0.001, seconds))

    def __exit__(self, *exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


def _fmt_seconds(seconds):
    return ("%g" % seconds)

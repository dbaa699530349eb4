"""Run one check: options -> read (under -t) -> judge -> render -> exit code.

The declaration (``checks/``) says what the check is; this runs it: the
parser from its options (``options.py``), then under -t --config
(``configure.py``) and the state its scope names (``read``), the judge on a
settings record of its options and the status (``tgmon.runtime.evaluate``,
as the simulator's timeline computes it too), and the Result rendered by a
renderer (``tgmon.render``, Nagios text + perfdata by default). Everything
that can go wrong ends as one UNKNOWN line; exit codes stay within 0-3.
"""

import io
import os
import signal
import sys
import time

from ..safeio import bounded
from ..errors import CheckTimeout, TgmonError, UsageError
from ..safeio.stdio import write_stdout
from ..timeutil import utcnow
from ..verdict import UNKNOWN
from ..options import (HelpOrVersion, http_settings, parse_command_line, settings_of,
                       single_source)
from ..render import DEFAULT_FORMAT, formats, renderer
from ..safeio.text import sanitize
from . import evaluate, failure_result

# Ctrl-C or SIGINT while the check runs: an UNKNOWN like any other, in the chosen format
INTERRUPTED = TgmonError("interrupted (SIGINT) before the check finished", "run it again")
# The bounded waits end this much before the alarm, so their own, more
# precise message (what did not answer) wins over the generic one.
DEADLINE_MARGIN = 0.1


def read(definition, opts, now):
    """Acquisition by scope: the State of one node (a state dir or --url; node,
    all-in-one; for reachability the Unreadable instead of an error), or the
    ClusterView of a cluster's nodes."""
    if definition.scope == "cluster":
        from ..sources.nodes import node_sources, read_nodes
        # no node read is still a verdict: every node's cause in the long output, and perfdata
        return read_nodes(node_sources(opts.node, opts.cluster_file), http_settings(opts),
                          opts.max_age, now, require_one=False)
    if definition.scope == "reachability":
        from ..sources import read_or_unreadable
        return read_or_unreadable(single_source(opts), now)
    from ..sources import read_single_state
    return read_single_state(single_source(opts), now)


def run(definition, argv=None, now=None, out=None, read=read, output_format=DEFAULT_FORMAT):
    """Run a check in-process; print its output; return the exit code.

    -t covers everything from the first byte of I/O: the config file is read
    under it (a timeout set there applies from then on), then the state, then
    the judge. ``read(definition, opts, now)`` is the acquisition (tests give
    their own). ``output_format`` applies when neither the command line nor
    --config names one; a usage error is printed in the format the command
    line names, if it names a known one.
    """
    out = out or sys.stdout
    argv = sys.argv[1:] if argv is None else list(argv)
    verbose = _count_verbose(argv)
    presenter = renderer(_format_given(argv) or output_format)
    try:
        opts = parse_command_line(definition, argv)
    except HelpOrVersion as text:
        out.write(str(text) if str(text).endswith("\n") else "%s\n" % text)
        return UNKNOWN
    except UsageError as exc:
        return _unknown(definition, presenter, out, exc)
    except Exception as exc:
        return _internal(definition, presenter, out, exc, verbose)
    presenter = renderer(opts.output_format or output_format)

    started = time.monotonic()
    opts.deadline = started + opts.timeout
    try:
        with _deadline(opts.timeout) as alarm:
            if opts.config:
                _apply_config(definition, opts, argv)
                opts.deadline = started + opts.timeout
                alarm.rearm(opts.deadline - time.monotonic(), opts.timeout)
                presenter = renderer(opts.output_format or output_format)
            at = now or utcnow()
            state = _read(definition, read, opts, at)
            result = evaluate(definition, state, settings_of(definition, vars(opts)), at,
                              opts.verbose, opts.runbook_url,
                              parts=getattr(presenter, "WANTS_PARTS", False))
    except (TgmonError, CheckTimeout) as exc:
        return _unknown(definition, presenter, out, exc)
    except KeyboardInterrupt:   # here the config file's format is known
        return _unknown(definition, presenter, out, INTERRUPTED)
    except Exception as exc:
        return _internal(definition, presenter, out, exc,
                         max(verbose, getattr(opts, "verbose", 0)))
    out.write(presenter.render(definition, result))
    return result.code


def _read(definition, read, opts, now):
    """The state, read in a thread: no signal cuts a DNS lookup or a hung mount short."""
    try:
        return bounded.call(lambda: read(definition, opts, now),
                            opts.deadline - DEADLINE_MARGIN)
    except bounded.Overdue:
        raise CheckTimeout(*_overdue(definition, opts)) from None


def _overdue(definition, opts):
    """(cause, fix) when reading the state did not finish within -t."""
    limit = _fmt_seconds(opts.timeout)
    url = getattr(opts, "url", None)
    if url:
        from ..safeio.urls import redact_url   # urllib: only on this path
        return ("no answer from %s within -t %s s" % (redact_url(url), limit),
                "check DNS, the exporter and the network, or raise -t")
    if definition.scope == "cluster":
        return ("the nodes were not read within -t %s s" % limit,
                "check the nodes' exporters and the network, or raise -t")
    return ("reading the state dir %s took longer than -t %s s"
            % (getattr(opts, "state_dir", "?"), limit),
            "check its file system (a hung mount?)")


def _apply_config(definition, opts, argv):
    from .configure import apply_config
    try:
        bounded.call(lambda: apply_config(definition, opts, argv),
                     opts.deadline - DEADLINE_MARGIN)
    except bounded.Overdue:
        raise CheckTimeout("reading the config file %s did not finish within -t %s s"
                           % (opts.config, _fmt_seconds(opts.timeout)),
                           "check the file system holding it (a hung network mount?)") from None


def main(definition):
    """Run the plugin as a console script: its output, then exit 0-3."""
    out = io.StringIO()
    try:
        code = run(definition, out=out)
    except KeyboardInterrupt:  # must not leak a traceback or exit code 130
        out = io.StringIO()
        code = _unknown(definition, _given_renderer(), out, INTERRUPTED)
    except Exception as exc:  # a bug outside run's own guards: still one line, exit 3
        out = io.StringIO()
        code = _internal(definition, _given_renderer(), out, exc,
                         _count_verbose(sys.argv[1:]))
    code = code if code in (0, 1, 2, 3) else UNKNOWN
    # bytes, so that no locale or stdout encoding can make writing fail; a stdout
    # that is closed, broken or full takes nothing, and the exit code stands
    write_stdout(out.getvalue().encode("utf-8", "replace"))
    # A check writes nothing and holds nothing: skip the interpreter's
    # teardown of every module (a measurable share of a ~60 ms run).
    os._exit(code)


def _given_renderer():
    """The renderer of the format the command line names (the config file's is not
    known when run() did not finish), else the default."""
    return renderer(_format_given(sys.argv[1:]) or DEFAULT_FORMAT)


def _unknown(definition, presenter, out, error):
    """One line: the cause and the fix; a long cause is cut, never the fix."""
    if isinstance(error, TgmonError) and error.fix:
        result = failure_result(definition, error.cause, error.fix)
    else:
        result = failure_result(definition, str(error))
    out.write(presenter.render(definition, result))
    return UNKNOWN


def _internal(definition, presenter, out, exc, verbose):
    import traceback   # only on this path: a share of every plugin's start otherwise
    lines = traceback.format_exc().splitlines() if verbose >= 3 else []
    cause = "internal error: %s: %s" % (type(exc).__name__, sanitize(str(exc))[:200])
    # within the first line's budget in every format, the fix kept
    result = failure_result(definition, cause, "rerun with -vvv and report it")
    out.write(presenter.render(definition, result._replace(details=tuple(lines))))
    return UNKNOWN


def _format_given(argv):
    """The output format the command line names (the last --output-format, as argparse
    takes it), read before parsing so that even a usage error is printed in it; None
    when it names none or one that does not exist (whose error the default format
    prints)."""
    given = None
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--output-format" and index + 1 < len(argv):
            given = argv[index + 1]
        elif arg.startswith("--output-format="):
            given = arg.partition("=")[2]
    if given is None:
        return None
    given = given.lower()
    return given if given in formats() else None


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

"""A node's state -> its metrics: the facts (``registry``) and the verdicts, each
check's as its plugin would say it with its default options.

The judging is ``tgmon.runtime.evaluate``, the one way the plugins and the
simulator's timeline reach a status. A state that cannot be read, or is stale
or from the future (the plugins' default --max-age), is judged as the plugins
judge it: every check UNKNOWN, check_reachable CRITICAL with the cause; the
facts of a stale state are still there (its generated time shows its age).
"""

from ..checks.registry import ALL_CHECKS
from ..errors import SourceError, TgmonError
from ..options import DEFAULT_MAX_AGE, default_settings
from ..runtime import Result, evaluate
from ..sources import Unreadable
from ..state.freshness import check_freshness
from ..timeutil import parse_duration
from ..verdict import UNKNOWN
from .exposition import exposition
from .registry import BASE_LABELS, METRICS, Judged

# every check of one node: the single-node checks, check_tightgate, check_reachable
NODE_CHECKS = tuple(d for d in ALL_CHECKS if d.scope != "cluster")
MAX_AGE = parse_duration(DEFAULT_MAX_AGE)
_settings = {}


def settings(definition):
    """The definition's default settings, built once (a parser each time costs ~1 ms)."""
    if definition.prog not in _settings:
        _settings[definition.prog] = default_settings(definition)
    return _settings[definition.prog]


def view_of(read, now, source="-"):
    """The Judged view of the state ``read()`` returns, or of the TgmonError it raises."""
    try:
        state = read()
    except TgmonError as exc:
        return unreadable(exc, now, source)
    return judge(state, now, source)


def overdue(state_dir, seconds):
    """The cause when reading the state dir took longer than ``seconds``."""
    return SourceError("reading the state dir %s took longer than %g s" % (state_dir, seconds),
                       "check its file system (a hung mount?)")


def within(read, seconds, state_dir, deadline=None):
    """``read()`` if it ends within ``seconds`` (by ``deadline`` when given: what is
    left of them), else ``overdue``: a hung mount is a cause, not a hang (the read
    keeps its daemon thread until the kernel lets go)."""
    import time
    from ..safeio import bounded
    try:
        return bounded.call(read, deadline or time.monotonic() + seconds)
    except bounded.Overdue:
        raise overdue(state_dir, seconds) from None


def judge(state, now, source="-"):
    """The Judged view of ``state`` at ``now``: every node check evaluated, or (stale,
    future) judged as not readable, as the plugins do."""
    try:
        check_freshness(state, now, MAX_AGE)
    except SourceError as exc:
        return _unjudged(state, None, Unreadable(source, exc.cause, exc.fix), now)
    return _judged(state, None, {d.short_name: evaluate(d, state, settings(d), now)
                                 for d in NODE_CHECKS}, now)


def unreadable(error, now, source="-"):
    """The Judged view of a state that could not be read (a TgmonError)."""
    return _unjudged(None, error.cause, Unreadable(source, error.cause, error.fix), now)


def _unjudged(state, cause, subject, now):
    """Every check UNKNOWN but check_reachable, which words ``subject`` (an Unreadable)."""
    return _judged(state, cause, {
        d.short_name: evaluate(d, subject, settings(d), now) if d.scope == "reachability"
        else Result(UNKNOWN, subject.cause) for d in NODE_CHECKS}, now)


def _judged(state, cause, results, now):
    """The view, with the status of every finding of each check that judged (0 for a
    finding it did not report); check_tightgate's are its aspects', so not again."""
    findings = []
    for definition in NODE_CHECKS:
        verdict = results[definition.short_name].verdict
        if verdict is None or definition.scope == "all-in-one":
            continue
        statuses = dict.fromkeys(definition.runbook_ids, 0)
        for finding in verdict.findings:    # only a problem has a runbook id (test_runbooks)
            if finding.condition in statuses:
                statuses[finding.condition] = max(statuses[finding.condition], finding.status)
        findings.extend(((definition.short_name, name), status)
                        for name, status in statuses.items())
    return Judged(state, cause, results, tuple(findings), now)


def families(view):
    """[(name, kind, help, samples)] of every metric of the registry for ``view``."""
    state = view.state
    base = tuple(zip(BASE_LABELS, (state.node.name, state.node.cluster or "", state.node.role))
                 ) if state is not None else ()
    found = []
    for metric in METRICS:
        head = base if metric.per_node else ()
        found.append((metric.name, metric.kind, metric.help,
                      [(head + tuple(zip(metric.labels, values)), value)
                       for values, value in metric.samples(view)]))
    return found


def metrics_text(view):
    """The Prometheus text of ``view``."""
    return exposition(families(view))

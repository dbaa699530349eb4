"""check_update_lock: the update lock blocks every update run (R9)."""

from . import hints
from ..model import marker_reason
from .definition import CheckDefinition
from ..timeutil import describe_since
from ..verdict import CRITICAL, OK, Condition, Finding, Perf, Verdict, severity_of

UPDATE_LOCK = Condition("update-lock", CRITICAL, "the update lock is set (R9)")


def judge(state, opts, now):
    lock = state.flags.update_lock
    findings = []
    if lock.is_set:
        reason = marker_reason(lock)
        text = "update lock set since %s%s - every update run is blocked" % (
            describe_since(lock.since, now), ": %s" % reason if reason else "")
        if state.node.role == "cluster-node":
            text += "; the updates of the whole cluster %s are halted" % state.node.cluster
        text += "; fix the cause, then %s" % hints.REMOVE_LOCK
        details = list(lock.lines[1:])
        run = state.last_update_run
        if run is not None and run.result == "failed":
            details.append("last update run (%s) failed %s: %s" % (
                run.kind, describe_since(run.end or run.start, now), run.message or ""))
        if state.schedule.disabled_by_failure is not None:
            details.append("scheduled download and update were switched off by the failure "
                           "(R6); re-activate them after removing the lock")
        findings.append(Finding(UPDATE_LOCK.name, severity_of(opts, UPDATE_LOCK.name),
                                text, tuple(details)))
    else:
        findings.append(Finding(UPDATE_LOCK.name, OK, "no update lock" + _last_run(state, now)))
    age = int(max(0, (now - lock.since).total_seconds())) if lock.is_set else 0
    return Verdict(tuple(findings), (
        Perf("update_lock", 1 if lock.is_set else 0, "", None, 0, 0, 1),
        Perf("update_lock_age", age, "s", None, None, 0),
    ))


def _last_run(state, now):
    run = state.last_update_run
    if run is None:
        return ""
    if run.end is None:
        return "; %s update run in progress since %s" % (run.kind, describe_since(run.start, now))
    return "; last %s update run %s %s" % (run.kind, run.result, describe_since(run.end, now))


DEFINITION = CheckDefinition(
    name="UPDATE_LOCK", prog="check_update_lock",
    description="Checks whether the update lock of a TightGate-Pro node is set: it blocks "
                "every scheduled update and Auto-Update, and in a cluster it halts the "
                "updates of every node (R9).",
    judge=judge, conditions=(UPDATE_LOCK,))


main = DEFINITION.main

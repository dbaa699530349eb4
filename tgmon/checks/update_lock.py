"""check_update_lock: the update lock blocks every update run (R9)."""

from . import hints
from ..state.freshness import known_age, known_since, since_detail, since_text
from .definition import CheckDefinition
from .words import run_kind, run_result
from ..timeutil import describe_since, short_time
from ..verdict import CRITICAL, OK, Condition, Finding, Perf, Verdict, severity_of

UPDATE_LOCK = Condition("update-lock", CRITICAL, "the update lock is set (R9)")


def judge(state, settings, now):
    lock = state.flags.update_lock
    findings = []
    if lock.is_set:
        if state.node.role == "cluster-node":
            text = "update lock since %s, cluster %s halted" % (
                since_text(lock.since, now), state.node.cluster)
        else:
            text = "update lock since %s, every update run blocked" % since_text(lock.since, now)
        details = ["set %s" % since_detail(lock.since, now)]
        details.extend("reason: %s" % line for line in lock.lines)
        if state.node.role == "cluster-node":
            details.append("no node of cluster %s starts a scheduled update while a node holds "
                           "the lock" % state.node.cluster)
        run = state.last_update_run
        if run is not None and run.result == "failed":
            details.append("last update run (%s) failed %s: %s" % (
                run_kind(run), describe_since(run.end or run.start, now), run.message or ""))
        if state.schedule.disabled_by_failure is not None:
            details.append("scheduled download and update were switched off by the failure; "
                           "switch them on again after removing the lock")
        findings.append(Finding(UPDATE_LOCK.name, severity_of(settings, UPDATE_LOCK.name),
                                text, tuple(details), "fix the cause, then %s" % hints.REMOVE_LOCK,
                                since=known_since(lock.since, now)))
    else:
        findings.append(Finding(UPDATE_LOCK.name, OK, "no update lock" + _last_run(state, now)))
    age = known_age(lock.since, now) if lock.is_set else 0
    perfdata = (Perf("update_lock", 1 if lock.is_set else 0, "", None, 0, 0, 1),)
    if age is not None:   # an unknown age is left out, never shown as 0
        perfdata += (Perf("update_lock_age", age, "s", None, None, 0),)
    return Verdict(tuple(findings), perfdata)


def _last_run(state, now):
    run = state.last_update_run
    if run is None:
        return ""
    if run.end is None:
        return ", %s run in progress since %s" % (run_kind(run), short_time(run.start, now))
    return ", the %s run of %s %s" % (run_kind(run), short_time(run.end, now), run_result(run))


DEFINITION = CheckDefinition(
    name="UPDATE_LOCK", prog="check_update_lock",
    description="Checks whether the update lock of a TightGate-Pro node is set: it blocks "
                "every scheduled update and Auto-Update, and in a cluster it halts the "
                "updates of every node (R9).",
    judge=judge, conditions=(UPDATE_LOCK,),
    notes="The update lock of the node: while it is set no update runs, in a cluster on "
          "no node.")

"""check_maintenance: maintenance mode, planned maintenance, VNC login (R7, R11, R14)."""

from datetime import timedelta

from . import hints
from ..state.lifecycle import NOTICE_LEAD
from .definition import CheckDefinition, Option
from .words import run_kind
from ..timeutil import describe_since, format_duration, short_time
from ..verdict import (CRITICAL, OK, WARNING, Condition, Finding, Perf, Verdict, clip,
                       severity_of)

MAINTENANCE_ACTIVE = Condition("maintenance-active", WARNING, "maintenance mode is active")
MAINT_ONLY = Condition("maint-only", CRITICAL,
                       "the maintenance mode can be ended only by admin maint (R7)")
# not within NOTICE_LEAD before a planned maintenance: there it is the manual's order (R14)
VNC_DISABLED = Condition("vnc-disabled", WARNING,
                         "VNC login is disabled while no maintenance is active")
# maintenance mode on longer than --critical-age
MAINTENANCE_OVERDUE = "maintenance-overdue"
NOTICE_SECONDS = NOTICE_LEAD.total_seconds()
LOGINS_BLOCKED = ("new client logins blocked: a single system blocks them right before its "
                  "update starts; they are released when it ends well or the maintenance ends")


OPTIONS = (
    Option("--critical-age", "age", "12h", "CRITICAL when maintenance mode has been active"),
)


def judge(state, settings, now):
    maint = state.maintenance
    findings = []
    age = int(max(0, (now - maint.since).total_seconds())) if maint.active else 0
    if maint.active:
        reason = ": %s" % clip(maint.reason, 32) if maint.reason else ""
        details = ["active since %s%s" % (describe_since(maint.since, now),
                                          ": %s" % maint.reason if maint.reason else "")]
        out_of_balancing = state.cluster and not state.cluster.in_load_balancing
        if state.node.role == "cluster-node" and out_of_balancing:
            details.append("out of load balancing: the node gets no new users")
        details.append("%d user sessions active" % state.active_sessions)
        if state.new_logins_blocked:
            details.append(LOGINS_BLOCKED)
        failed = _failed_run(state, maint, now)
        if failed and not maint.only_maint_may_end:
            details.append(failed)
        if maint.only_maint_may_end:
            details.append("the update download failed for good; the node stays in maintenance "
                           "until admin maint ends it")
            findings.append(Finding(
                MAINT_ONLY.name, severity_of(settings, MAINT_ONLY.name),
                "maintenance since %s after a failed download, only admin maint ends it"
                % short_time(maint.since, now), tuple(details),
                "remove the update lock, then end it as admin maint", since=maint.since))
        elif age >= settings.critical_age:
            findings.append(Finding(
                MAINTENANCE_OVERDUE, CRITICAL, "maintenance mode for %s, longer than %s%s"
                % (format_duration(age), format_duration(settings.critical_age), reason),
                tuple(details), "end it when the work is done: %s" % hints.MAINTENANCE,
                since=maint.since))
        else:
            findings.append(Finding(
                MAINTENANCE_ACTIVE.name, severity_of(settings, MAINTENANCE_ACTIVE.name),
                "maintenance mode since %s%s" % (short_time(maint.since, now), reason),
                tuple(details), _how_it_ends(maint.planned, failed, now), since=maint.since))
    planned = maint.planned
    vnc_off = state.vnc_login_disabled and not maint.active
    if planned is not None and not maint.active:
        until = planned.start - now
        window = "planned maintenance %s%s%s" % (
            short_time(planned.start, now),
            " until %s" % short_time(planned.end, now) if planned.end else "",
            ": %s" % clip(planned.reason, 32) if planned.reason else "")
        details = ("planned for %s%s" % (describe_since(planned.start, now),
                                          ": %s" % planned.reason if planned.reason else ""),)
        if timedelta(0) < until <= NOTICE_LEAD:
            if vnc_off:   # the manual's order: admin maint disables it while planning
                vnc_off = False
                window += ", VNC login disabled for it"
                details += ("VNC login is disabled ahead of the planned maintenance, as admin "
                            "maint does when planning it: expected within %s before its start; "
                            "enable it again afterwards" % format_duration(NOTICE_SECONDS),)
            findings.append(Finding("planned-notice", OK, window + ", users are being notified",
                                    details))
        elif until > NOTICE_LEAD:
            findings.append(Finding("planned", OK, window, details))
    if vnc_off:
        early = ()
        if planned is not None and planned.start - now > NOTICE_LEAD:
            early = ("the planned maintenance begins only %s: VNC login disabled more than %s "
                     "ahead keeps users out until then" % (describe_since(planned.start, now),
                                                          format_duration(NOTICE_SECONDS)),)
        findings.append(Finding(VNC_DISABLED.name, severity_of(settings, VNC_DISABLED.name),
                                "VNC login disabled outside maintenance, nobody can log in",
                                early, hints.VNC_LOGIN))
    if not findings:
        findings.append(Finding(MAINTENANCE_ACTIVE.name, OK, "no maintenance mode",
                                (LOGINS_BLOCKED,) if state.new_logins_blocked else ()))
    return Verdict(tuple(findings), (
        Perf("maintenance", 1 if maint.active else 0, "", None, None, 0, 1),
        Perf("maintenance_age", age, "s", None, int(settings.critical_age), 0),
        Perf("vnc_login_disabled", 1 if state.vnc_login_disabled else 0, "", None, None, 0, 1),
        Perf("active_sessions", state.active_sessions, "", None, None, 0),
    ))


def _failed_run(state, maint, now):
    """A line on the update run that failed while this maintenance mode was on, or None:
    after a failed run the maintenance mode stays (R9), it does not end with the update."""
    run = state.last_update_run
    if run is None or run.result != "failed" or run.end is None or run.end < maint.since:
        return None
    return "the %s run failed %s: %s; the maintenance mode stays until an admin ends it" % (
        run_kind(run), describe_since(run.end, now), run.message or "")


def _how_it_ends(planned, failed, now):
    """The next step while maintenance mode is on: after a failed update it stays (R9);
    a planned one ends as admin maint planned it (R14); else the update's own ends
    when the update is done (R11, R12)."""
    if failed:
        return "the update failed, it stays: fix the cause, then end it as admin maint"
    if planned is None or planned.start > now:
        return "it ends after the update, else end it as admin maint"
    if planned.end is not None:
        return "planned until %s, admin maint ends it" % short_time(planned.end, now)
    return "planned, admin maint ends it when the work is done"


DEFINITION = CheckDefinition(
    name="MAINTENANCE", prog="check_maintenance",
    description="Checks the maintenance mode of a TightGate-Pro node (as the appliance's own "
                "check_maint), planned maintenance and whether VNC login is disabled.",
    judge=judge, options=OPTIONS, conditions=(MAINTENANCE_ACTIVE, MAINT_ONLY, VNC_DISABLED),
    findings=(MAINTENANCE_OVERDUE,),
    notes="Maintenance mode of the node, planned maintenance and whether VNC login is "
          "disabled.")

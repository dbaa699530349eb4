"""check_maintenance: maintenance mode, planned maintenance, VNC login (R7, R11, R14)."""

from datetime import timedelta

from . import hints
from ..lifecycle import NOTICE_LEAD
from ..runtime.options import add_age_option
from .definition import CheckDefinition
from ..timeutil import describe_since, format_duration
from ..verdict import CRITICAL, OK, WARNING, Condition, Finding, Perf, Verdict, severity_of

MAINTENANCE_ACTIVE = Condition("maintenance-active", WARNING, "maintenance mode is active")
MAINT_ONLY = Condition("maint-only", CRITICAL,
                       "the maintenance mode can be ended only by admin maint (R7)")
VNC_DISABLED = Condition("vnc-disabled", WARNING,
                         "VNC login is disabled while no maintenance is active")
DEFAULT_CRITICAL_AGE = "12h"


def add_arguments(group):
    add_age_option(group, "--critical-age", DEFAULT_CRITICAL_AGE,
                   "CRITICAL when maintenance mode has been active")


def judge(state, opts, now):
    maint = state.maintenance
    findings = []
    age = int(max(0, (now - maint.since).total_seconds())) if maint.active else 0
    if maint.active:
        what = "maintenance mode since %s%s" % (describe_since(maint.since, now),
                                                ": %s" % maint.reason if maint.reason else "")
        if state.node.role == "cluster-node" and state.cluster and not state.cluster.in_load_balancing:
            what += ", out of load balancing"
        if maint.only_maint_may_end:
            findings.append(Finding(MAINT_ONLY.name, severity_of(opts, MAINT_ONLY.name),
                                    "%s; only admin maint can end it (R7: the update download "
                                    "failed for good) - fix the download, %s, then end it: %s"
                                    % (what, hints.REMOVE_LOCK, hints.MAINTENANCE)))
        elif age >= opts.critical_age:
            findings.append(Finding("maintenance-overdue", CRITICAL, "%s, longer than %s - "
                                    "end it when the work is done: %s"
                                    % (what, format_duration(opts.critical_age),
                                       hints.MAINTENANCE)))
        else:
            findings.append(Finding(MAINTENANCE_ACTIVE.name,
                                    severity_of(opts, MAINTENANCE_ACTIVE.name),
                                    "%s - it ends after the update; otherwise end it: %s"
                                    % (what, hints.MAINTENANCE)))
    planned = maint.planned
    if planned is not None and not maint.active:
        until = planned.start - now
        window = "planned maintenance %s%s%s" % (
            describe_since(planned.start, now),
            " until %s" % planned.end.astimezone(now.tzinfo).strftime("%Y-%m-%d %H:%M")
            if planned.end else "", ": %s" % planned.reason if planned.reason else "")
        if timedelta(0) < until <= NOTICE_LEAD:
            findings.append(Finding("planned", OK, window + " (users are being notified)"))
        elif until > NOTICE_LEAD:
            findings.append(Finding("planned", OK, window))
    if state.vnc_login_disabled and not maint.active:
        findings.append(Finding(VNC_DISABLED.name, severity_of(opts, VNC_DISABLED.name),
                                "VNC login disabled but no maintenance is active - users cannot "
                                "log in to this node: %s" % hints.VNC_LOGIN))
    if not findings:
        findings.append(Finding(MAINTENANCE_ACTIVE.name, OK, "no maintenance mode"))
    return Verdict(tuple(findings), (
        Perf("maintenance", 1 if maint.active else 0, "", None, None, 0, 1),
        Perf("maintenance_age", age, "s", None, int(opts.critical_age), 0),
        Perf("vnc_login_disabled", 1 if state.vnc_login_disabled else 0, "", None, None, 0, 1),
        Perf("active_sessions", state.active_sessions, "", None, None, 0),
    ))


DEFINITION = CheckDefinition(
    name="MAINTENANCE", prog="check_maintenance",
    description="Checks the maintenance mode of a TightGate-Pro node (as the appliance's own "
                "check_maint), planned maintenance and whether VNC login is disabled.",
    judge=judge, add_arguments=add_arguments,
    conditions=(MAINTENANCE_ACTIVE, MAINT_ONLY, VNC_DISABLED))


main = DEFINITION.main

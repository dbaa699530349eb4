"""Companion checks, table-driven: state in -> exit code, first line, perfdata out."""

from datetime import timedelta

import pytest

from tgmon.state import examples
from tgmon.checks import hotfixes, maintenance, reboot_required, update_lock, update_schedule
from tgmon.checks.registry import SINGLE_NODE_CHECKS, TIGHTGATE
from tgmon.state.model import (Hotfix, Marker, PlannedMaintenance, ScheduledDownload,
                         ScheduledUpdate, UpdateRun)

from helpers import DAY, HOUR, MINUTE, NOW, run_check

HEALTHY = examples.healthy_single(NOW)
NODE = examples.healthy_cluster_node(NOW)
LOCKED = examples.update_locked_cluster_node(NOW)
REMOVE = "fix the cause, then as admin update choose Remove update lock"
INSTALL_HOTFIXES = "install: as admin update open Available hotfixes, then start Auto-Update"
REBOOT = "reboot the node at a quiet time (users are disconnected)"
MAINT = "as admin maint choose Maintenance operation"
SETTINGS = "in the admin update schedule settings"


def with_flags(state, **markers):
    return state._replace(flags=state.flags._replace(**markers))


def with_hotfixes(state, *ages, always=True):
    return state._replace(hotfixes=state.hotfixes._replace(
        available=tuple(Hotfix("HF-%d" % i, "fix %d" % i, NOW - age) for i, age in enumerate(ages)),
        always_install_all=always))


def with_maintenance(state, **fields):
    return state._replace(maintenance=state.maintenance._replace(**fields))


def with_schedule(state, download=None, update=None, off=None):
    return state._replace(schedule=state.schedule._replace(
        download=download or state.schedule.download, update=update or state.schedule.update,
        disabled_by_failure=off))


# the last scheduled run failed an hour ago, during its maintenance
FAILED_RUN = NODE._replace(last_update_run=UpdateRun(
    "scheduled", NOW - 2 * HOUR, NOW - HOUR, "failed", "installation of release 4.12 failed"))

CASES = [
    # (id, definition, state, args, code, first-line text, perfdata)
    ("lock_none", update_lock.DEFINITION, HEALTHY, [], 0,
     "UPDATE_LOCK OK - no update lock, the scheduled run of last Tue 03:10 found no updates",
     "update_lock=0;;0;0;1 update_lock_age=0s;;;0"),
    ("r9_lock_cluster", update_lock.DEFINITION, LOCKED, [], 2,
     "UPDATE_LOCK CRITICAL - update lock since today 03:00, cluster tgc-berlin halted - " + REMOVE,
     "update_lock=1;;0;0;1 update_lock_age=10800s;;;0"),
    ("r9_lock_single_no_reason", update_lock.DEFINITION,
     with_flags(HEALTHY, update_lock=Marker(True, NOW - DAY, ())), [], 2,
     "UPDATE_LOCK CRITICAL - update lock since last Sat 06:00, every update run blocked - " + REMOVE,
     "update_lock=1;;0;0;1 update_lock_age=86400s;;;0"),
    ("r9_lock_severity_warning", update_lock.DEFINITION,
     with_flags(HEALTHY, update_lock=Marker(True, NOW - DAY, ())),
     ["--update-lock-severity", "warning"], 1, None, None),
    ("hotfix_none", hotfixes.DEFINITION, HEALTHY, [], 0, "HOTFIXES OK - no hotfixes pending",
     "hotfix_oldest_age=0s;604800;2592000;0 hotfixes_installed=1;;;0 hotfixes_pending=0;0;;0"),
    ("r15_first_pending_hotfix_warns", hotfixes.DEFINITION, with_hotfixes(HEALTHY, HOUR), [], 1,
     "HOTFIXES WARNING - 1 hotfix pending: HF-0 - " + INSTALL_HOTFIXES,
     "hotfix_oldest_age=3600s;604800;2592000;0 hotfixes_installed=1;;;0 hotfixes_pending=1;0;;0"),
    ("r15_w1_tolerates_one", hotfixes.DEFINITION, with_hotfixes(HEALTHY, HOUR), ["-w", "1"], 0,
     "HOTFIXES OK - 1 hotfix pending: HF-0",
     "hotfix_oldest_age=3600s;604800;2592000;0 hotfixes_installed=1;;;0 hotfixes_pending=1;1;;0"),
    ("r15_two_fresh_warn", hotfixes.DEFINITION, with_hotfixes(HEALTHY, HOUR, 2 * HOUR), [], 1,
     "HOTFIXES WARNING - 2 hotfixes pending: HF-1, HF-0 - " + INSTALL_HOTFIXES,
     "hotfix_oldest_age=7200s;604800;2592000;0 hotfixes_installed=1;;;0 hotfixes_pending=2;0;;0"),
    ("r15_w0_warns_on_one", hotfixes.DEFINITION, with_hotfixes(HEALTHY, HOUR), ["-w", "0", "-c", "3"], 1,
     None, "hotfix_oldest_age=3600s;604800;2592000;0 hotfixes_installed=1;;;0 "
     "hotfixes_pending=1;0;3;0"),
    ("r15_critical_count", hotfixes.DEFINITION, with_hotfixes(HEALTHY, *[HOUR] * 4), ["-c", "3"], 2,
     "HOTFIXES CRITICAL - 4 hotfixes pending: HF-0, HF-1, HF-2, ... - " + INSTALL_HOTFIXES, None),
    ("r15_age_warning_border", hotfixes.DEFINITION, with_hotfixes(HEALTHY, 7 * DAY), ["-w", "1"], 1,
     "HOTFIXES WARNING - hotfix HF-0 pending for 7d, longer than 7d - " + INSTALL_HOTFIXES, None),
    ("r15_age_below_border", hotfixes.DEFINITION, with_hotfixes(HEALTHY, 7 * DAY - timedelta(seconds=1)),
     ["-w", "1"], 0, None, None),
    ("r15_age_critical", hotfixes.DEFINITION, with_hotfixes(HEALTHY, 31 * DAY), [], 2,
     "HOTFIXES CRITICAL - hotfix HF-0 pending for 31d, longer than 30d (+1 more) - "
     + INSTALL_HOTFIXES, None),
    ("reboot_none", reboot_required.DEFINITION, HEALTHY, [], 0, "REBOOT OK - no reboot required",
     "reboot_pending_age=0s;;86400;0 reboot_required=0;;;0;1"),
    ("r13_reboot_required", reboot_required.DEFINITION, examples.reboot_required_single(NOW), [], 1,
     "REBOOT WARNING - reboot required since today 01:00, the new kernel runs only after it - "
     + REBOOT, "reboot_pending_age=18000s;;86400;0 reboot_required=1;;;0;1"),
    ("r13_reboot_at_critical_age", reboot_required.DEFINITION,
     with_flags(HEALTHY, reboot_required=Marker(True, NOW - DAY, ("linux-image",))), [], 2,
     "REBOOT CRITICAL - reboot required for 1d, longer than 1d - " + REBOOT,
     "reboot_pending_age=86400s;;86400;0 reboot_required=1;;;0;1"),
    ("r13_reboot_severity_critical", reboot_required.DEFINITION, examples.reboot_required_single(NOW),
     ["--reboot-required-severity", "critical"], 2, None, None),
    ("r13_many_packages", reboot_required.DEFINITION,
     with_flags(HEALTHY, reboot_required=Marker(True, NOW - HOUR, tuple("p%d" % i for i in range(5)))),
     [], 1, "REBOOT WARNING - reboot required since today 05:00, the new kernel runs only after it - "
     + REBOOT, None),
    ("maint_none", maintenance.DEFINITION, HEALTHY, [], 0, "MAINTENANCE OK - no maintenance mode",
     "active_sessions=17;;;0 maintenance=0;;;0;1 maintenance_age=0s;;43200;0 "
     "vnc_login_disabled=0;;;0;1"),
    ("r14_planned_within_2h", maintenance.DEFINITION, with_maintenance(HEALTHY, planned=PlannedMaintenance(
        NOW + HOUR, NOW + 3 * HOUR, "hardware")), [], 0,
     "MAINTENANCE OK - planned maintenance today 07:00 until today 09:00: hardware, users are being "
     "notified", None),
    ("r11_maintenance_active", maintenance.DEFINITION, with_maintenance(
        NODE, active=True, since=NOW - HOUR, reason="scheduled update at 03:00"), [], 1,
     "MAINTENANCE WARNING - maintenance mode since today 05:00: scheduled update at 03:00 - it "
     "ends after the update, else end it as admin maint",
     "active_sessions=17;;;0 maintenance=1;;;0;1 maintenance_age=3600s;;43200;0 "
     "vnc_login_disabled=0;;;0;1"),
    ("r14_planned_maintenance_running", maintenance.DEFINITION, with_maintenance(
        NODE, active=True, since=NOW - HOUR, reason="hardware",
        planned=PlannedMaintenance(NOW - HOUR, NOW + HOUR, "hardware")), [], 1,
     "MAINTENANCE WARNING - maintenance mode since today 05:00: hardware - planned until today "
     "07:00, admin maint ends it", None),
    ("r14_planned_maintenance_running_without_end", maintenance.DEFINITION, with_maintenance(
        NODE, active=True, since=NOW - HOUR, reason="hardware",
        planned=PlannedMaintenance(NOW - HOUR, None, "hardware")), [], 1,
     "MAINTENANCE WARNING - maintenance mode since today 05:00: hardware - planned, admin maint "
     "ends it when the work is done", None),
    ("r9_maintenance_after_a_failed_run", maintenance.DEFINITION, with_maintenance(
        FAILED_RUN, active=True, since=NOW - 2 * HOUR,
        reason="scheduled update failed: installation error"), [], 1,
     "MAINTENANCE WARNING - maintenance mode since today 04:00: scheduled update failed... - "
     "the update failed, it stays: fix the cause, then end it as admin maint", None),
    ("r14_vnc_disabled_for_the_planned_maintenance", maintenance.DEFINITION, with_maintenance(
        NODE._replace(vnc_login_disabled=True),
        planned=PlannedMaintenance(NOW + HOUR, None, "update 4.12")), [], 0,
     "MAINTENANCE OK - planned maintenance today 07:00: update 4.12, VNC login disabled for it, "
     "users are being notified",
     "active_sessions=17;;;0 maintenance=0;;;0;1 maintenance_age=0s;;43200;0 "
     "vnc_login_disabled=1;;;0;1"),
    ("r14_vnc_disabled_at_the_notice_border", maintenance.DEFINITION, with_maintenance(
        NODE._replace(vnc_login_disabled=True),
        planned=PlannedMaintenance(NOW + 2 * HOUR, None, "update 4.12")), [], 0, None, None),
    ("r14_vnc_disabled_too_early_for_the_plan", maintenance.DEFINITION, with_maintenance(
        NODE._replace(vnc_login_disabled=True),
        planned=PlannedMaintenance(NOW + 2 * HOUR + MINUTE, None, "update 4.12")), [], 1,
     "MAINTENANCE WARNING - VNC login disabled outside maintenance, nobody can log in - as admin "
     "maint enable VNC login", None),
    ("maintenance_overdue", maintenance.DEFINITION, with_maintenance(
        HEALTHY, active=True, since=NOW - 12 * HOUR, reason="hardware"), [], 2,
     "MAINTENANCE CRITICAL - maintenance mode for 12h, longer than 12h: hardware - end it when "
     "the work is done: " + MAINT, None),
    ("r7_maint_only", maintenance.DEFINITION, LOCKED, [], 2,
     "MAINTENANCE CRITICAL - maintenance since today 03:00 after a failed download, only admin "
     "maint ends it - remove the update lock, then end it as admin maint",
     "active_sessions=0;;;0 maintenance=1;;;0;1 maintenance_age=10800s;;43200;0 "
     "vnc_login_disabled=0;;;0;1"),
    ("r14_vnc_disabled_outside", maintenance.DEFINITION, NODE._replace(vnc_login_disabled=True), [], 1,
     "MAINTENANCE WARNING - VNC login disabled outside maintenance, nobody can log in - as admin "
     "maint enable VNC login", None),
    ("r14_vnc_disabled_in_maintenance_ok_severity", maintenance.DEFINITION, with_maintenance(
        NODE._replace(vnc_login_disabled=True), active=True, since=NOW, reason="planned"),
     ["--maintenance-active-severity", "ok"], 0, None, None),
    ("schedule_healthy", update_schedule.DEFINITION, HEALTHY, [], 0,
     "SCHEDULE OK - scheduled update Tue 03:00, download Tue 01:30 (1h 30m before)",
     "download_lead=5400s;3600:;;0 scheduled_download_active=1;;;0;1 "
     "scheduled_update_active=1;;;0;1 switched_off_by_failure=0;;0;0;1"),
    ("r6_switched_off", update_schedule.DEFINITION, LOCKED, [], 2,
     "SCHEDULE CRITICAL - schedule switched off since today 03:00 by a failed download - fix the "
     "download, remove the update lock, switch the schedule on",
     "download_lead=0s;;;0 scheduled_download_active=0;;;0;1 scheduled_update_active=0;;;0;1 "
     "switched_off_by_failure=1;;0;0;1"),
    ("r3_short_lead", update_schedule.DEFINITION, with_schedule(
        HEALTHY, download=ScheduledDownload(True, "tuesday", "02:30", None)), [], 1,
     "SCHEDULE WARNING - download Tue 02:30 starts only 30m before the update Tue 03:00 - move "
     "it 1h 30m earlier " + SETTINGS, None),
    ("r3_lead_exactly_1h_ok", update_schedule.DEFINITION, with_schedule(
        HEALTHY, download=ScheduledDownload(True, "tuesday", "02:00", None)), [], 0,
     "SCHEDULE OK - scheduled update Tue 03:00, download Tue 02:00 (1h before)", None),
    ("r3_lead_across_midnight", update_schedule.DEFINITION, with_schedule(
        HEALTHY, download=ScheduledDownload(True, "monday", "23:30", None),
        update=ScheduledUpdate(True, "tuesday", "00:30")), [], 0, None,
     "download_lead=3600s;3600:;;0 scheduled_download_active=1;;;0;1 "
     "scheduled_update_active=1;;;0;1 switched_off_by_failure=0;;0;0;1"),
    ("r3_download_end_past_update", update_schedule.DEFINITION, with_schedule(
        HEALTHY, download=ScheduledDownload(True, "tuesday", "01:30", "03:15")), [], 1,
     "SCHEDULE WARNING - download may run until 03:15, past the update start Tue 03:00 - end "
     "it before the update " + SETTINGS, None),
    ("r16_cluster_lock_yes", update_schedule.DEFINITION, NODE._replace(
        cluster=NODE.cluster._replace(update_lock=True)), [], 1,
     "SCHEDULE WARNING - Cluster-wide update lock is yes, the scheduled update Tue 03:00 will "
     "not run - set it to no in the cluster settings", None),
    ("r16_cluster_lock_yes_update_off", update_schedule.DEFINITION, with_schedule(NODE._replace(
        cluster=NODE.cluster._replace(update_lock=True)),
        update=ScheduledUpdate(False, "tuesday", "03:00")), [], 0,
     "SCHEDULE OK - no scheduled update, Auto-Update only", None),
    ("r15_not_all_hotfixes", update_schedule.DEFINITION, with_hotfixes(HEALTHY, always=False), [], 1,
     "SCHEDULE WARNING - Always install all hotfixes is no, update runs skip unselected "
     "hotfixes - as admin update set Always install all hotfixes to yes", None),
    ("r15_not_all_hotfixes_severity_ok", update_schedule.DEFINITION, with_hotfixes(HEALTHY, always=False),
     ["--always-install-all-off-severity", "ok"], 0, None, None),
    ("tightgate_healthy", TIGHTGATE, HEALTHY, [], 0,
     "TIGHTGATE OK - tg-single: all %d aspects OK (%s)" % (
         len(SINGLE_NODE_CHECKS), ", ".join(d.name for d in SINGLE_NODE_CHECKS)), None),
    ("tightgate_locked", TIGHTGATE, LOCKED, [], 2,
     "TIGHTGATE CRITICAL - UPDATE_LOCK: update lock since today 03:00, cluster... "
     "(+3 more) - " + REMOVE, None),
    ("r8_tightgate_keeps_the_since", TIGHTGATE,
     with_flags(HEALTHY, warn_flag=Marker(True, NOW - 4 * HOUR, ("proxy refused",))), [], 1,
     "TIGHTGATE WARNING - VERSIONS: Update download failed since today 02:00 - check the "
     "update server access, then as admin update choose Download", None),
    ("tightgate_prefixed_options", TIGHTGATE, with_hotfixes(HEALTHY, HOUR),
     ["--hotfixes-warning", "0", "--versions-warn-flag-severity", "ok"], 1,
     "TIGHTGATE WARNING - HOTFIXES: 1 hotfix pending: HF-0 - " + INSTALL_HOTFIXES, None),
    ("tightgate_prefixed_tolerance", TIGHTGATE, with_hotfixes(HEALTHY, HOUR),
     ["--hotfixes-warning", "1"], 0, None, None),
]


@pytest.mark.parametrize("name, definition, state, args, code, text, perfdata", CASES,
                         ids=[c[0] for c in CASES])
def test_companion_check(state_dir, name, definition, state, args, code, text, perfdata):
    outcome = run_check(definition, ["--state-dir", state_dir(state)] + args)
    assert outcome.code == code, outcome.output
    assert len(outcome.shown) <= 160, outcome.text
    if text is not None:
        assert outcome.text == text
    else:
        assert outcome.text.startswith("%s %s - " % (definition.name,
                                                      ("OK", "WARNING", "CRITICAL")[code]))
    if perfdata is not None:
        assert outcome.perfdata == perfdata


def test_tightgate_long_output_has_one_line_per_aspect(state_dir):
    outcome = run_check(TIGHTGATE, ["--state-dir", state_dir(LOCKED)])
    aspects = [line.split(" ", 2)[:2] for line in outcome.lines[1:] if line.startswith("[")]
    problems = [["[CRITICAL]", "UPDATE_LOCK:"], ["[CRITICAL]", "MAINTENANCE:"],
                ["[CRITICAL]", "SCHEDULE:"], ["[WARNING]", "VERSIONS:"]]
    healthy = [["[OK]", d.name + ":"] for d in SINGLE_NODE_CHECKS
               if d.name not in ("UPDATE_LOCK", "MAINTENANCE", "SCHEDULE", "VERSIONS")]
    assert aspects == problems + healthy   # worst first, then in the registry's order
    assert "    reason: scheduled update failed: download failed in both rounds" in outcome.lines


def test_tightgate_perfdata_is_the_union_of_the_single_checks(state_dir):
    path = state_dir(LOCKED)
    union = []
    for definition in SINGLE_NODE_CHECKS:
        union.extend(run_check(definition, ["--state-dir", path]).perfdata.split())
    assert sorted(run_check(TIGHTGATE, ["--state-dir", path]).perfdata.split()) == sorted(union)


def test_tightgate_equals_the_single_checks_worst_state(state_dir):
    for state in (HEALTHY, LOCKED, examples.reboot_required_single(NOW),
                  examples.download_failed_single(NOW), examples.releases_behind_single(NOW)):
        path = state_dir(state)
        singles = [run_check(d, ["--state-dir", path]).code for d in SINGLE_NODE_CHECKS]
        assert run_check(TIGHTGATE, ["--state-dir", path]).code == max(singles)


def test_missing_optional_fields(tmp_path):
    """A minimal document (optional fields absent) is read and judged by every check."""
    import json
    doc = {"schema": "tgmon/1.3", "generated": "2026-11-15T06:00:00+01:00",
           "node": {"name": "tg", "role": "single"},
           "releases": {"installed": "4.11", "available": []},
           "update_server": {"last_check": None, "last_successful_check": None,
                             "last_complete_download": None},
           "hotfixes": {"available": [], "always_install_all": True},
           "schedule": {"download": {"active": False, "weekday": "monday", "start": "01:00"},
                        "update": {"active": False, "weekday": "monday", "start": "03:00"}},
           "maintenance": {"active": False},
           "vnc_login_disabled": False, "active_sessions": 0, "unknown_future_field": 1}
    (tmp_path / "status.json").write_text(json.dumps(doc))
    outcome = run_check(TIGHTGATE, ["--state-dir", str(tmp_path)])
    assert outcome.code == 1
    assert outcome.text == ("TIGHTGATE WARNING - VERSIONS: update server never checked "
                            "successfully - check the update server access (proxy, firewall, "
                            "DNS)")


def test_one_event_reads_one_clock_time_in_a_field_and_a_marker(state_dir):
    """The lock (a marker: a file time, UTC) and the maintenance (a status.json field
    with the offset of its moment, summer time) set by one failure, read after the
    fall-back: both on the node's clock now (it read 'lock 00:32, maintenance 01:32')."""
    from datetime import datetime, timezone
    now = datetime(2026, 10, 26, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    event = datetime(2026, 10, 25, 1, 32, tzinfo=timezone(timedelta(hours=2)))
    state = examples.update_locked_cluster_node(now)
    state = with_flags(with_maintenance(state, since=event),
                       update_lock=state.flags.update_lock._replace(since=event))
    path = state_dir(state)
    lock = run_check(update_lock.DEFINITION, ["--state-dir", path, "--max-age", "1h"], now=now)
    maint = run_check(maintenance.DEFINITION, ["--state-dir", path, "--max-age", "1h"], now=now)
    assert lock.text.startswith("UPDATE_LOCK CRITICAL - update lock since last Sun 00:32,")
    assert maint.text.startswith("MAINTENANCE CRITICAL - maintenance since last Sun 00:32 ")
    assert "    set 2026-10-25 00:32 +01:00 (1d 8h ago)" in lock.lines
    assert any(line.startswith("    active since 2026-10-25 00:32 +01:00 (1d 8h ago)")
               for line in maint.lines)


@pytest.mark.parametrize("maintenance_on", [True, False])
def test_r11_blocked_new_logins_are_in_the_long_output(state_dir, maintenance_on):
    """A single system's 'new client logins blocked' is a state field the check shows."""
    state = with_maintenance(HEALTHY._replace(new_logins_blocked=True), active=maintenance_on,
                             since=NOW - HOUR if maintenance_on else None)
    outcome = run_check(maintenance.DEFINITION, ["--state-dir", state_dir(state), "-v"])
    assert outcome.code == (1 if maintenance_on else 0)
    assert ("    new client logins blocked: a single system blocks them right before its update "
            "starts; they are released when it ends well or the maintenance ends") in outcome.lines


def test_r9_the_failed_run_is_in_the_long_output(state_dir):
    state = with_maintenance(FAILED_RUN, active=True, since=NOW - 2 * HOUR, reason="x")
    outcome = run_check(maintenance.DEFINITION, ["--state-dir", state_dir(state)])
    assert ("    the scheduled run failed 2026-11-15 05:00 +01:00 (1h ago): installation of "
            "release 4.12 failed; the maintenance mode stays until an admin ends it"
            in outcome.lines)


def test_r14_vnc_disabled_for_the_plan_says_why_it_is_expected(state_dir):
    state = with_maintenance(NODE._replace(vnc_login_disabled=True),
                             planned=PlannedMaintenance(NOW + HOUR, None, "update 4.12"))
    outcome = run_check(maintenance.DEFINITION, ["--state-dir", state_dir(state), "-v"])
    assert ("    VNC login is disabled ahead of the planned maintenance, as admin maint does when "
            "planning it: expected within 2h before its start; enable it again afterwards"
            in outcome.lines)

"""The appliance's update rules R1-R17, each named in its tests."""

import pytest

from tgmon.state.model import ScheduledDownload, ScheduledUpdate
from tgmon.sim import Refused, SimError
from tgmon.sim.wallclock import next_weekly

from .simhelp import (BERLIN, DAY, DOWNLOAD_TUE_0130, HOUR, MINUTE, START, TUESDAY_0300,
                      local, state, world)


def test_r1_install_needs_a_complete_download():
    sim = world(update=ScheduledUpdate(False, "tuesday", "03:00"))
    sim.run_until(START + DAY)
    node = sim.node("tg")
    node.check_server()
    with pytest.raises(Refused, match="not completely downloaded.*R1"):
        node.admin("update", "install")
    node.admin("update", "download")
    sim.run_until(sim.now + 30 * MINUTE)
    node.admin("update", "install")
    sim.run_until(sim.now + HOUR)
    assert state(sim).releases.installed == "4.12"


def test_r1_production_continues_during_download_not_during_install():
    sim = world()
    sim.run_until(TUESDAY_0300 - 50 * MINUTE)    # R4 download running
    assert state(sim).active_sessions == 20
    sim.run_until(TUESDAY_0300 + 10 * MINUTE)    # installing
    assert state(sim).active_sessions == 0
    sim.run_until(TUESDAY_0300 + 40 * MINUTE)
    assert state(sim).active_sessions == 20


def test_r2_auto_update_runs_when_the_admin_starts_it():
    sim = world(update=ScheduledUpdate(False, "tuesday", "03:00"))
    sim.run_until(START + DAY)
    sim.node("tg").admin("update", "auto_update")
    sim.run_until(START + DAY + HOUR)
    run = state(sim).last_update_run
    assert (run.kind, run.result, state(sim).releases.installed) == ("auto-update", "ok", "4.12")


def test_r2_scheduled_update_starts_by_itself():
    sim = world()
    sim.run_until(TUESDAY_0300 + HOUR)
    run = state(sim).last_update_run
    assert (run.kind, run.result) == ("scheduled", "ok")
    assert run.start == TUESDAY_0300 - HOUR


def test_r3_scheduled_download_is_a_separate_setting():
    sim = world(download=DOWNLOAD_TUE_0130)
    sim.run_until(local(2026, 11, 17, 1, 55))
    assert state(sim).update_server.last_complete_download == local(2026, 11, 17, 1, 50)
    assert state(sim).releases.installed == "4.11"


def test_r3_download_end_time_aborts_an_unfinished_download():
    sim = world(download=ScheduledDownload(True, "tuesday", "01:30", "01:40"),
                update=ScheduledUpdate(False, "tuesday", "03:00"))
    sim.run_until(local(2026, 11, 17, 2, 0))
    assert state(sim).update_server.last_complete_download is None
    assert any("aborted at its end time" in e[2] for e in sim.entries)
    assert not state(sim).flags.warn_flag.is_set   # an abort is no failed round


def test_r3_nonexistent_time_runs_at_the_first_valid_minute():
    after = local(2027, 3, 27, 12)
    assert next_weekly(after, "sunday", "02:30", BERLIN) == local(2027, 3, 28, 3, 0)


def test_r3_ambiguous_time_runs_once():
    first = next_weekly(local(2027, 10, 30, 12), "sunday", "02:30", BERLIN)
    assert first.astimezone(BERLIN).utcoffset() == 2 * HOUR   # the first 02:30, CEST
    following = next_weekly(first, "sunday", "02:30", BERLIN)
    assert following - first > 6 * DAY                       # not again an hour later


def test_r4_download_starts_one_hour_before_the_run():
    sim = world()
    sim.run_until(TUESDAY_0300)
    starts = [e for e in sim.entries if "download of release 4.12 started" in e[2]]
    assert starts[0][0] == TUESDAY_0300 - HOUR
    assert "R4" in starts[0][2]


def test_r5_ten_attempts_then_warn_flag_then_ten_more_before_the_run():
    sim = world()
    sim.node("tg").fault_fail_downloads(10)
    sim.run_until(TUESDAY_0300 - MINUTE)
    flag = state(sim).flags.warn_flag
    assert flag.is_set and flag.since == TUESDAY_0300 - 40 * MINUTE   # 10 x 2 min
    assert sim.node("tg").fail_attempts == 0
    sim.run_until(TUESDAY_0300 + 2 * HOUR)
    assert any("second round" in e[2] and e[0] == TUESDAY_0300 for e in sim.entries)
    assert state(sim).releases.installed == "4.12"          # second round succeeded


def test_r6_second_round_fails_scheduled_operation_off_and_lock():
    sim = world(download=DOWNLOAD_TUE_0130)
    sim.node("tg").fault_fail_downloads(30)
    sim.run_until(TUESDAY_0300 + HOUR)
    st = state(sim)
    assert st.flags.update_lock.is_set
    assert not st.schedule.download.active and not st.schedule.update.active
    assert st.schedule.disabled_by_failure is not None
    assert st.last_update_run.result == "failed"
    assert st.releases.installed == "4.11"


def test_r7_cluster_node_goes_into_maintenance_only_maint_may_end():
    sim = world(nodes=("n1", "n2"), cluster="tgc")
    sim.node("n2").fault_fail_downloads(20)
    sim.run_until(TUESDAY_0300 + HOUR)
    st = state(sim, "n2")
    assert st.maintenance.active and st.maintenance.only_maint_may_end
    assert not st.cluster.in_load_balancing
    with pytest.raises(Refused, match="only be ended by admin maint.*R7"):
        sim.node("n2").admin("update", "end_maintenance")
    sim.node("n2").admin("maint", "end_maintenance")
    assert not state(sim, "n2").maintenance.active


def test_r7_single_system_gets_no_maintenance_lock_in():
    sim = world()
    sim.node("tg").fault_fail_downloads(20)
    sim.run_until(TUESDAY_0300 + HOUR)
    assert not state(sim).maintenance.active


def test_r8_warn_flag_cannot_be_cleared_by_hand():
    sim = world()
    sim.node("tg").fault_fail_downloads(10)
    sim.run_until(TUESDAY_0300 - MINUTE)
    with pytest.raises(Refused, match="cannot be cleared by hand.*R8"):
        sim.node("tg").admin("update", "clear_warn_flag")
    assert state(sim).flags.warn_flag.is_set


def test_r8_warn_flag_cleared_only_by_a_complete_download():
    sim = world(update=ScheduledUpdate(False, "tuesday", "03:00"))
    node = sim.node("tg")
    sim.run_until(START + DAY)
    node.fault_fail_downloads(10)
    node.admin("update", "download")
    sim.run_until(sim.now + HOUR)
    assert state(sim).flags.warn_flag.is_set
    assert state(sim).active_sessions == 20          # production not affected
    node.admin("update", "download")                 # further attempts not blocked
    sim.run_until(sim.now + HOUR)
    assert not state(sim).flags.warn_flag.is_set


def test_r9_lock_blocks_every_update_run():
    sim = world()
    sim.node("tg").fault_fail_install()
    sim.run_until(TUESDAY_0300 + HOUR)
    assert state(sim).flags.update_lock.is_set
    with pytest.raises(Refused, match="R9"):
        sim.node("tg").admin("update", "auto_update")
    sim.node("tg").admin("update", "download")
    sim.run_until(sim.now + HOUR)
    with pytest.raises(Refused, match="R9"):
        sim.node("tg").admin("update", "install")
    sim.run_until(TUESDAY_0300 + 7 * DAY + HOUR)     # next week's scheduled run is blocked
    assert any("not started: update lock set" in e[2] for e in sim.entries)
    assert state(sim).releases.installed == "4.11"


def test_r9_a_lock_halts_the_whole_cluster():
    sim = world(nodes=("n1", "n2"), cluster="tgc",
                update=ScheduledUpdate(True, "tuesday", "03:00"))
    sim.node("n2").update_setting = ScheduledUpdate(True, "tuesday", "05:00")
    sim.node("n2").arm_schedule()
    sim.node("n1").fault_fail_downloads(20)
    sim.run_until(TUESDAY_0300 + 3 * HOUR)
    assert state(sim, "n1").flags.update_lock.is_set
    assert state(sim, "n2").releases.installed == "4.11"
    assert any(e[1] == "n2" and "n1 holds the update lock" in e[2] for e in sim.entries)


def test_r10a_remove_lock_then_auto_update():
    sim = world()
    sim.node("tg").fault_fail_downloads(20)
    sim.run_until(TUESDAY_0300 + HOUR)
    node = sim.node("tg")
    node.admin("update", "remove_update_lock")
    node.admin("update", "auto_update")
    sim.run_until(sim.now + HOUR)
    st = state(sim)
    assert (st.releases.installed, st.flags.update_lock.is_set, st.flags.warn_flag.is_set) == (
        "4.12", False, False)


def test_r10a_cluster_node_serves_users_until_the_rescheduled_run():
    sim = world(nodes=("n1",), cluster="tgc")
    sim.node("n1").fault_fail_downloads(20)
    sim.run_until(TUESDAY_0300 + HOUR)
    node = sim.node("n1")
    node.admin("update", "remove_update_lock")
    node.admin("maint", "end_maintenance")
    node.admin("update", "set_schedule", update={"active": True})
    sim.run_until(TUESDAY_0300 + 2 * DAY)
    st = state(sim, "n1")
    assert st.cluster.in_load_balancing and st.active_sessions == 20
    sim.run_until(TUESDAY_0300 + 7 * DAY + HOUR)
    assert state(sim, "n1").releases.installed == "4.12"


def test_r10b_cancel_nothing_downloaded_or_installed_maintenance_stays():
    sim = world(nodes=("n1",), cluster="tgc")
    sim.node("n1").fault_fail_downloads(20)
    sim.run_until(TUESDAY_0300 + HOUR)
    node = sim.node("n1")
    node.admin("update", "remove_update_lock")
    node.admin("update", "cancel_scheduled_update")
    sim.run_until(TUESDAY_0300 + 8 * DAY)
    st = state(sim, "n1")
    assert st.releases.installed == "4.11"
    assert st.update_server.last_complete_download is None
    assert st.maintenance.active                     # must still be ended by hand


def test_r11_no_updates_run_ends_and_logs():
    sim = world(new_release=False)
    sim.run_until(TUESDAY_0300 + HOUR)
    st = state(sim)
    assert (st.last_update_run.result, st.maintenance.active) == ("no-updates", False)


def test_r11_cluster_node_leaves_load_balancing_one_hour_before():
    sim = world(nodes=("n1",), cluster="tgc")
    sim.run_until(TUESDAY_0300 - HOUR - MINUTE)
    assert state(sim, "n1").cluster.in_load_balancing
    sim.run_until(TUESDAY_0300 - HOUR)
    st = state(sim, "n1")
    assert not st.cluster.in_load_balancing and st.maintenance.active


def test_r11_single_system_blocks_logins_only_at_the_start():
    sim = world()
    sim.run_until(TUESDAY_0300 - MINUTE)
    st = state(sim)
    assert st.maintenance.active and st.active_sessions == 20
    sim.run_until(TUESDAY_0300)
    assert state(sim).active_sessions == 0


def test_r12_kernel_update_reboots_by_itself_and_maintenance_ends():
    sim = world(nodes=("n1",), cluster="tgc", kernel=True)
    sim.run_until(TUESDAY_0300 + 32 * MINUTE)
    assert sim.node("n1").busy == "reboot"
    sim.run_until(TUESDAY_0300 + HOUR)
    st = state(sim, "n1")
    assert not st.flags.reboot_required.is_set
    assert not st.maintenance.active and st.cluster.in_load_balancing
    assert st.last_update_run.end == TUESDAY_0300 + 35 * MINUTE


def test_r13_auto_update_with_kernel_asks_for_a_reboot():
    sim = world(kernel=True, update=ScheduledUpdate(False, "tuesday", "03:00"))
    sim.run_until(START + DAY)
    sim.node("tg").admin("update", "auto_update")
    sim.run_until(START + DAY + HOUR)
    assert state(sim).flags.reboot_required.is_set
    sim.node("tg").admin("system", "reboot")
    assert not state(sim).flags.reboot_required.is_set


def test_r14_planned_maintenance_with_notice_and_vnc():
    sim = world(nodes=("n1",), cluster="tgc", update=ScheduledUpdate(False, "tuesday", "03:00"))
    start = START + 2 * DAY + 20 * HOUR
    sim.node("n1").admin("maint", "plan_maintenance", start=start, reason="hardware",
                         disable_vnc=True)
    sim.run_until(start - 2 * HOUR)
    assert any("users are shown the planned maintenance" in e[2] for e in sim.entries)
    assert not state(sim, "n1").maintenance.active
    sim.run_until(start)
    st = state(sim, "n1")
    assert st.maintenance.active and st.vnc_login_disabled
    sim.node("n1").admin("maint", "end_maintenance")
    assert state(sim, "n1").vnc_login_disabled     # must be re-enabled by hand
    sim.node("n1").admin("maint", "enable_vnc_login")
    assert not state(sim, "n1").vnc_login_disabled


def test_r15_hotfixes_selected_or_all():
    sim = world(new_release=False, always_install_all=False)
    sim.server.publish_hotfix("HF-1", "browser", START + HOUR)
    sim.server.publish_hotfix("HF-2", "fix", START + HOUR)
    sim.run_until(START + 6 * HOUR)                  # daily check at 05:00
    assert [h.id for h in state(sim).hotfixes.available] == ["HF-1", "HF-2"]
    sim.node("tg").admin("update", "select_hotfixes", ids=["HF-1"])
    sim.run_until(TUESDAY_0300 + HOUR)
    st = state(sim)
    assert [h.id for h in st.hotfixes.installed] == ["HF-1"]
    assert [h.id for h in st.hotfixes.available] == ["HF-2"]
    sim.node("tg").admin("update", "always_install_all_hotfixes", value=True)
    sim.run_until(TUESDAY_0300 + 7 * DAY + HOUR)
    assert [h.id for h in state(sim).hotfixes.installed] == ["HF-1", "HF-2"]


def test_r15_unknown_hotfix_is_refused():
    sim = world(new_release=False)
    with pytest.raises(Refused, match="not an available hotfix"):
        sim.node("tg").admin("update", "select_hotfixes", ids=["HF-9"])


def test_r16_cluster_wide_update_lock_stops_scheduled_updates():
    sim = world(nodes=("n1",), cluster="tgc")
    sim.clusters["tgc"].update_lock = True
    sim.run_until(TUESDAY_0300 + HOUR)
    assert state(sim, "n1").releases.installed == "4.11"
    assert any("Cluster-wide update lock = yes" in e[2] for e in sim.entries)


def test_r16_simulator_lets_more_nodes_update_than_the_maximum():
    sim = world(nodes=("n1", "n2", "n3"), cluster="tgc", max_parallel=1)
    sim.run_until(TUESDAY_0300 + 5 * MINUTE)
    assert sorted(sim.clusters["tgc"].updating()) == ["n1", "n2", "n3"]


def test_r17_two_releases_behind_needs_oldstable():
    sim = world(update=ScheduledUpdate(False, "tuesday", "03:00"))
    sim.server.publish_release("4.13", START + 2 * HOUR)
    sim.run_until(START + DAY)
    node = sim.node("tg")
    with pytest.raises(Refused, match="Oldstable.*R17"):
        node.admin("update", "auto_update")
    node.admin("customer-service", "update_from_oldstable")
    sim.run_until(sim.now + HOUR)
    assert state(sim).releases.installed == "4.12"
    node.admin("update", "auto_update")
    sim.run_until(sim.now + HOUR)
    assert state(sim).releases.installed == "4.13"


def test_r17_scheduled_run_two_behind_fails_and_locks():
    sim = world()
    sim.server.publish_release("4.13", START + 2 * HOUR)
    sim.run_until(TUESDAY_0300 + HOUR)
    st = state(sim)
    assert st.last_update_run.result == "failed" and "oldstable" in st.last_update_run.message
    assert st.flags.update_lock.is_set


def test_unknown_action_and_node_are_errors():
    sim = world()
    with pytest.raises(SimError, match="has no action 'format_disk'"):
        sim.node("tg").admin("update", "format_disk")
    with pytest.raises(SimError, match="unknown node 'nope'"):
        sim.node("nope")


def test_r9_a_lock_set_during_another_nodes_run_halts_it_before_installing():
    """n2's run has begun (out of load balancing at 03:00 for 04:00) when n1's lock is set
    at 03:20: n2 must not install - the lock interrupts the cluster's update process."""
    sim = world(nodes=("n1", "n2"), cluster="tgc")
    sim.node("n2").update_setting = ScheduledUpdate(True, "tuesday", "04:00")
    sim.node("n2").arm_schedule()
    sim.node("n1").fault_fail_downloads(20)
    sim.run_until(TUESDAY_0300 + 10 * MINUTE)
    before = state(sim, "n2")
    assert not before.cluster.in_load_balancing and before.last_update_run.end is None
    sim.run_until(TUESDAY_0300 + 30 * MINUTE)
    assert state(sim, "n1").flags.update_lock.is_set
    sim.run_until(TUESDAY_0300 + 2 * HOUR)
    after = state(sim, "n2")
    assert after.releases.installed == "4.11"
    assert after.last_update_run.result == "failed"
    assert "n1 holds the update lock" in after.last_update_run.message
    assert not after.flags.update_lock.is_set            # not n2's own failure
    assert after.cluster.in_load_balancing and not after.maintenance.active
    assert not any(e[1] == "n2" and "update started" in e[2] for e in sim.entries)


def test_r11_r12_a_cluster_node_keeps_its_users_until_the_update_starts():
    sim = world(nodes=("n1",), cluster="tgc")
    sim.run_until(TUESDAY_0300 - 30 * MINUTE)
    waiting = state(sim, "n1")
    assert not waiting.cluster.in_load_balancing     # no new users from 02:00
    assert waiting.active_sessions == 20             # the logged-in ones stay
    sim.run_until(TUESDAY_0300 + MINUTE)
    assert state(sim, "n1").active_sessions == 0     # disconnected at the start


def test_r14_an_auto_update_inside_planned_maintenance_leaves_it_to_admin_maint():
    sim = world(update=ScheduledUpdate(False, "tuesday", "03:00"))
    node = sim.node("tg")
    start = START + DAY + 8 * HOUR
    node.admin("maint", "plan_maintenance", start=start, reason="upgrade to 4.12")
    sim.run_until(start + 5 * MINUTE)
    node.admin("update", "auto_update")
    sim.run_until(start + 2 * HOUR)
    st = state(sim)
    assert (st.releases.installed, st.last_update_run.result) == ("4.12", "ok")
    assert st.maintenance.active and st.maintenance.reason == "upgrade to 4.12"
    assert not any(e[1] == "tg" and "logins released" in e[2] for e in sim.entries)
    node.admin("maint", "end_maintenance")
    assert not state(sim).maintenance.active


# ---------------------------------------------------------------- the manual's classes
@pytest.mark.parametrize("cluster", [None, "tgc"], ids=["single", "cluster_node"])
def test_r9_r12_after_a_failed_scheduled_install_the_users_stay_away(cluster):
    """Locked, in maintenance, out of load balancing (or new logins blocked): the users
    the update disconnected do not come back until an admin ends the maintenance."""
    sim = world(nodes=("n1",), cluster=cluster)
    node = sim.node("n1")
    node.fault_fail_install()
    sim.run_until(TUESDAY_0300 + 31 * MINUTE)            # the installation failed at 03:30
    for _ in range(2):
        st = state(sim, "n1")
        assert (st.last_update_run.result, st.flags.update_lock.is_set) == ("failed", True)
        assert st.maintenance.active and st.maintenance.reason == (
            "scheduled update failed: installation error")
        assert st.active_sessions == 0
        if cluster:
            assert not st.cluster.in_load_balancing
        else:
            assert st.new_logins_blocked
        sim.run_until(TUESDAY_0300 + 2 * DAY)            # and still, two days on
    node.admin("update", "remove_update_lock")
    assert state(sim, "n1").active_sessions == 0         # the lock alone lets nobody in
    node.admin("maint", "end_maintenance")
    st = state(sim, "n1")
    assert st.active_sessions == 20 and not st.new_logins_blocked
    assert st.cluster is None or st.cluster.in_load_balancing


def test_r2_r9_a_failed_auto_update_install_lets_the_users_back():
    """An Auto-Update sets no lock and no maintenance: its users come back at once."""
    sim = world(update=ScheduledUpdate(False, "tuesday", "03:00"))
    sim.run_until(START + DAY)
    node = sim.node("tg")
    node.fault_fail_install()
    node.admin("update", "auto_update")
    sim.run_until(START + DAY + HOUR)
    st = state(sim)
    assert st.last_update_run.result == "failed" and not st.flags.update_lock.is_set
    assert (st.active_sessions, st.new_logins_blocked, st.maintenance.active) == (20, False, False)


def _disable_vnc_before_the_run(node):
    node.admin("maint", "disable_vnc_login")


def _plan_the_run_with_vnc_off(node):
    node.admin("maint", "plan_maintenance", start=TUESDAY_0300 - HOUR,
               end=TUESDAY_0300 + HOUR, reason="update 4.12", disable_vnc=True)


@pytest.mark.parametrize("block, maintenance_stays", [
    (_disable_vnc_before_the_run, False),
    (_plan_the_run_with_vnc_off, True),     # admin maint's own plan: admin maint ends it (R14)
], ids=["disable_vnc_login", "plan_maintenance_disable_vnc"])
def test_r12_an_error_free_run_releases_vnc_login(block, maintenance_stays):
    sim = world(nodes=("n1",), cluster="tgc")
    sim.run_until(TUESDAY_0300 - 3 * HOUR)
    block(sim.node("n1"))
    sim.run_until(TUESDAY_0300 + 10 * MINUTE)
    assert state(sim, "n1").vnc_login_disabled                  # blocked during the run
    sim.run_until(TUESDAY_0300 + HOUR)
    st = state(sim, "n1")
    assert (st.last_update_run.result, st.releases.installed) == ("ok", "4.12")
    assert not st.vnc_login_disabled
    assert st.maintenance.active is maintenance_stays
    assert any("VNC login released after the error-free update" in e[2] for e in sim.entries)


def test_r12_a_failed_run_keeps_the_vnc_block():
    sim = world(nodes=("n1",), cluster="tgc")
    sim.node("n1").admin("maint", "disable_vnc_login")
    sim.node("n1").fault_fail_install()
    sim.run_until(TUESDAY_0300 + HOUR)
    assert state(sim, "n1").vnc_login_disabled


@pytest.mark.parametrize("scheduled", [False, True], ids=["admin_download", "scheduled"])
def test_r17_a_download_two_releases_behind_is_refused_not_silent(scheduled):
    """admin update's Download, like Auto-Update, is refused two releases behind: only
    Customer service catches up from oldstable; the scheduled download says it did not
    start. Never a round that silently downloads nothing."""
    sim = world(update=ScheduledUpdate(False, "tuesday", "03:00"),
                download=DOWNLOAD_TUE_0130 if scheduled else None)
    sim.server.publish_release("4.13", START + 2 * HOUR)
    sim.run_until(START + DAY)
    node = sim.node("tg")
    if scheduled:
        sim.run_until(local(2026, 11, 17, 2, 0))
        assert any("scheduled download not started: 2 releases behind" in e[2]
                   for e in sim.entries)
    else:
        with pytest.raises(Refused, match="Full update from Oldstable.*R17"):
            node.admin("update", "download")
    assert node.downloads.job is None
    assert not any("download of" in e[2] for e in sim.entries)
    node.admin("customer-service", "update_from_oldstable")   # this one downloads
    sim.run_until(sim.now + HOUR)
    assert state(sim).releases.installed == "4.12"


def test_r8_admin_download_with_nothing_to_fetch_says_so():
    sim = world(new_release=False)
    sim.node("tg").admin("update", "download")
    assert sim.entries[-1][2] == "admin update: Download: nothing to download, the files are complete"


def test_r7_r10_an_update_after_a_failure_keeps_the_failures_maintenance_in_its_words():
    """After R7's maintenance, a successful Auto-Update leaves it to an admin - and the
    log no longer calls it 'the maintenance admin maint planned'."""
    sim = world(nodes=("n1",), cluster="tgc")
    node = sim.node("n1")
    node.fault_fail_downloads(20)
    sim.run_until(TUESDAY_0300 + HOUR)
    node.admin("update", "remove_update_lock")
    node.admin("update", "auto_update")
    sim.run_until(sim.now + HOUR)
    st = state(sim, "n1")
    assert st.releases.installed == "4.12" and st.maintenance.active
    finished = [e[2] for e in sim.entries if e[2].startswith("update finished")]
    assert finished == ["update finished; the maintenance mode of the earlier failure stays "
                        "until an admin ends it (R7, R10)"]


def test_r11_a_single_system_shows_its_blocked_logins_in_the_state(tmp_path):
    """The block right before the update is a state field, not only a session count."""
    from tgmon.sources.statedir import read_state
    from tgmon.state.layout import paths_for, write_state
    sim = world()
    sim.run_until(TUESDAY_0300 - MINUTE)
    assert not state(sim).new_logins_blocked
    sim.run_until(TUESDAY_0300 + MINUTE)
    written = state(sim)
    assert written.new_logins_blocked
    write_state(str(tmp_path), written)
    assert read_state(paths_for(str(tmp_path))).new_logins_blocked
    sim.run_until(TUESDAY_0300 + HOUR)
    assert not state(sim).new_logins_blocked                # released after the update

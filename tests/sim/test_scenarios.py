"""Shipped scenarios, the state round trip, the CLI, and bad scenarios."""

import io
import os
import subprocess
import sys
from contextlib import redirect_stdout, redirect_stderr

import pytest

from tgmon.sim.cli import main as sim_main
from tgmon.sim.errors import ScenarioError
from tgmon.sim.scenario import load_scenario
from tgmon.sources.statedir import read_state
from tgmon.state.layout import paths_for
from tgmon.state.layout import write_state
from helpers import ROOT

SCENARIOS = os.path.join(ROOT, "scenarios")
SHIPPED = sorted(f for f in os.listdir(SCENARIOS) if f.endswith(".yml"))
REQUIRED = {"happy-scheduled-single.yml", "cluster-kernel-update.yml",
            "download-second-round.yml", "cluster-download-fails.yml",
            "remove-lock-both-ways.yml", "hotfix-day.yml", "parallel-collision.yml",
            "dst-update.yml"}


def cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = sim_main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_required_scenarios_ship():
    assert REQUIRED <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_scenario_runs_and_round_trips_every_state(tmp_path, name):
    """Every state the lifecycle passes through survives writer -> reader unchanged."""
    scenario = load_scenario(os.path.join(SCENARIOS, name))
    sim = scenario.build()
    seen = 0
    for instant, _ in sim.walk(scenario.end):
        for node_name, state in sim.states().items():
            path = str(tmp_path / node_name)
            write_state(path, state)
            back = read_state(paths_for(path))
            assert back._replace(origin="") == state._replace(origin=""), (node_name, instant)
            seen += 1
    assert seen > 5


def test_timeline_of_the_cluster_download_failure():
    code, out, _ = cli("timeline", os.path.join(SCENARIOS, "cluster-download-fails.yml"))
    assert code == 0
    lines = out.splitlines()

    def first(text):
        return next(i for i, line in enumerate(lines) if text in line)
    warn = first("tg-node2   => VERSIONS WARNING - Update download failed")
    second = first("second round of 10 attempts before the run (R5)")
    lock = first("update lock set (R9)")
    maint = first("only admin maint can end it (R7)")
    halted = first("tg-node2 holds the update lock: the cluster's updates are halted (R9)")
    refused = first("REFUSED: the warn flag cannot be cleared by hand")
    assert warn < second < maint < lock < halted < refused
    assert "2026-11-17 Tue 02:20 CET" in lines[warn - 2] or any(
        "02:20" in line for line in lines[warn - 3:warn])


def test_run_writes_each_node(tmp_path):
    code, out, err = cli("run", os.path.join(SCENARIOS, "cluster-download-fails.yml"),
                         "--until", "2026-11-17T04:00", "--state-dir", str(tmp_path))
    assert code == 0, err
    node2 = read_state(paths_for(str(tmp_path / "tg-node2")))
    assert node2.flags.update_lock.is_set and node2.flags.warn_flag.is_set
    assert node2.maintenance.only_maint_may_end
    assert node2.generated.isoformat() == "2026-11-17T04:00:00+01:00"
    node1 = read_state(paths_for(str(tmp_path / "tg-node1")))
    assert not node1.flags.update_lock.is_set


def test_run_one_node(tmp_path):
    code, _, err = cli("run", os.path.join(SCENARIOS, "happy-scheduled-single.yml"),
                       "--until", "2026-11-17T03:10+01:00", "--state-dir", str(tmp_path),
                       "--node", "tg-single")
    assert code == 0, err
    state = read_state(paths_for(str(tmp_path)))
    assert state.active_sessions == 0 and state.maintenance.active


def _scenario(tmp_path, text):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    return str(path)


GOOD_HEAD = """scenario: x
start: 2026-11-16T00:00
nodes:
  - name: tg
"""


@pytest.mark.parametrize("text, message", [
    ("scenario: [\n", "bad.yml:2: not valid YAML"),
    ("- a\n", "bad.yml: a scenario is a YAML mapping"),
    ("scenario: x\nnodes:\n  - name: tg\n", "bad.yml:1: start: required"),
    (GOOD_HEAD + "events:\n  - at: 2026-11-17T00:00\n    node: tg\n    admin: update\n"
     "    action: format_disk\n", "bad.yml:6: events[0]: unknown action: admin update format_disk"),
    (GOOD_HEAD + "events:\n  - at: 2026-11-17T00:00\n    node: tg9\n    fault: fail_install\n",
     "bad.yml:7: events[0].node: unknown node 'tg9'"),
    (GOOD_HEAD + "events:\n  - at: 2026-11-18T00:00\n    note: a\n  - at: 2026-11-17T00:00\n"
     "    note: b\n", "bad.yml:8: events[1]: events out of order"),
    (GOOD_HEAD + "events:\n  - at: tomorrow\n    note: a\n", "bad.yml:6: events[0].at: 'tomorrow' is not a time"),
    (GOOD_HEAD + "events:\n  - at: 2026-11-15T00:00\n    note: a\n",
     "bad.yml:6: events[0]: event at 2026-11-15T00:00:00+01:00 is before the scenario start"),
    (GOOD_HEAD + "events:\n  - at: 2026-11-17T00:00\n    node: tg\n    admin: update\n"
     "    action: select_hotfixes\n", "bad.yml:6: events[0]: missing argument 'ids'"),
    (GOOD_HEAD + "events:\n  - at: 2026-11-17T00:00\n    node: tg\n    fault: sessions\n"
     "    hours: 3\n", "bad.yml:9: events[0].hours: unknown argument 'hours'"),
    ("scenario: x\nstart: 2026-11-16T00:00\ntimezone: Mars/Olympus\nnodes:\n  - name: tg\n",
     "unknown timezone 'Mars/Olympus'"),
    ("scenario: x\nstart: 2026-11-16T00:00\nnodes:\n  - name: tg\n    schedule:\n"
     "      update: {start: '25:00'}\n", "schedule.update.start: '25:00' is not HH:MM"),
    ("scenario: x\nstart: 2026-11-16T00:00\nnodes:\n  - name: tg\n  - name: tg\n",
     "bad.yml:5: nodes[1].name: node 'tg' defined twice"),
    ("scenario: x\nstart: 2026-11-16T00:00\nbogus: 1\nnodes:\n  - name: tg\n",
     "unknown key 'bogus'"),
    (GOOD_HEAD + "    update_lock: {since: 2026-11-17T00:00}\n",
     "bad.yml:5: nodes[0].update_lock.since: lies after the scenario's start"),
    (GOOD_HEAD + "    warn_flag: [a, b]\n", "bad.yml:5: nodes[0].warn_flag: must be true, a reason or {since, reason}, not a list"),
    (GOOD_HEAD + "    reboot_required: {packages: linux}\n",
     "bad.yml:5: nodes[0].reboot_required.packages: must be a list, not text"),
    (GOOD_HEAD + "    update_lock: {reason: x, by: me}\n", "update_lock: unknown key 'by'"),
])
def test_bad_scenarios_exit_2_with_file_and_line(tmp_path, text, message):
    code, out, err = cli("timeline", _scenario(tmp_path, text))
    assert code == 2
    assert err.startswith("tgmon-sim: ") and message in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_missing_scenario_file(tmp_path):
    code, _, err = cli("timeline", str(tmp_path / "none.yml"))
    assert code == 2 and "none.yml: does not exist - check the path" in err


def test_bad_cli_arguments_exit_2():
    code, _, err = cli("run", os.path.join(SCENARIOS, "hotfix-day.yml"))
    assert code == 2 and "the following arguments are required: --until, --state-dir" in err


def test_console_script_runs():
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "tgmon-sim"),
                             "timeline", os.path.join(SCENARIOS, "hotfix-day.yml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "tg-single  hotfixes selected: HF-4.12-01" in result.stdout


def test_scenario_error_type():
    with pytest.raises(ScenarioError):
        load_scenario("/nonexistent.yml")


TIME_DRIVEN = """\
scenario: a kernel update by Auto-Update, and nobody reboots
timezone: Europe/Berlin
start: 2026-11-16T00:00
end: 2026-11-20T00:00
server:
  releases:
    - {version: "4.11", released: 2026-09-29T10:00}
    - {version: "4.12", released: 2026-11-16T10:00, kernel_update: true}
nodes:
  - name: tg
    installed: "4.11"
events:
  - at: 2026-11-17T09:00
    node: tg
    admin: update
    action: auto_update
  - at: 2026-11-17T12:00
    node: tg
    admin: maint
    action: plan_maintenance
    start: 2026-11-18T20:00
    reason: hardware
"""


def test_the_timeline_moves_with_time_not_only_with_events(tmp_path):
    """No event happens after 12:00, yet REBOOT turns CRITICAL 24 h after the reboot
    request (when the plugin would), and the planned maintenance is announced 2 h
    before its start."""
    from tgmon.sim.timeline import timeline
    path = tmp_path / "time.yml"
    path.write_text(TIME_DRIVEN)
    scenario = load_scenario(str(path))
    seen = {}
    for instant, _, changes in timeline(scenario):
        for _node, name, status, text in changes:
            seen.setdefault((name, status, text.split(" - ")[0]), instant.astimezone(
                scenario.zone).strftime("%a %H:%M"))
    requested = [key for key in seen if key[0] == "REBOOT" and key[1] == 1]
    assert requested and seen[requested[0]] == "Tue 09:50"
    overdue = [key for key in seen if key[0] == "REBOOT" and key[1] == 2]
    assert overdue and seen[overdue[0]] == "Wed 09:50"       # 24 h later, no event then
    notice = [key for key in seen if key[0] == "MAINTENANCE" and "being notified" in key[2]]
    assert notice and seen[notice[0]] == "Wed 18:00"        # 2 h before 20:00


FOUND_AS_IS = """\
scenario: a node found with its flags set
start: 2026-11-16T00:00
nodes:
  - name: tg-a
    warn_flag: 10 download attempts failed
    update_lock: {since: 2026-11-10T03:20, reason: "scheduled update failed: installation error"}
    reboot_required: [linux-image-6.1.0-28-amd64]
  - name: tg-b
    update_lock: true
  - name: tg-c
"""


def test_r8_r9_r13_a_scenario_starts_with_the_markers_the_node_is_found_with(tmp_path):
    """The setup sets the warn flag, the update lock and the reboot request as the
    appliance would be found; 'since' defaults to the start."""
    scenario = load_scenario(_scenario(tmp_path, FOUND_AS_IS))
    states = scenario.build().states()
    flags = states["tg-a"].flags
    assert (flags.warn_flag.lines, flags.reboot_required.lines) == (
        ("10 download attempts failed",), ("linux-image-6.1.0-28-amd64",))
    assert flags.warn_flag.since == flags.reboot_required.since == scenario.start
    assert flags.update_lock.since.isoformat() == "2026-11-10T03:20:00+01:00"
    assert flags.update_lock.lines == ("scheduled update failed: installation error",)
    assert states["tg-b"].flags.update_lock.is_set and not states["tg-b"].flags.warn_flag.is_set
    assert not any(marker.is_set for marker in states["tg-c"].flags)
    code, out, _ = cli("timeline", _scenario(tmp_path, FOUND_AS_IS), "--until",
                       "2026-11-16T00:00")
    assert "tg-a       => UPDATE_LOCK CRITICAL - update lock since last Tue 03:20" in out
    assert "tg-a       => REBOOT WARNING - reboot required since today 00:00" in out

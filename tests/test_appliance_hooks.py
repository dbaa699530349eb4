"""The shell hooks of docs/appliance.rst (examples/appliance/tgmon-hooks.sh), run by
/bin/sh through a cluster node's whole update lifecycle against a real state dir;
after each step the plugins judge the dir as a monitoring core would."""

import os
import subprocess

import pytest
from datetime import timedelta


from tgmon.timeutil import utcnow

from helpers import ROOT, VENV_BIN

HOOKS = os.path.join(ROOT, "examples", "appliance", "tgmon-hooks.sh")
CHECKS = ("check_versions", "check_update_lock", "check_maintenance", "check_reboot_required",
          "check_update_schedule")
YESTERDAY = (utcnow() - timedelta(days=1)).replace(microsecond=0).isoformat()
TOMORROW = (utcnow() + timedelta(days=1)).replace(microsecond=0).isoformat()

# (the hook called, {check: (exit code, start of its first line)} after it)
LIFECYCLE = [
    ("tgmon_setup tg1 cluster-node tgc-berlin 4.11",
     {"check_versions": (1, "VERSIONS WARNING - update server never checked"),
      "check_update_schedule": (0, "SCHEDULE OK - no scheduled update, Auto-Update only")}),
    ("tgmon_server_checked ok", {"check_versions": (0, "VERSIONS OK - release 4.11 installed")}),
    ("tgmon_schedule_set tuesday 01:00 02:45 tuesday 03:00",
     {"check_update_schedule": (0, "SCHEDULE OK - scheduled update Tue 03:00")}),
    ("tgmon_release_available 4.12 %s false" % YESTERDAY,
     {"check_versions": (0, "VERSIONS OK - release 4.12 available for 1d")}),
    ("tgmon_download_failed 9 'proxy refused'", {"check_versions": (0, "VERSIONS OK")}),
    ("tgmon_download_failed 10 'proxy refused'",
     {"check_versions": (1, "VERSIONS WARNING - Update download failed since")}),
    ("tgmon_run_begins scheduled",
     {"check_maintenance": (1, "MAINTENANCE WARNING - maintenance mode since")}),
    ("tgmon_run_failed 'download of the update files failed in both rounds'",
     {"check_update_lock": (2, "UPDATE_LOCK CRITICAL - update lock since"),
      "check_maintenance": (2, "MAINTENANCE CRITICAL - maintenance since"),
      "check_update_schedule": (2, "SCHEDULE CRITICAL - schedule switched off since")}),
    ("tgmon_lock_removed", {"check_update_lock": (0, "UPDATE_LOCK OK - no update lock")}),
    ("tgmon_maintenance_ended", {"check_maintenance": (0, "MAINTENANCE OK - no maintenance")}),
    ("tgmon_schedule_set tuesday 01:00 02:45 tuesday 03:00",
     {"check_update_schedule": (0, "SCHEDULE OK")}),
    ("tgmon_download_complete", {"check_versions": (0, "VERSIONS OK - release 4.12 available")}),
    ("tgmon_run_begins auto-update && tgmon_install_starts && tgmon_run_done ok 4.12",
     {"check_versions": (0, "VERSIONS OK - release 4.12 installed, up to date"),
      "check_maintenance": (0, "MAINTENANCE OK - no maintenance mode")}),
    ("tgmon_reboot_needed linux-image-6.1.0-27-amd64",
     {"check_reboot_required": (1, "REBOOT WARNING - reboot required since")}),
    ("tgmon_booted", {"check_reboot_required": (0, "REBOOT OK - no reboot required")}),
    ("tgmon_maintenance_planned %s - 'disk swap'" % TOMORROW,
     {"check_maintenance": (0, "MAINTENANCE OK - planned maintenance")}),
    ("tgmon_alive", {}),
]


def run_checks(state_dir):
    results = {}
    for prog in CHECKS:
        done = subprocess.run([os.path.join(VENV_BIN, prog), "--state-dir", state_dir],
                              capture_output=True, text=True, timeout=30)
        results[prog] = (done.returncode, done.stdout.split(" | ")[0].split("\n")[0])
    return results


@pytest.mark.slow
def test_the_hooks_walk_a_node_through_its_update_lifecycle(short_tmp):
    state_dir = str(short_tmp / "tgmon")
    env = dict(os.environ, TGMON=os.path.join(VENV_BIN, "tgmon"), STATE_DIR=state_dir,
               ROLE="cluster-node")
    report = []
    for call, expected in LIFECYCLE:
        done = subprocess.run(["/bin/sh", "-c", ". %s && %s" % (HOOKS, call)], env=env,
                              capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stderr) == (0, ""), (call, done.stderr)
        results = run_checks(state_dir)
        report.append("$ %s" % call)
        report.extend("    %s" % results[prog][1] for prog in CHECKS)
        for prog, (code, start) in expected.items():
            assert results[prog][0] == code, (call, prog, results[prog])
            assert results[prog][1].startswith(start), (call, prog, results[prog])
        # never a state a check cannot read
        assert all(code != 3 for code, _ in results.values()), (call, results)
    summary = os.environ.get("TGMON_HOOKS_REPORT")
    if summary:
        with open(summary, "w") as handle:
            handle.write("\n".join(report) + "\n")


def test_a_hook_fed_bad_text_writes_nothing(short_tmp):
    """A value that breaks the JSON is refused by tgmon state: exit 2, state unchanged."""
    state_dir = str(short_tmp / "tgmon")
    env = dict(os.environ, TGMON=os.path.join(VENV_BIN, "tgmon"), STATE_DIR=state_dir)
    subprocess.run(["/bin/sh", "-c", ". %s && tgmon_setup tg2 single - 4.11" % HOOKS],
                   env=env, check=True, timeout=60)
    before = open(os.path.join(state_dir, "status.json"), "rb").read()
    done = subprocess.run(["/bin/sh", "-c", ". %s && tgmon_sessions 'many\"'" % HOOKS],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "not valid JSON" in done.stderr, done.stderr
    assert open(os.path.join(state_dir, "status.json"), "rb").read() == before


def test_every_hook_is_in_the_table_of_docs_appliance():
    import re
    with open(HOOKS) as handle:
        hooks = set(re.findall(r"^(tgmon_\w+)\(\)", handle.read(), re.M))
    with open(os.path.join(ROOT, "docs", "appliance.rst")) as handle:
        text = handle.read()
    helpers = {"tgmon_now", "tgmon_json", "tgmon_update"}
    documented = set(re.findall(r"``(tgmon_\w+)``", text)) - helpers
    assert hooks - helpers == documented, (hooks - helpers) ^ documented
    for verb in ("init", "set-flag", "clear-flag", "update", "heartbeat"):
        assert "tgmon state %s DIR" % verb in text, verb

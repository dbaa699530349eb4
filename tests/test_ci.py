""".ci/run stops only the daemons its own package installs started, by PID: a core
that somebody else runs on the machine keeps running (it used pkill -x by name)."""

import os
import re
import shutil
import subprocess
import time

import pytest

from helpers import ROOT

STOPPER = os.path.join(ROOT, ".ci", "stop-started-daemons")

# a process named like a core -> (ran before the install, its pidfile names it, the
# pidfile's core name is its own name) -> whether .ci/stop-started-daemons stops it
CASES = [
    ("started_by_the_install", False, True, True, True),
    ("ran_before_the_install", True, True, True, False),
    ("same_name_but_no_pidfile", False, False, True, False),
    ("pidfile_names_another_program", False, True, False, False),
]


def test_ci_run_kills_nothing_by_name():
    with open(os.path.join(ROOT, ".ci", "run")) as handle:
        script = handle.read()
    assert not re.search(r"\b(pkill|killall|kill)\b", script), "stop by PID only"
    assert ".ci/stop-started-daemons \"$before\"" in script


@pytest.mark.parametrize("name, before, listed, same_name, stopped", CASES,
                         ids=[c[0] for c in CASES])
def test_only_what_the_install_started_is_stopped(tmp_path, name, before, listed, same_name,
                                                  stopped):
    core = tmp_path / "nagios4"              # /proc/PID/comm is the executable's name
    shutil.copy(shutil.which("sleep"), core)
    snapshot = tmp_path / "before"
    processes = []
    try:
        if before:
            processes.append(subprocess.Popen([str(core), "60"]))
        snapshot.write_text(subprocess.run(["ps", "-eo", "pid="], capture_output=True,
                                           text=True, check=True).stdout.replace(" ", ""))
        if not before:
            processes.append(subprocess.Popen([str(core), "60"]))
        process = processes[0]
        pidfile = tmp_path / "nagios4.pid"
        if listed:
            pidfile.write_text("%d\n" % process.pid)
        done = subprocess.run([STOPPER, str(snapshot), "%s=%s" % (
            "nagios4" if same_name else "icinga2", pidfile), "nrpe=%s" % (tmp_path / "none.pid")],
            capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 5
        while stopped and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (process.poll() is not None) == stopped, done.stdout
        assert ("stopped nagios4 (PID %d" % process.pid in done.stdout) == stopped
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait(10)


def test_a_pidfile_that_is_garbage_stops_nothing(tmp_path):
    snapshot = tmp_path / "before"
    snapshot.write_text("1\n")
    garbage = tmp_path / "garbage.pid"
    garbage.write_bytes(b"\x00\xff not a pid\n" * 1000)
    done = subprocess.run([STOPPER, str(snapshot), "icinga2=%s" % garbage,
                           "nrpe=%s" % (tmp_path / "missing.pid")],
                          capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")

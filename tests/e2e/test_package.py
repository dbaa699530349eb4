"""What an administrator installs, run the way a core runs it: the Debian
package's plugins and the venv route's (``make install``), as the nagios user
with no environment at all."""

import os
import re
import shutil
import subprocess

import pytest

import tgmon
from tgmon.checks.registry import all_checks

from helpers import ROOT
from .cores import EXAMPLES, PLUGIN_DIR, TGMON, WorkDir, as_daemon_user, need_package

pytestmark = pytest.mark.e2e
STATES = os.path.join(EXAMPLES, "states")
# example state dir -> the worst status of the single-node plugins on it, once
# ``tgmon refresh`` has moved its times to now (as README.rst shows)
EXAMPLE_STATUS = {"healthy-single": 0, "download-failed-single": 1,
                  "reboot-required-single": 1, "update-locked-cluster-node": 2}


def node_plugins():
    return [d.prog for d in all_checks() if d.scope != "cluster"]


def run_as_daemon_user(argv):
    return subprocess.run(as_daemon_user(argv), capture_output=True, text=True, timeout=30)


def refreshed_examples(work):
    """Copies of the shipped example states, their times moved to now by the
    installed ``tgmon refresh``: {example: dir}."""
    dirs = {}
    for example in EXAMPLE_STATUS:
        dirs[example] = os.path.join(work.path, example)
        shutil.copytree(os.path.join(STATES, example), dirs[example])
        done = subprocess.run([TGMON, "refresh", dirs[example]], capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0, done.stderr
    work.readable()
    return dirs


def installed_files():
    listed = subprocess.run(["dpkg", "-L", "tgmon"], capture_output=True, text=True, check=True)
    return [line for line in listed.stdout.splitlines() if os.path.isfile(line)]


def test_the_package_installs_every_plugin_of_the_registry_and_nothing_else():
    need_package()
    plugins = sorted(os.path.basename(path) for path in installed_files()
                     if os.path.dirname(path) == PLUGIN_DIR)
    assert plugins == sorted(d.prog for d in all_checks())
    for name in plugins:
        mode = os.stat(os.path.join(PLUGIN_DIR, name)).st_mode
        assert mode & 0o777 == 0o755, (name, oct(mode))
        with open(os.path.join(PLUGIN_DIR, name)) as handle:
            assert handle.readline() == "#!/usr/bin/python3\n", name


@pytest.mark.parametrize("plugin", [d.prog for d in all_checks()])
def test_installed_plugin_version_and_help_as_the_daemon_user(plugin):
    need_package()
    version = run_as_daemon_user([os.path.join(PLUGIN_DIR, plugin), "--version"])
    # exit 3 like the monitoring-plugins: a core never takes --version for OK
    assert (version.returncode, version.stdout) == (
        3, "%s (tgmon) %s\n" % (plugin, tgmon.__version__)), version
    shown = run_as_daemon_user([os.path.join(PLUGIN_DIR, plugin), "--help"])
    assert shown.returncode == 3 and "--timeout" in shown.stdout, shown


def test_installed_plugins_judge_the_shipped_examples():
    """Every single-node plugin on each shipped example state, as the daemon user;
    nothing is written into the state dirs."""
    need_package()
    work = WorkDir("tgmon-e2e-examples-")
    try:
        for example, directory in sorted(refreshed_examples(work).items()):
            before = {name: os.stat(os.path.join(directory, name)).st_mtime_ns
                      for name in os.listdir(directory)}
            worst = 0
            for plugin in node_plugins():
                done = run_as_daemon_user([os.path.join(PLUGIN_DIR, plugin),
                                           "--state-dir", directory])
                assert done.returncode in (0, 1, 2), (plugin, done.stdout, done.stderr)
                assert done.stderr == "", (plugin, done.stderr)
                worst = max(worst, done.returncode)
            assert worst == EXAMPLE_STATUS[example], example
            after = {name: os.stat(os.path.join(directory, name)).st_mtime_ns
                     for name in os.listdir(directory)}
            assert after == before
    finally:
        work.remove()


def test_the_venv_route_gives_the_nagios_user_the_same_plugins():
    """``make install`` with the system's Python into a fresh PREFIX and PLUGINDIR:
    every plugin runs as the daemon user with no environment and says what the
    packaged one says; with the venv gone, each says so in one UNKNOWN line."""
    need_package()
    python = "/usr/bin/python3"
    probe = subprocess.run([python, "-c", "import venv, ensurepip"], capture_output=True)
    if probe.returncode != 0:
        pytest.fail("the venv route needs python3-venv (apt-get install python3-venv); "
                    ".ci/run installs it")
    work = WorkDir("tgmon-e2e-venv-")
    try:
        prefix, plugindir = os.path.join(work.path, "opt"), os.path.join(work.path, "plugins")
        done = subprocess.run(["make", "-s", "install", "PREFIX=" + prefix,
                               "PLUGINDIR=" + plugindir, "SYSTEM_PYTHON=" + python],
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        installed = sorted(os.listdir(plugindir))
        assert installed == sorted(d.prog for d in all_checks())
        for example, directory in sorted(refreshed_examples(work).items()):
            for plugin in node_plugins():
                argv = ["--state-dir", directory]
                mine = run_as_daemon_user([os.path.join(plugindir, plugin)] + argv)
                packaged = run_as_daemon_user([os.path.join(PLUGIN_DIR, plugin)] + argv)
                assert mine.returncode == packaged.returncode, (plugin, example, mine.stdout)
                assert mine.stdout.split("|")[0] == packaged.stdout.split("|")[0], (
                    plugin, example, mine.stdout, packaged.stdout)
        # tgmon gone from the venv (uninstalled, a broken upgrade): one line, exit 3
        removed = subprocess.run([os.path.join(prefix, "bin", "python"), "-m", "pip",
                                  "uninstall", "-q", "-y", "tgmon"], capture_output=True,
                                 text=True, timeout=120)
        assert removed.returncode == 0, removed.stderr
        for plugin in sorted(installed):
            gone = run_as_daemon_user([os.path.join(plugindir, plugin)])
            assert gone.returncode == 3, (plugin, gone)
            assert len(gone.stdout.splitlines()) == 1 and gone.stderr == "", gone
            assert re.match(r"[A-Z_]+ UNKNOWN - cannot load the tgmon package .*install tgmon",
                            gone.stdout), gone
    finally:
        work.remove()

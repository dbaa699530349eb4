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
            assert handle.readline() == "#!/usr/bin/python3 -I\n", name


@pytest.mark.parametrize("plugin", [d.prog for d in all_checks()])
def test_installed_plugin_version_and_help_as_the_daemon_user(plugin):
    need_package()
    version = run_as_daemon_user([os.path.join(PLUGIN_DIR, plugin), "--version"])
    # exit 3 like the monitoring-plugins: a core never takes --version for OK
    assert (version.returncode, version.stdout) == (
        3, "%s (tgmon) %s\n" % (plugin, tgmon.__version__)), version
    shown = run_as_daemon_user([os.path.join(PLUGIN_DIR, plugin), "--help"])
    assert shown.returncode == 3 and "--timeout" in shown.stdout, shown
    assert_help_names_installed_docs(shown.stdout, "/usr/share/doc/tgmon", plugin)


def assert_help_names_installed_docs(text, docs, plugin):
    """--help points at the installed pages (they exist), not at a source tree's docs/."""
    named = re.findall(r"(/\S+?\.rst)", " ".join(text.split()))
    assert named == [docs + "/configuration.rst", docs + "/output-json.rst",
                     docs + "/checkmk.rst", "%s/checks/%s.rst" % (docs, plugin)], named
    assert all(os.path.isfile(path) for path in named), named
    assert " docs/" not in text and "(see docs/" not in text


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
        for plugin in installed:
            shown = run_as_daemon_user([os.path.join(plugindir, plugin), "--help"])
            assert_help_names_installed_docs(shown.stdout, prefix + "/share/doc/tgmon", plugin)
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


UNITS = ("tgmon-serve.service", "tgmon-downtimes.service", "tgmon-push.service",
         "tgmon-downtimes.timer",
         "tgmon-textfile.service", "tgmon-textfile.timer")
SERVICES = [unit for unit in UNITS if unit.endswith(".service")]


@pytest.mark.parametrize("unit", UNITS)
def test_the_units_are_installed_valid_and_not_enabled(unit):
    need_package()
    path = os.path.join("/lib/systemd/system", unit)
    assert os.path.isfile(path)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing (apt-get install systemd; .ci/run does)")
    verified = subprocess.run([analyze, "verify", path], capture_output=True, text=True,
                              timeout=60)
    assert verified.returncode == 0 and verified.stderr.strip() == "", verified
    wants = "/etc/systemd/system/%s.wants/%s" % (
        "timers.target" if unit.endswith(".timer") else "multi-user.target", unit)
    assert not os.path.exists(wants), "the package enabled %s" % unit


@pytest.mark.parametrize("unit", SERVICES)
def test_the_services_are_hardened(unit):
    """systemd-analyze security: the exposure score of each service (0 best, 10 worst)."""
    need_package()
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                           os.path.join("/lib/systemd/system", unit)],
                          capture_output=True, text=True, timeout=60)
    match = re.search(r"Overall exposure level for %s: ([\d.]+)" % re.escape(unit), done.stdout)
    assert match, done.stdout[-2000:] + done.stderr
    assert float(match.group(1)) <= 2.0, done.stdout[-3000:]


def test_the_exporter_with_its_network_drop_in_and_the_fallback_units_verify(tmp_path):
    """The documented drop-in (credentials for token and TLS) on the installed unit, and
    the blind heartbeat fallback example: systemd accepts them; the drop-in keeps the
    exporter's exposure score."""
    need_package()
    examples = os.path.join(EXAMPLES, "systemd")
    shutil.copy("/lib/systemd/system/tgmon-serve.service", tmp_path)
    drop_in = tmp_path / "tgmon-serve.service.d"
    drop_in.mkdir()
    shutil.copy(os.path.join(examples, "tgmon-serve-network.conf"), drop_in / "network.conf")
    for name in ("tgmon-heartbeat-fallback.service", "tgmon-heartbeat-fallback.timer"):
        shutil.copy(os.path.join(examples, name), tmp_path)
    for unit in ("tgmon-serve.service", "tgmon-heartbeat-fallback.service",
                 "tgmon-heartbeat-fallback.timer"):
        done = subprocess.run(["systemd-analyze", "verify", unit], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and done.stderr.strip() == "", (unit, done)
    shown = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                            "tgmon-serve.service"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=60).stdout
    assert float(re.search(r"exposure level for tgmon-serve.service: ([\d.]+)",
                           shown).group(1)) <= 2.0
    with open(os.path.join(examples, "tgmon-heartbeat-fallback.service")) as handle:
        assert handle.readline().startswith("# FALLBACK ONLY")

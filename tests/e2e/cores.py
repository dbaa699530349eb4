"""Real monitoring cores and the installed package, for the end-to-end tests.

The end-to-end tests run what an administrator installs: the Debian package's
plugins in /usr/lib/nagios/plugins, its Icinga 2 CheckCommands in the ITL's
plugins-contrib.d, its Nagios and NRPE commands - run by real daemons, as the
``nagios`` user when the tests run as root (as CI does). Each daemon gets its
own temporary dirs and ports on 127.0.0.1 and is stopped by PID.
"""

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from helpers import ROOT

PLUGIN_DIR = "/usr/lib/nagios/plugins"
ICINGA_COMMANDS = "/usr/share/icinga2/include/plugins-contrib.d/tgmon.conf"
NAGIOS_COMMANDS = "/etc/nagios-plugins/config/tgmon.cfg"
NRPE_COMMANDS = "/etc/nagios/nrpe.d/tgmon.cfg"
EXAMPLES = "/usr/share/doc/tgmon/examples"
TGMON = "/usr/bin/tgmon"
TGMON_SIM = "/usr/bin/tgmon-sim"
INSTALLED_LIBRARY = "/usr/lib/python3/dist-packages/tgmon"
# Two cluster nodes at one instant: tg-node1 healthy; tg-node2 with the warn
# flag, an update lock, R7 maintenance and its schedule off.
SCENARIO = os.path.join(ROOT, "scenarios", "cluster-download-fails.yml")
INSTANT = "2026-11-17T04:00"


def _missing(message):
    if os.environ.get("CI"):
        pytest.fail("CI must run this test: " + message)
    pytest.skip("SKIPPED LOUDLY - " + message)


def need(binary, package):
    """The path of a core's binary; in CI a missing core fails, elsewhere it skips loudly."""
    for directory in ("/usr/sbin", "/usr/bin", "/sbin", PLUGIN_DIR):
        path = os.path.join(directory, binary)
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(binary)
    if found:
        return found
    _missing("%s (Debian package %s) is not installed: the end-to-end test in real cores "
             "cannot run. .ci/run installs it; here: apt-get install %s" % (binary, package,
                                                                              package))


def need_package():
    """The installed tgmon package (make deb; apt-get install ./dist/tgmon_*_all.deb)."""
    for path in (os.path.join(PLUGIN_DIR, "check_versions"), ICINGA_COMMANDS, NAGIOS_COMMANDS,
                 NRPE_COMMANDS, TGMON):
        if not os.path.exists(path):
            _missing("the tgmon package is not installed (%s is missing): make deb, then "
                     "apt-get install ./dist/tgmon_*_all.deb" % path)
    stale = _differs_from_source()
    if stale:
        _missing("the installed tgmon package is not this source tree (%s differs): make deb, "
                 "then apt-get install --reinstall ./dist/tgmon_*_all.deb" % stale)


def need_installed_copy(installed, source):
    """The installed package has this tree's ``source`` (a data file) as ``installed``."""
    try:
        with open(installed, "rb") as theirs, open(source, "rb") as mine:
            if theirs.read() == mine.read():
                return
    except FileNotFoundError:
        pass
    _missing("the installed tgmon package is not this source tree (%s is not %s): make deb, "
             "then apt-get install --reinstall ./dist/tgmon_*_all.deb"
             % (installed, os.path.relpath(source, ROOT)))


def _differs_from_source():
    """The first module of the source tree the installed package does not hold as is."""
    source = os.path.join(ROOT, "tgmon")
    for directory, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in sorted(f for f in files if f.endswith(".py")):
            path = os.path.join(directory, name)
            installed = os.path.join(INSTALLED_LIBRARY, os.path.relpath(path, source))
            try:
                with open(path, "rb") as mine, open(installed, "rb") as theirs:
                    if mine.read() != theirs.read():
                        return os.path.relpath(path, ROOT)
            except FileNotFoundError:
                return os.path.relpath(path, ROOT)
    return None


def daemon_user():
    """(user, group) the daemons and so the plugins run as: nagios when we are root."""
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("nagios")
            return "nagios", "nagios"
        except KeyError:
            _missing("there is no nagios user (the icinga2 or nagios4 packages create it)")
    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name


class WorkDir:
    """A temporary dir the daemon user can use (its ancestors are world-searchable)."""

    def __init__(self, prefix):
        self.path = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.path, 0o755)

    def sub(self, *parts, owned=False):
        path = os.path.join(self.path, *parts)
        os.makedirs(path, exist_ok=True)
        os.chmod(path, 0o755)
        if owned:
            chown_to_daemon_user(path)
        return path

    def write(self, name, text, mode=0o644):
        path = os.path.join(self.path, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
        os.chmod(path, mode)
        return path

    def readable(self):
        """Everything below readable by the daemon user (state dirs, configs)."""
        for directory, _dirs, files in os.walk(self.path):
            os.chmod(directory, os.stat(directory).st_mode | 0o755)
            for name in files:
                path = os.path.join(directory, name)
                os.chmod(path, os.stat(path).st_mode | 0o444)

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


def chown_to_daemon_user(path):
    user, group = daemon_user()
    if os.geteuid() != 0:
        return
    uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    os.chown(path, uid, gid)
    for directory, _dirs, files in os.walk(path):
        os.chown(directory, uid, gid)
        for name in files:
            os.chown(os.path.join(directory, name), uid, gid)


def as_daemon_user(command):
    """``command`` run as the daemon user, with no environment (as a core runs plugins)."""
    user, _ = daemon_user()
    if os.geteuid() == 0 and user != "root":
        return ["runuser", "-u", user, "--", "env", "-i"] + list(command)
    return ["env", "-i"] + list(command)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process, timeout=30):
    """Stop a daemon by its PID: SIGTERM, then SIGKILL."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(10)


def simulated_nodes(work):
    """The scenario's nodes at INSTANT, written by the installed tgmon-sim as if
    just now: {node name: state dir}."""
    target = work.sub("nodes")
    done = subprocess.run([TGMON_SIM, "run", SCENARIO, "--until", INSTANT, "--state-dir", target,
                           "--as-of-now"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    work.readable()
    return {name: os.path.join(target, name) for name in sorted(os.listdir(target))}


def wait_for(predicate, seconds, what, step=0.2):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    pytest.fail("%s did not happen within %d s" % (what, seconds))

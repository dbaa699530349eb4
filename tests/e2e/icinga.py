"""Real Icinga 2 daemons for the end-to-end tests: each with its own dirs, PKI
files and API port on 127.0.0.1, run as the daemon user, stopped by PID."""

import os
import re
import shlex
import shutil
import subprocess
import time

import pytest
import requests
import urllib3

from helpers import ROOT
from remote.servers import make_certificate
from .cores import EXAMPLES, chown_to_daemon_user, daemon_user, need, stop, wait_for

STOCK_CONFIG = "/etc/icinga2"     # as the installed icinga2 package shipped it
# What every test instance loads first: the plugins where the package puts them,
# the ITL with the package's CheckCommands (plugins-contrib.d), a log file.
PREAMBLE = """
const PluginDir = "/usr/lib/nagios/plugins"
const PluginContribDir = "/usr/lib/nagios/plugins"
const ManubulonPluginDir = "/usr/lib/nagios/plugins"
const NodeName = "%(name)s"
include <itl>
include <plugins>
include <plugins-contrib>
object FileLogger "main-log" { severity = "information"; path = LogDir + "/icinga2.log" }
"""


class Icinga:
    """One icinga2 daemon with its own dirs, PKI files and API port."""

    def __init__(self, work, name, config, config_path=None, zones_dir=None, config_dir=None):
        self.binary = need("icinga2", "icinga2")
        self.work = work
        self.name = name
        self.root = work.sub(name)
        self.config = config_path or work.write(os.path.join(name, "icinga2.conf"), config)
        self.zones_dir = zones_dir
        self.config_dir = config_dir
        for sub in ("data", "log", "cache", "spool", "run", "state"):
            work.sub(name, sub)
        self.process = None

    def args(self, *extra):
        user, group = daemon_user()
        return self.args_for("daemon", "-c", self.config, "-DRunAsUser=%s" % user,
                             "-DRunAsGroup=%s" % group, *extra)

    def args_for(self, *command):
        args = [self.binary] + list(command)
        for var, sub in (("DataDir", "data"), ("LogDir", "log"), ("CacheDir", "cache"),
                         ("SpoolDir", "spool"), ("InitRunDir", "run"), ("StateDir", "state")):
            args.append("-D%s=%s" % (var, os.path.join(self.root, sub)))
        if self.zones_dir:
            args.append("-DZonesDir=%s" % self.zones_dir)
        if self.config_dir:
            args.append("-DConfigDir=%s" % self.config_dir)
        return args

    def validate(self):
        chown_to_daemon_user(self.root)
        return subprocess.run(self.args("-C"), capture_output=True, text=True, timeout=120)

    def start(self):
        chown_to_daemon_user(self.root)
        self.console = open(os.path.join(self.root, "console.log"), "w")
        self.process = subprocess.Popen(self.args(), stdout=self.console,
                                        stderr=subprocess.STDOUT)

    def log(self):
        with open(os.path.join(self.root, "log", "icinga2.log")) as handle:
            return handle.read()

    def stop(self):
        if self.process is not None:
            stop(self.process)
            self.console.close()


def pki(work, names, ips=None):
    """A CA and one certificate per endpoint, in each instance's DataDir/certs (with
    the IP address of ``ips[name]`` as subjectAltName); returns the CA's certificate."""
    ca_dir = work.sub("ca")
    ca = (os.path.join(ca_dir, "ca.crt"), os.path.join(ca_dir, "ca.key"))
    make_certificate(ca[0], ca[1], "tgmon e2e CA", rsa=True, valid_days=(-1, 30))
    for name in names:
        certs = work.sub(name, "data", "certs")
        make_certificate(os.path.join(certs, name + ".crt"), os.path.join(certs, name + ".key"),
                         name, ip=(ips or {}).get(name), rsa=True, valid_days=(-1, 30),
                         issuer=ca)
        shutil.copy(ca[0], os.path.join(certs, "ca.crt"))
    return ca[0]


def shipped_zones(work):
    """The shipped examples (templates, constants, apply rules, the on-call templates and
    dependencies) as an admin copies them."""
    zones = work.sub("zones.d")
    os.makedirs(os.path.join(zones, "master"))
    os.makedirs(os.path.join(zones, "global-templates"))
    shutil.copy(os.path.join(EXAMPLES, "icinga2", "tgmon-templates.conf"),
                os.path.join(zones, "global-templates"))
    for name in ("tgmon-constants.conf", "tgmon-services.conf", "tgmon-oncall.conf"):
        shutil.copy(os.path.join(EXAMPLES, "icinga2", name), os.path.join(zones, "master"))
    return zones


def api_up(api, base, *instances):
    """Whether the API at ``base`` answers; fails at once if an instance died."""
    for instance in instances:
        assert instance.process.poll() is None, open(instance.console.name).read()[-3000:]
    try:
        return api.get(base + "/status", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def endpoint_connected(api, base, name):
    answer = api.get(base + "/objects/endpoints/" + name, timeout=5).json()
    return bool(answer.get("results")) and answer["results"][0]["attrs"]["connected"]


def checked_now(api, base, attrs, seconds=90, where="true"):
    """A forced check of every service ``where`` (an Icinga 2 filter) selects, then
    {service: attrs} once each has a result from after it (``last_check_result`` is
    always among the attrs)."""
    since = time.time()
    forced_at = [0.0]

    def force():
        forced = api.post(base + "/actions/reschedule-check", timeout=10,
                          json={"type": "Service", "filter": where, "force": True})
        assert forced.status_code == 200, forced.text
        forced_at[0] = time.monotonic()
    force()

    def all_checked():
        answer = api.post(base + "/objects/services", timeout=10,
                          headers={"X-HTTP-Method-Override": "GET"},
                          json={"attrs": ["last_check_result"] + list(attrs), "filter": where})
        assert answer.status_code == 200, answer.text
        results = {r["name"]: r["attrs"] for r in answer.json()["results"]}
        done = results and all(a["last_check_result"] and a["last_check_result"][
            "execution_end"] >= since for a in results.values())
        # a zone whose endpoints had not yet settled which of them checks what (an HA
        # pair just after its start) can let a forced check pass by: force it again
        if not done and time.monotonic() - forced_at[0] > 20:
            force()
        return results if done else None
    return wait_for(all_checked, seconds, "a new result for every service of: " + where)


def api_session(user, password):
    """The test's own look at the API (not what tgmon sends)."""
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    api = requests.Session()
    api.auth = (user, password)
    api.verify = False
    api.trust_env = False
    api.headers["Accept"] = "application/json"
    return api




def readme_icinga_steps():
    """The commands of README.rst's "Icinga 2" section in order: ("run", command line)
    or ("write", path, text, append) for a ``cat >[>] PATH <<'EOF'`` here-document."""
    with open(os.path.join(ROOT, "README.rst")) as handle:
        text = handle.read()
    section = re.search(r"\nIcinga 2\n=+\n(.*?)\n[^\n]+\n=+\n", text, re.S).group(1)
    steps, lines = [], iter(_literal_lines(section))
    for line in lines:
        heredoc = re.match(r"cat (>>?) (\S+) <<'EOF'$", line)
        if heredoc:
            body = []
            for inner in lines:
                if inner == "EOF":
                    break
                body.append(inner)
            steps.append(("write", heredoc.group(2), "\n".join(body) + "\n",
                          heredoc.group(1) == ">>"))
        elif line.strip() and not line.startswith("#"):
            while line.endswith("\\"):
                line = line[:-1] + next(lines).strip()
            steps.append(("run", line))
    return steps


def _literal_lines(text):
    """The lines of the ``::`` blocks, without their indent."""
    result, inside = [], False
    for line in text.splitlines():
        if inside and (line.startswith("    ") or not line.strip()):
            result.append(line[4:])
            continue
        inside = line.rstrip().endswith("::")
    return result


def run_readme_steps(work, name):
    """README.rst's Icinga 2 steps, as written, on a copy of the stock /etc/icinga2 (every
    path below it moved into the copy; systemctl left out: the system's own icinga2 is
    not touched). Returns the Icinga 2 they configured and its last validation."""
    etc = os.path.join(work.path, "etc-icinga2")
    shutil.copytree(STOCK_CONFIG, etc, symlinks=True)   # features-enabled links stay inside
    icinga = Icinga(work, name, None, config_path=os.path.join(etc, "icinga2.conf"),
                    zones_dir=os.path.join(etc, "zones.d"), config_dir=etc)
    user, group = daemon_user()
    validated = None
    for step in readme_icinga_steps():
        if step[0] == "write":
            _, path, text, append = step
            assert path.startswith(STOCK_CONFIG + "/"), "a README step writes to %s" % path
            with open(path.replace(STOCK_CONFIG, etc), "a" if append else "w") as handle:
                handle.write(text)
            continue
        for command in step[1].split("&&"):
            argv = [part.replace(STOCK_CONFIG, etc) for part in shlex.split(command)]
            if argv[:1] == ["systemctl"] and argv[2:] == ["icinga2"]:
                continue
            if argv[0] == "icinga2":
                work.readable()
                chown_to_daemon_user(work.path)   # it drops to the daemon user
                extra = ["-c", icinga.config] if argv[1] == "daemon" else []
                argv = icinga.args_for(*argv[1:]) + extra + ["-DRunAsUser=%s" % user,
                                                             "-DRunAsGroup=%s" % group]
            elif argv[0] not in ("mkdir", "cp") or not argv[-1].startswith(etc + "/"):
                pytest.fail("README.rst's Icinga 2 section has a step this test cannot run "
                            "as written (only in the copy of %s): %s" % (STOCK_CONFIG, command))
            done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, (command, done.stdout[-3000:], done.stderr[-3000:])
            if argv[0] == icinga.binary and "-C" in argv:
                validated = done
    assert validated is not None, "README.rst's Icinga 2 steps never validate (daemon -C)"
    return icinga, validated

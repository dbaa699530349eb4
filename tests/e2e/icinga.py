"""Real Icinga 2 daemons for the end-to-end tests: each with its own dirs, PKI
files and API port on 127.0.0.1, run as the daemon user, stopped by PID."""

import os
import shutil
import subprocess

import requests
import urllib3

from remote.servers import make_certificate
from .cores import EXAMPLES, chown_to_daemon_user, daemon_user, need, stop


class Icinga:
    """One icinga2 daemon with its own dirs, PKI files and API port."""

    def __init__(self, work, name, config, config_path=None, zones_dir=None):
        self.binary = need("icinga2", "icinga2")
        self.work = work
        self.name = name
        self.root = work.sub(name)
        self.config = config_path or work.write(os.path.join(name, "icinga2.conf"), config)
        self.zones_dir = zones_dir
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
    """The shipped examples (templates, constants, apply rules) as an admin copies them."""
    zones = work.sub("zones.d")
    os.makedirs(os.path.join(zones, "master"))
    os.makedirs(os.path.join(zones, "global-templates"))
    shutil.copy(os.path.join(EXAMPLES, "icinga2", "tgmon-templates.conf"),
                os.path.join(zones, "global-templates"))
    for name in ("tgmon-constants.conf", "tgmon-services.conf"):
        shutil.copy(os.path.join(EXAMPLES, "icinga2", name), os.path.join(zones, "master"))
    return zones


def api_session(user, password):
    """The test's own look at the API (not what tgmon sends)."""
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    api = requests.Session()
    api.auth = (user, password)
    api.verify = False
    api.trust_env = False
    api.headers["Accept"] = "application/json"
    return api



"""tgmon push into a real Icinga 2 master: the installed ``tgmon push`` (as the daemon
user, with docs/push.rst's least-privilege ApiUser) sends every pushed service the
state and output the active plugin gives for the same state; stopped, the ttl
makes Icinga run the real CheckCommand again."""

import os
import re
import signal
import subprocess
import textwrap
import time

import pytest
import requests

from helpers import ROOT
from .cores import (TGMON, WorkDir, as_daemon_user, chown_to_daemon_user, daemon_user,
                    free_port, need_package, simulated_nodes, wait_for)
from .icinga import PREAMBLE, Icinga, api_session, checked_now, pki, shipped_zones

pytestmark = pytest.mark.e2e
MASTER = "tgmon-master"
ADMIN = "admin-%d" % os.getpid()
PUSH_PASSWORD = "push-secret-%d" % os.getpid()
PUSHED = 'match("tightgate*", service.name) && service.vars.tgmon_pushed'
AGE = re.compile(r"(_age=)\d+")
# a duration in the long output ("(40m 45s ago)"): the seconds between the two results
# every duration in the text ("3h ago", "available for 18h 1m"): the active and the
# pushed run are seconds apart, a minute may end between them
AGO = re.compile(r"\b\d+[smhd]( \d+[smhd])*( ago)?\b")


def push_api_user(password):
    """docs/push.rst's ApiUser, as written there, with its password."""
    with open(os.path.join(ROOT, "docs", "push.rst")) as handle:
        text = handle.read()
    block = re.search(r"\n(    object ApiUser \"tgmon-push\" \{\n.*?\n    \})\n", text, re.S)
    return textwrap.dedent(block.group(1)).replace('password = "..."',
                                                   'password = "%s"' % password)


def master_config(port, nodes, zones):
    return PREAMBLE % {"name": MASTER} + """const ZoneName = "master"
object Endpoint "%(master)s" { }
object Zone "master" { endpoints = [ "%(master)s" ] }
object Zone "global-templates" { global = true }
object CheckerComponent "checker" { }
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %(port)d }
object ApiUser "e2e" { password = "%(admin)s"; permissions = [ "*" ] }
%(push_user)s
object Host "tg-node1" {
  check_command = "dummy"
  vars.tightgate = { mode = "local", role = "cluster-node", state_dir = "%(node1)s", push = true }
}
object Host "tg-node2" {
  check_command = "dummy"
  vars.tightgate = { mode = "local", role = "cluster-node", state_dir = "%(node2)s",
                     push = true, all_in_one = true }
}
object Host "tg-pulled" {
  check_command = "dummy"
  vars.tightgate = { mode = "local", role = "cluster-node", state_dir = "%(node1)s" }
}
object Host "tgc" {
  check_command = "dummy"
  vars.tightgate_cluster = { nodes = [ "%(node1)s", "%(node2)s" ], push = true }
}
include_zones "tgmon", "%(zones)s"
""" % {"master": MASTER, "port": port, "admin": ADMIN, "push_user": push_api_user(PUSH_PASSWORD),
       "node1": nodes["tg-node1"], "node2": nodes["tg-node2"], "zones": zones}


class Master:
    def __init__(self, work):
        self.work = work
        self.nodes = simulated_nodes(work)
        self.port = free_port()
        self.ca = pki(work, (MASTER,), {MASTER: "127.0.0.1"})
        self.icinga = Icinga(work, MASTER, master_config(self.port, self.nodes,
                                                         shipped_zones(work)))
        self.password_file = work.write("push.password", PUSH_PASSWORD + "\n", 0o600)
        chown_to_daemon_user(self.password_file)
        checked = self.icinga.validate()
        assert checked.returncode == 0, checked.stdout[-3000:]
        work.readable()
        os.chmod(self.password_file, 0o600)
        self.icinga.start()
        self.api = api_session("e2e", ADMIN)
        self.base = "https://127.0.0.1:%d/v1" % self.port

        def up():
            assert self.icinga.process.poll() is None, open(self.icinga.console.name).read()
            try:
                return self.api.get(self.base + "/status", timeout=2).status_code == 200
            except requests.RequestException:
                return False
        wait_for(up, 60, "Icinga 2's API")

    def push_args(self, *extra):
        return [TGMON, "push", "--node", "tg-node1=" + self.nodes["tg-node1"], "--node",
                "tg-node2=" + self.nodes["tg-node2"], "--cluster-host", "tgc",
                "--icinga-url", "https://127.0.0.1:%d" % self.port, "--icinga-user",
                "tgmon-push", "--icinga-password-file", self.password_file,
                "--icinga-ca-file", self.ca, "--check-source", "e2e-pusher"] + list(extra)

    def services(self, where=PUSHED):
        answer = self.api.post(self.base + "/objects/services", timeout=10,
                               headers={"X-HTTP-Method-Override": "GET"},
                               json={"attrs": ["last_check_result", "next_check"],
                                     "filter": where})
        assert answer.status_code == 200, answer.text
        return {r["name"]: r["attrs"] for r in answer.json()["results"]}


def comparable(result):
    """What must be equal between the active and the pushed result: the state, the
    output and the perfdata but for the ages, which count the seconds between the two
    (the state: Icinga 2 keeps a passive result's exit_status at 0)."""
    return (result["state"], AGO.sub("N", result["output"]),
            [AGE.sub(r"\1N", p) for p in result["performance_data"]])


def test_pushed_results_are_the_active_checks_and_ttl_brings_the_real_check_back():
    need_package()
    work = WorkDir("tgmon-e2e-push-icinga-")
    master = None
    try:
        master = Master(work)
        active = checked_now(master.api, master.base, ["state"], where=PUSHED)
        # tg-node1: six checks + reachable; tg-node2: all-in-one + reachable; tgc: cluster
        assert len(active) == 7 + 2 + 1, sorted(active)
        assert {r["state"] for r in active.values()} >= {0, 2}
        done = subprocess.run(as_daemon_user(master.push_args("--once")), capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, (done.stdout, done.stderr)
        assert "Icinga 2: 10 sent, 0 refused" in done.stdout, done.stdout
        assert PUSH_PASSWORD not in done.stdout + done.stderr
        pushed = master.services()
        for name, attrs in pushed.items():
            result = attrs["last_check_result"]
            assert result["active"] is False and result["check_source"] == "e2e-pusher", name
            assert comparable(result) == comparable(active[name]["last_check_result"]), name
            assert result["ttl"] > 0
            # the ttl moved the next active check: nothing runs while results come
            assert attrs["next_check"] == pytest.approx(result["execution_end"]
                                                        + result["ttl"], abs=10), name

        # least privilege: the ApiUser cannot push to a service that is not pushed
        refused = requests.post(master.base + "/actions/process-check-result", verify=False,
                                auth=("tgmon-push", PUSH_PASSWORD), timeout=10,
                                headers={"Accept": "application/json"}, json={
                                    "type": "Service", "service": "tg-pulled!tightgate-versions",
                                    "exit_status": 0, "plugin_output": "forged"})
        assert refused.status_code == 404, refused.text

        # the daemon, every check due every 5 s (ttl 10 s), stopped by SIGTERM
        intervals = [a for check in ("versions", "update_lock", "hotfixes", "reboot_required",
                                     "maintenance", "update_schedule", "tightgate",
                                     "reachable", "cluster_updates")
                     for a in ("--interval", check + "=5")]
        # started as the daemon user directly (not through runuser), so SIGTERM is its own
        user, group = daemon_user()
        daemon = subprocess.Popen(master.push_args("--round", "2", *intervals), env={},
                                  user=user, group=group, extra_groups=[],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: all(a["last_check_result"]["ttl"] == 10
                                 for a in master.services().values()), 30,
                     "the daemon's results (ttl 10 s)")
        finally:
            daemon.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            out, err = daemon.communicate(timeout=3)
        assert time.monotonic() - stopped < 2.5
        assert daemon.returncode == 0, (out, err)
        assert re.search(r"round \d+: 2 of 2 nodes read", out) and "stopped by SIGTERM" in out
        silent_since = time.time()
        # silent: within its ttl, Icinga runs the real CheckCommand again, on its own -
        # within the service's check_period (the nightly schedule check: at night only)
        daytime = PUSHED + ' && service.check_period != "tgmon-night"'

        def real_checks():
            services = master.services(daytime)
            return services if all(a["last_check_result"]["active"] and a["last_check_result"][
                "execution_start"] > silent_since for a in services.values()) else None
        fallback = wait_for(real_checks, 90, "Icinga 2 running the real checks after the ttl")
        assert len(fallback) == 9
        for name, attrs in fallback.items():
            assert attrs["last_check_result"]["check_source"] == MASTER, name
            assert comparable(attrs["last_check_result"]) == comparable(
                active[name]["last_check_result"]), name
    finally:
        if master is not None:
            master.icinga.stop()
        work.remove()


"""tgmon push in Icinga's own cluster: a pusher for a satellite zone sends to that
zone's endpoint, and Icinga's cluster protocol carries the results to the master.
A real master and a real satellite (each its own PKI, dirs and API port on
127.0.0.1); the hosts live in the satellite's zone, the shipped apply rules in
the global zone, the push ApiUser (docs/push.rst) on the satellite."""

import os
import subprocess

import pytest

from .cores import (EXAMPLES, TGMON, WorkDir, as_daemon_user, chown_to_daemon_user, free_port,
                    need_package, simulated_nodes, wait_for)
from .icinga import (PREAMBLE, Icinga, api_session, api_up, endpoint_connected, pki)
from .test_push_icinga import PUSH_PASSWORD, push_api_user

pytestmark = pytest.mark.e2e
MASTER, SATELLITE = "tgmon-master", "tgmon-sat1"
ADMIN = "admin-%d" % os.getpid()

COMMON = PREAMBLE + """object Endpoint "%(master)s" { host = "127.0.0.1"; port = %(master_port)d }
object Zone "master" { endpoints = [ "%(master)s" ] }
object Endpoint "%(satellite)s" { host = "127.0.0.1"; port = %(satellite_port)d }
object Zone "%(satellite)s" { endpoints = [ "%(satellite)s" ]; parent = "master" }
object Zone "global-templates" { global = true }
object CheckerComponent "checker" { }
object ApiUser "e2e" { password = "%(admin)s"; permissions = [ "*" ] }
"""
MASTER_CONFIG = COMMON + """const ZoneName = "master"
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %(master_port)d
                           accept_commands = true; accept_config = true }
include_zones "tgmon", "%(zones)s"
"""
SATELLITE_CONFIG = COMMON + """const ZoneName = "%(satellite)s"
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %(satellite_port)d
                           accept_commands = true; accept_config = true }
%(push_user)s
"""
HOSTS = """object Host "tg-node1" {
  check_command = "dummy"
  vars.tightgate = { mode = "local", role = "cluster-node", state_dir = "%(node1)s", push = true }
}
object Host "tg-node2" {
  check_command = "dummy"
  vars.tightgate = { mode = "local", role = "cluster-node", state_dir = "%(node2)s", push = true }
}
"""


def zones(work, nodes):
    """The shipped files in the global zone (apply rules for every zone's hosts), the
    hosts in the satellite's zone."""
    base = work.sub("zones.d")
    for zone in ("global-templates", SATELLITE):
        work.sub("zones.d", zone)
    import shutil
    for name in ("tgmon-templates.conf", "tgmon-constants.conf", "tgmon-services.conf",
                 "tgmon-oncall.conf"):
        shutil.copy(os.path.join(EXAMPLES, "icinga2", name),
                    os.path.join(base, "global-templates"))
    with open(os.path.join(base, SATELLITE, "hosts.conf"), "w") as handle:
        handle.write(HOSTS % {"node1": nodes["tg-node1"], "node2": nodes["tg-node2"]})
    return base


def test_a_satellites_pusher_reaches_the_master_through_the_cluster():
    need_package()
    work = WorkDir("tgmon-e2e-push-zones-")
    instances = []
    try:
        nodes = simulated_nodes(work)
        values = {"master": MASTER, "satellite": SATELLITE, "master_port": free_port(),
                  "satellite_port": free_port(), "admin": ADMIN,
                  "push_user": push_api_user(PUSH_PASSWORD), "zones": zones(work, nodes)}
        ca = pki(work, (MASTER, SATELLITE), {MASTER: "127.0.0.1", SATELLITE: "127.0.0.1"})
        master = Icinga(work, MASTER, MASTER_CONFIG % dict(values, name=MASTER))
        satellite = Icinga(work, SATELLITE, SATELLITE_CONFIG % dict(values, name=SATELLITE))
        for instance in (master, satellite):
            checked = instance.validate()
            assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
        password = work.write("push.password", PUSH_PASSWORD + "\n", 0o600)
        chown_to_daemon_user(password)
        work.readable()
        os.chmod(password, 0o600)
        for instance in (satellite, master):
            instance.start()
            instances.append(instance)
        api = api_session("e2e", ADMIN)
        master_api = "https://127.0.0.1:%d/v1" % values["master_port"]
        satellite_api = "https://127.0.0.1:%d/v1" % values["satellite_port"]
        wait_for(lambda: api_up(api, master_api, master, satellite), 60, "the master's API")
        wait_for(lambda: endpoint_connected(api, master_api, SATELLITE), 90,
                 "the satellite's connection")

        def pushed_services(base):
            try:
                answer = api.post(base + "/objects/services", timeout=10,
                                  headers={"X-HTTP-Method-Override": "GET"},
                                  json={"attrs": ["last_check_result", "zone"],
                                        "filter": "service.vars.tgmon_pushed"})
            except Exception:
                return None
            if answer.status_code != 200:
                return None
            found = {r["name"]: r["attrs"] for r in answer.json()["results"]}
            return found if len(found) == 14 else None
        # the satellite got the hosts and the apply rules by the config sync
        wait_for(lambda: pushed_services(satellite_api), 120, "the satellite's services")
        assert {a["zone"] for a in pushed_services(master_api).values()} == {SATELLITE}

        done = subprocess.run(as_daemon_user([
            TGMON, "push", "--once", "--node", "tg-node1=" + nodes["tg-node1"], "--node",
            "tg-node2=" + nodes["tg-node2"], "--icinga-url", satellite_api[:-3],
            "--icinga-user", "tgmon-push", "--icinga-password-file", password,
            "--icinga-ca-file", ca, "--check-source", "sat1-pusher"]),
            capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (done.stdout, done.stderr)
        assert "Icinga 2: 14 sent, 0 refused" in done.stdout, done.stdout

        def on_master():
            found = pushed_services(master_api) or {}
            return found if found and all(
                (a["last_check_result"] or {}).get("check_source") == "sat1-pusher"
                for a in found.values()) else None
        results = wait_for(on_master, 60, "the pushed results on the master")
        states = {name: a["last_check_result"]["state"] for name, a in results.items()}
        assert states["tg-node2!tightgate-update_lock"] == 2
        assert states["tg-node1!tightgate-update_lock"] == 0
        assert all(not a["last_check_result"]["active"] for a in results.values())
    finally:
        for instance in instances:
            instance.stop()
        work.remove()

"""tgmon push in Icinga's own cluster: a pusher for a satellite zone sends to one
endpoint of that zone, and Icinga's cluster protocol carries the results to the
master - and, in an HA zone of two endpoints, to the other endpoint, so one
pusher does the work once for both. Real Icinga 2 instances (each its own PKI,
dirs and API port on 127.0.0.1); the hosts live in the satellite zone, the
shipped apply rules in the global zone, the push ApiUser (docs/push.rst) on the
satellites."""

import os
import subprocess
import time

import pytest

from .cores import (EXAMPLES, TGMON, WorkDir, as_daemon_user, chown_to_daemon_user, free_port,
                    need_package, simulated_nodes, wait_for)
from .icinga import (PREAMBLE, Icinga, api_session, api_up, checked_now, endpoint_connected,
                     pki)
from .test_push_icinga import PUSH_PASSWORD, push_api_user

pytestmark = pytest.mark.e2e
MASTER, ZONE = "tgmon-master", "tgmon-satellites"
ADMIN = "admin-%d" % os.getpid()

COMMON = PREAMBLE + """object Endpoint "%(master)s" { host = "127.0.0.1"; port = %(master_port)d }
object Zone "master" { endpoints = [ "%(master)s" ] }
%(satellite_endpoints)s
object Zone "%(zone)s" { endpoints = [ %(satellite_names)s ]; parent = "master" }
object Zone "global-templates" { global = true }
object CheckerComponent "checker" { }
object ApiUser "e2e" { password = "%(admin)s"; permissions = [ "*" ] }
"""
MASTER_CONFIG = COMMON + """const ZoneName = "master"
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %(master_port)d
                           accept_commands = true; accept_config = true }
include_zones "tgmon", "%(zones)s"
"""
SATELLITE_CONFIG = COMMON + """const ZoneName = "%(zone)s"
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %(port)d
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
    for zone in ("global-templates", ZONE):
        work.sub("zones.d", zone)
    import shutil
    for name in ("tgmon-templates.conf", "tgmon-constants.conf", "tgmon-services.conf",
                 "tgmon-oncall.conf"):
        shutil.copy(os.path.join(EXAMPLES, "icinga2", name),
                    os.path.join(base, "global-templates"))
    with open(os.path.join(base, ZONE, "hosts.conf"), "w") as handle:
        handle.write(HOSTS % {"node1": nodes["tg-node1"], "node2": nodes["tg-node2"]})
    return base


@pytest.mark.parametrize("satellites", [("tgmon-sat1",), ("tgmon-sat1", "tgmon-sat2")],
                         ids=["one endpoint", "an HA pair"])
def test_a_satellite_zones_pusher_reaches_the_master_through_the_cluster(satellites):
    need_package()
    work = WorkDir("tgmon-e2e-push-zones-")
    instances = []
    try:
        nodes = simulated_nodes(work)
        ports = {name: free_port() for name in (MASTER,) + satellites}
        values = {"master": MASTER, "zone": ZONE, "master_port": ports[MASTER], "admin": ADMIN,
                  "push_user": push_api_user(PUSH_PASSWORD), "zones": zones(work, nodes),
                  "satellite_names": ", ".join('"%s"' % name for name in satellites),
                  "satellite_endpoints": "\n".join(
                      'object Endpoint "%s" { host = "127.0.0.1"; port = %d }'
                      % (name, ports[name]) for name in satellites)}
        ca = pki(work, (MASTER,) + satellites, dict.fromkeys((MASTER,) + satellites,
                                                               "127.0.0.1"))
        master = Icinga(work, MASTER, MASTER_CONFIG % dict(values, name=MASTER))
        members = [Icinga(work, name, SATELLITE_CONFIG % dict(values, name=name,
                                                              port=ports[name]))
                   for name in satellites]
        for instance in [master] + members:
            checked = instance.validate()
            assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
        password = work.write("push.password", PUSH_PASSWORD + "\n", 0o600)
        chown_to_daemon_user(password)
        work.readable()
        os.chmod(password, 0o600)
        for instance in members + [master]:
            instance.start()
            instances.append(instance)
        api = api_session("e2e", ADMIN)
        bases = {name: "https://127.0.0.1:%d/v1" % port for name, port in ports.items()}
        wait_for(lambda: api_up(api, bases[MASTER], *instances), 60, "the master's API")
        for name in satellites:
            wait_for(lambda name=name: endpoint_connected(api, bases[MASTER], name), 90,
                     "%s's connection" % name)

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
        # every satellite got the hosts and the apply rules by the config sync
        for name in satellites:
            wait_for(lambda name=name: pushed_services(bases[name]), 120,
                     "%s's services" % name)
        assert {a["zone"] for a in pushed_services(bases[MASTER]).values()} == {ZONE}

        # the zone's checks run now, and are done (a check running when the push lands
        # would end after it): every service has a fresh active result first
        checked_now(api, bases[MASTER], ["zone"], where="service.vars.tgmon_pushed")
        time.sleep(2)

        def push_once(*extra):
            """One pusher, to the zone's first endpoint only."""
            done = subprocess.run(as_daemon_user([
                TGMON, "push", "--once", "--node", "tg-node1=" + nodes["tg-node1"], "--node",
                "tg-node2=" + nodes["tg-node2"], "--icinga-url", bases[satellites[0]][:-3],
                "--icinga-user", "tgmon-push", "--icinga-password-file", password,
                "--icinga-ca-file", ca, "--check-source", "zone-pusher"] + list(extra)),
                capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, (done.stdout, done.stderr)
            return done
        done = push_once()
        assert "Icinga 2: 14 sent, 0 refused" in done.stdout, done.stdout

        def pushed_to(base):
            found = pushed_services(base) or {}
            return found if found and all((a["last_check_result"] or {}).get(
                "check_source") == "zone-pusher" for a in found.values()) else None
        # the cluster carried the results to the master and to the other endpoint
        results = {}
        for name, base in sorted(bases.items()):
            deadline = time.monotonic() + 60
            while pushed_to(base) is None and time.monotonic() < deadline:
                time.sleep(0.5)
            results[name] = pushed_to(base)
            assert results[name], (name, {
                service: ((a["last_check_result"] or {}).get("check_source"),
                          (a["last_check_result"] or {}).get("active"))
                for service, a in (pushed_services(base) or {}).items()})
        for name, found in results.items():
            states = {service: a["last_check_result"]["state"] for service, a in found.items()}
            assert states["tg-node2!tightgate-update_lock"] == 2, name
            assert states["tg-node1!tightgate-update_lock"] == 0, name
            assert not any(a["last_check_result"]["active"] for a in found.values()), name

        # the pusher dies (--once: it is gone): each result stands for its ttl, then the
        # zone's own endpoints run the real check - no gap. Pushed once more with the
        # reachable services' ttl at 10 s, those two turn active within it, checked by
        # the zone (either endpoint of the pair), while the others' ttl still holds
        push_once("--interval", "reachable=5")
        pushed_at = time.time()

        def taken_over():
            found = pushed_services(bases[MASTER]) or {}
            results = {name: a["last_check_result"] or {} for name, a in found.items()}
            reachable = {name: r for name, r in results.items()
                         if name.endswith("!tightgate-reachable")}
            if len(reachable) == 2 and all(r.get("active") and r["execution_start"] > pushed_at
                                           for r in reachable.values()):
                return results
            return None
        after = wait_for(taken_over, 60, "the zone running the reachable checks after "
                         "their ttl of 10 s")
        for name, result in after.items():
            if name.endswith("!tightgate-reachable"):
                assert result["check_source"] in satellites, (name, result["check_source"])
                # the real check says what the pushed result said
                assert result["state"] == results[MASTER][name]["last_check_result"][
                    "state"], (name, result["output"])
            else:
                assert (result["active"], result["check_source"]) == (False, "zone-pusher"), \
                    name
    finally:
        for instance in instances:
            instance.stop()
        work.remove()

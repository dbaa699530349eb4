"""The shipped Director basket, for real: Debian 12's Icinga Director (icingacli, its
own PostgreSQL) restores the basket the package installed, hosts get the service sets
by their vars, the Director deploys to a real Icinga 2 master with a real agent, and
the services exist there, with notes and notes_url, and check - on the agent where
the set says so. Restoring the basket again changes nothing.
"""

import json
import os
import re
import secrets
import time

import pytest
import requests

from helpers import ROOT
from remote.servers import Exporter
from tgmon.checks.registry import SINGLE_NODE_CHECKS
from .cores import (TGMON, WorkDir, chown_to_daemon_user, daemon_user, free_port,
                    need_installed_copy, need_package, simulated_nodes, wait_for)
from .director import Director, Postgres
from .icinga import (PREAMBLE, Icinga, api_session, api_up, checked_now, endpoint_connected,
                     pki)

pytestmark = pytest.mark.e2e
SHIPPED = "/usr/share/tgmon/director/tgmon-basket-director1.10.json"
SOURCE = os.path.join(ROOT, "icinga-conf", "director", "tgmon-basket-director1.10.json")
MASTER, AGENT = "tgmon-master", "tgmon-agent"

COMMON = PREAMBLE + """object Endpoint "%(master)s" { host = "127.0.0.1"; port = %(master_port)d }
object Zone "master" { endpoints = [ "%(master)s" ] }
object Zone "director-global" { global = true }
"""
# The master knows nothing of tgmon or of the agent: all of that comes from the Director.
MASTER_CONFIG = COMMON + """
const ZoneName = "master"
object CheckerComponent "checker" {}
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %(master_port)d
                           accept_commands = true; accept_config = true }
object ApiUser "director" { password = "%(password)s"; permissions = [ "*" ] }
"""
# The agent connects to the master (the Director's agent endpoint has no address).
AGENT_CONFIG = COMMON + """
const ZoneName = "%(agent)s"
object Endpoint "%(agent)s" { }
object Zone "%(agent)s" { endpoints = [ "%(agent)s" ]; parent = "master" }
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %(agent_port)d
                           accept_commands = true; accept_config = true }
"""


def hosts(dirs, url, token):
    """Director host -> (its JSON, {service: expected state}); tg-node1 is healthy,
    tg-node2 has the warn flag, an update lock, R7 maintenance and its schedule off; both
    can be read (tightgate-reachable), the agent is connected (tightgate-agent)."""
    node2 = dict(dict.fromkeys([d.short_name for d in SINGLE_NODE_CHECKS] + ["reachable"], 0),
                 versions=1, update_lock=2, maintenance=2, update_schedule=2)
    six = {name: {"tightgate-" + aspect: state for aspect, state in states.items()}
           for name, states in (("healthy", dict.fromkeys(node2, 0)), ("node2", node2))}
    node = {"object_type": "object", "check_command": "dummy", "imports": ["tgmon-node"]}
    return {
        "tg-node1": (dict(node, vars={"tightgate_mode": "agentless",
                                      "tightgate_state_dir": dirs["tg-node1"]}), six["healthy"]),
        "tg-node2": (dict(node, vars={"tightgate_mode": "agentless", "tightgate_url": url,
                                      "tightgate_token_file": token}), six["node2"]),
        AGENT: (dict(node, has_agent=True, master_should_connect=False, accept_config=True,
                     vars={"tightgate_mode": "agent", "tightgate_state_dir": dirs["tg-node2"]}),
                dict(six["node2"], **{"tightgate-agent": 0})),
        "tg-aio": (dict(node, vars={"tightgate_mode": "agentless", "tightgate_all_in_one": True,
                                    "tightgate_state_dir": dirs["tg-node2"]}),
                   {"tightgate": 2, "tightgate-reachable": 0}),
        "tgc-berlin": ({"object_type": "object", "check_command": "dummy",
                        "imports": ["tgmon-cluster"],
                        "vars": {"tightgate_cluster_nodes": [dirs["tg-node1"], url],
                                 "tightgate_cluster_token_file": token}},
                       {"tightgate-cluster": 2}),
    }


# what a restore may change in the Director's database: none of it, the second time
TABLES = ("director_datafield", "director_datalist", "director_datalist_entry",
          "icinga_command", "icinga_command_argument", "icinga_command_field",
          "icinga_host", "icinga_host_field", "icinga_service", "icinga_service_var",
          "icinga_service_set", "icinga_timeperiod", "icinga_dependency",
          "director_activity_log")


def test_the_shipped_basket_restores_deploys_checks_and_restores_again_unchanged():
    need_package()
    need_installed_copy(SHIPPED, SOURCE)
    with open(SHIPPED) as handle:
        basket = json.load(handle)
    work = WorkDir("tgmon-e2e-director-")
    database = exporter = master = agent = None
    try:
        dirs = simulated_nodes(work)
        token = work.write("token", "e2e-token-%s\n" % secrets.token_hex(8), 0o640)
        chown_to_daemon_user(token)
        exporter = Exporter("--state-dir", dirs["tg-node2"], "--token-file", token, path=TGMON)
        wanted = hosts(dirs, exporter.url(), token)
        password = secrets.token_hex(16)
        values = {"master": MASTER, "agent": AGENT, "password": password,
                  "master_port": free_port(), "agent_port": free_port()}
        pki(work, (MASTER, AGENT))
        master = Icinga(work, MASTER, MASTER_CONFIG % dict(values, name=MASTER))
        agent = Icinga(work, AGENT, AGENT_CONFIG % dict(values, name=AGENT))
        work.readable()
        started = time.monotonic()
        master.start()
        agent.start()
        api = api_session("director", password)
        base = "https://127.0.0.1:%d/v1" % values["master_port"]
        wait_for(lambda: api_up(api, base, master, agent), 60, "the master's API")

        database = Postgres(work.sub("postgres"))
        database.start()
        director = Director(work.path, database, (MASTER, values["master_port"], "director",
                                                  password))
        director.setup()
        ready = time.monotonic()

        # the commands are the package's (kickstart imported them): the basket's copy
        # is identical, so a restore changes none of them
        for name, command in basket["ExternalCommand"].items():
            shown = json.loads(director.run("director", "command", "show", name, "--json"))
            assert {k: v for k, v in shown.items() if k != "fields"} == \
                {k: v for k, v in command.items() if k != "fields"}, name

        with open(SHIPPED) as handle:
            assert "restored" in director.run("director", "basket", "restore",
                                              stdin=handle.read())
        # every var of a command is a field of that command, and only those
        linked = {}
        for row in database.sql(
                "SELECT c.object_name || ' ' || f.varname FROM icinga_command_field cf "
                "JOIN icinga_command c ON c.id = cf.command_id "
                "JOIN director_datafield f ON f.id = cf.datafield_id", "director"):
            command, varname = row.split()
            linked.setdefault(command, set()).add(varname)
        assert linked == {name: {a.get("value", a.get("set_if")).strip("$")
                                 for a in command["arguments"].values()}
                          for name, command in basket["ExternalCommand"].items()}
        for name, (properties, _) in wanted.items():
            director.run("director", "host", "create", name, "--json", json.dumps(properties))
        deployed = re.search(r"Config '(\w+)' has been deployed",
                             director.run("director", "config", "deploy")).group(1)
        expected = {"%s!%s" % (host, service): state for host, (_, services) in wanted.items()
                    for service, state in services.items()}

        def deployed_services():
            assert master.process.poll() is None, master.log()[-3000:]
            try:
                answer = api.get(base + "/objects/services", timeout=5).json()
            except (requests.RequestException, ValueError):
                return None      # reloading
            return {r["name"] for r in answer.get("results", ())} == set(expected)
        wait_for(deployed_services, 90, "the Director's services in Icinga 2")
        wait_for(lambda: endpoint_connected(api, base, AGENT), 60,
                 "the agent's connection to the master")
        results = checked_now(api, base, ["check_command", "command_endpoint", "notes",
                                          "notes_url", "templates"])
        checked = time.monotonic()

        templates = basket["ServiceTemplate"]
        report = []
        for name, attrs in sorted(results.items()):
            result = attrs["last_check_result"]
            report.append("%-36s %-8s on %-13s %s" % (
                name, ("OK", "WARNING", "CRITICAL", "UNKNOWN")[int(result["state"])],
                result["check_source"], result["output"].split("\n")[0][:70]))
            assert int(result["state"]) == expected[name], (name, result["output"])
            assert "Traceback" not in result["output"], result["output"]
            ours = attrs["check_command"].startswith("tgmon_")   # not cluster-zone's
            assert result["performance_data"] or not ours, name
            on_agent = ours and name.startswith(AGENT + "!")
            assert attrs["command_endpoint"] == (AGENT if on_agent else ""), name
            assert result["check_source"] == (AGENT if on_agent else MASTER), name
            template = templates[next(t for t in attrs["templates"] if t in templates
                                      and "notes" in templates[t])]
            assert (attrs["notes"], attrs["notes_url"]) == (template["notes"],
                                                            template["notes_url"]), name

        # one failure, one page: each node's services wait for its tightgate-reachable,
        # which on an agent waits for tightgate-agent
        answer = api.get(base + "/objects/dependencies", timeout=10, params={
            "attrs": ["parent_host_name", "parent_service_name"]}).json()
        parents = {r["name"]: (r["attrs"]["parent_host_name"], r["attrs"]["parent_service_name"])
                   for r in answer["results"]}
        wanted_parents = {"%s!%s" % (service, "tgmon-reachable"): (
            service.split("!")[0], "tightgate-reachable") for service in expected
            if service.split("!")[1] not in ("tightgate-reachable", "tightgate-agent",
                                             "tightgate-cluster")}
        wanted_parents[AGENT + "!tightgate-reachable!tgmon-agent"] = (AGENT, "tightgate-agent")
        assert parents == wanted_parents
        # tg-node2's exporter gone: its tightgate-reachable fails, its other services
        # turn unreachable (their notifications wait), the other hosts' stay reachable
        assert exporter.stop() == 0
        exporter = None
        node2 = 'host.name == "tg-node2"'
        failed = checked_now(api, base, [], where=node2 + ' && service.name == '
                             '"tightgate-reachable"')["tg-node2!tightgate-reachable"]
        assert failed["last_check_result"]["state"] == 2, failed
        after = checked_now(api, base, ["last_reachable"], where="true")
        unreachable = sorted(n for n, a in after.items() if not a["last_reachable"])
        assert unreachable == sorted(n for n in expected if n.startswith("tg-node2!")
                                     and n != "tg-node2!tightgate-reachable")

        # again: nothing in the database changes, the config renders as deployed
        counts = {table: director.count(table) for table in TABLES}
        with open(SHIPPED) as handle:
            director.run("director", "basket", "restore", stdin=handle.read())
        assert {table: director.count(table) for table in TABLES} == counts
        rendered = director.run("director", "config", "render")
        assert rendered.strip() == "Config with checksum %s already exists" % deployed

        summary = os.environ.get("TGMON_E2E_REPORT")
        if summary:
            with open(summary, "a") as handle:
                handle.write("Icinga Director (icingacli, PostgreSQL): set up %.1f s, restore + "
                             "%d hosts + deploy + %d services checked %.1f s; plugins run as "
                             "%s; objects after two restores: %s\n" % (
                                 ready - started, len(wanted), len(results), checked - ready,
                                 daemon_user()[0], counts))
                handle.write("\n".join(report) + "\n\n")
    finally:
        for instance in (master, agent):
            if instance is not None:
                instance.stop()
        if database is not None:
            database.stop()
        if exporter is not None:
            assert exporter.stop() == 0
        work.remove()


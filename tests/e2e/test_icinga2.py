"""A real Icinga 2 master and a real Icinga 2 agent, each with its own PKI, dirs
and port on 127.0.0.1, run the installed package: the CheckCommands from the
ITL's plugins-contrib.d, the plugins from /usr/lib/nagios/plugins (as nagios
when we are root), the shipped templates and apply rules in every documented
mode - local (a state dir), agentless (an exporter), agent (command_endpoint
on the agent) with six services and all in one, and a cluster. Results are
read back from the master's REST API.

A second test runs the README's Icinga 2 steps as written on a copy of the stock
/etc/icinga2 and validates the result with ``icinga2 daemon -C``.
"""

import os
import re
import subprocess
import threading
import time

import pytest

from remote.servers import Exporter
from tgmon.checks.registry import SINGLE_NODE_CHECKS
from .cores import (TGMON, WorkDir, chown_to_daemon_user, daemon_user, free_port, need_package,
                    simulated_nodes, wait_for)
from .icinga import (PREAMBLE, Icinga, api_session, api_up, checked_now, endpoint_connected,
                     pki, run_readme_steps, shipped_zones)

pytestmark = pytest.mark.e2e
PASSWORD = "e2e-%d" % os.getpid()
MASTER, AGENT = "tgmon-master", "tgmon-agent"
SINGLE = [d.short_name for d in SINGLE_NODE_CHECKS]


def _single(host, **states):
    """A host's single-node services: OK unless named in states."""
    return {"%s!tightgate-%s" % (host, name): states.get(name, 0) for name in SINGLE}


# service -> expected state (0 OK, 1 WARNING, 2 CRITICAL); hosts:
#   tg-node1      local mode on the master (a state dir)
#   tg-node2      agentless (the node's exporter, behind a token)
#   tgmon-agent   agent mode: runs on the agent via command_endpoint (tg-node2's state)
#   tg-agent-aio  agent mode, all in one, endpoint given explicitly
#   tgc-berlin    the cluster: one dir and one URL
#   tg-config     local mode on tg-node2's state with a config file (vars.tightgate.config)
#                 that makes the warn flag CRITICAL and warns of a release after 1 h: the
#                 CheckCommands set no defaults, so the file wins (it lost to them before)
# tg-node2's state: its single-node checks that are not OK
NODE2 = dict(versions=1, update_lock=2, maintenance=2, update_schedule=2)
EXPECTED = {
    **_single("tg-node1"),
    **_single("tg-node2", **NODE2),
    **_single("tgmon-agent", **NODE2),
    "tg-agent-aio!tightgate": 2,
    "tgc-berlin!tightgate-cluster": 2,
    # every node's state can be read; the agent hosts' agent is connected
    "tg-node1!tightgate-reachable": 0, "tg-node2!tightgate-reachable": 0,
    "tgmon-agent!tightgate-reachable": 0, "tg-agent-aio!tightgate-reachable": 0,
    "tg-config!tightgate-reachable": 0,
    "tgmon-agent!tightgate-agent": 0, "tg-agent-aio!tightgate-agent": 0,
    **_single("tg-config", **dict(NODE2, versions=2)),
}
CONFIG = """check_versions:
  warn-flag-severity: critical    # default: warning
  warning_age: 1h                 # default: 7d
"""


class GraphiteListener:
    """A plaintext Graphite endpoint: collects the metric lines Icinga writes."""

    def __init__(self):
        import socket
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.lines = []
        self.connected = threading.Event()
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connected.set()
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn):
        buffer = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            self.lines.extend(line.decode() for line in complete)

    def close(self):
        self.sock.close()


COMMON = PREAMBLE + """object Endpoint "%(master)s" { host = "127.0.0.1"; port = %(master_port)d }
object Zone "master" { endpoints = [ "%(master)s" ] }
object Endpoint "%(agent)s" { host = "127.0.0.1"; port = %(agent_port)d }
object Zone "%(agent)s" { endpoints = [ "%(agent)s" ]; parent = "master" }
object Zone "global-templates" { global = true }
"""

MASTER_CONFIG = COMMON + """
const ZoneName = "master"
object CheckerComponent "checker" {}
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %(master_port)d
                           accept_commands = true; accept_config = true }
object ApiUser "e2e" { password = "%(password)s"; permissions = [ "*" ] }
object GraphiteWriter "graphite" { host = "127.0.0.1"; port = %(graphite)d; enable_ha = false }
include_zones "tgmon", "%(zones)s"
"""

AGENT_CONFIG = COMMON + """
const ZoneName = "%(agent)s"
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %(agent_port)d
                           accept_commands = true; accept_config = true }
"""

HOSTS = """
object Host "tg-node1" {
  check_command = "dummy"
  vars.tightgate = { mode = "local", role = "cluster-node", state_dir = "%(node1)s" }
}
object Host "tg-node2" {
  check_command = "dummy"
  vars.tightgate = { mode = "agentless", role = "cluster-node", url = "%(url)s",
                     token_file = "%(token)s" }
}
object Host "%(agent)s" {
  check_command = "dummy"
  vars.tightgate = { mode = "agent", role = "cluster-node", state_dir = "%(node2)s" }
}
object Host "tg-agent-aio" {
  check_command = "dummy"
  vars.tightgate = { mode = "agent", role = "cluster-node", state_dir = "%(node2)s",
                     endpoint = "%(agent)s", all_in_one = true }
}
object Host "tgc-berlin" {
  check_command = "dummy"
  vars.tightgate_cluster = { nodes = [ "%(node1)s", "%(url)s" ], token_file = "%(token)s" }
}
object Host "tg-config" {
  check_command = "dummy"
  vars.tightgate = { mode = "local", role = "cluster-node", state_dir = "%(node2)s",
                     config = "%(config)s" }
}
"""


def test_master_and_agent_run_every_documented_mode():
    need_package()
    work = WorkDir("tgmon-e2e-icinga-")
    exporter = graphite = master = agent = None
    try:
        dirs = simulated_nodes(work)
        token = work.write("token", "e2e-token-%d\n" % os.getpid(), 0o640)
        chown_to_daemon_user(token)
        exporter = Exporter("--state-dir", dirs["tg-node2"], "--token-file", token, path=TGMON)
        graphite = GraphiteListener()
        ports = {"master_port": free_port(), "agent_port": free_port()}
        values = dict(ports, name=MASTER, master=MASTER, agent=AGENT, password=PASSWORD,
                      graphite=graphite.port, zones=shipped_zones(work))
        config = work.write("tgmon.yml", CONFIG)
        with open(os.path.join(values["zones"], "master", "hosts.conf"), "w") as handle:
            handle.write(HOSTS % {"node1": dirs["tg-node1"], "node2": dirs["tg-node2"],
                                  "url": exporter.url(), "token": token, "agent": AGENT,
                                  "config": config})
        pki(work, (MASTER, AGENT))
        master = Icinga(work, MASTER, MASTER_CONFIG % values)
        agent = Icinga(work, AGENT, AGENT_CONFIG % dict(values, name=AGENT))
        for instance in (master, agent):
            checked = instance.validate()
            assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
            assert "does not match anywhere" not in checked.stdout, checked.stdout[-3000:]
        work.readable()
        started = time.monotonic()
        agent.start()
        master.start()
        api = api_session("e2e", PASSWORD)
        base = "https://127.0.0.1:%d/v1" % ports["master_port"]

        wait_for(lambda: api_up(api, base, master, agent), 60, "the master's API")
        wait_for(lambda: endpoint_connected(api, base, AGENT), 60,
                 "the agent's connection to the master")
        ready = time.monotonic()
        assert graphite.connected.wait(30), "Icinga's Graphite writer never connected"
        results = checked_now(api, base, ["state", "command_endpoint"])
        done = time.monotonic()

        assert set(results) == set(EXPECTED)
        report = []
        for name, attrs in sorted(results.items()):
            result = attrs["last_check_result"]
            output = result["output"]
            report.append("%-40s %-8s exit %d  %.2f s  on %-13s %s" % (
                name, ("OK", "WARNING", "CRITICAL", "UNKNOWN")[int(result["state"])],
                result["exit_status"], result["execution_end"] - result["execution_start"],
                result["check_source"], output.split("\n")[0][:60]))
            assert "Traceback" not in output and "timed out" not in output.lower(), output
            assert int(result["state"]) == EXPECTED[name], (name, output)
            assert result["performance_data"], name
            # the agent's services ran on the agent, the others on the master (and
            # tightgate-agent, the master's look at the agent's connection)
            on_agent = (name.startswith((AGENT + "!", "tg-agent-aio!"))
                        and not name.endswith("!tightgate-agent"))
            assert attrs["command_endpoint"] == (AGENT if on_agent else ""), name
            assert result["check_source"] == (AGENT if on_agent else MASTER), (name, result)
            assert len(output.split("\n")[0]) <= 160
        # the config file through the CheckCommand: its severity (CRITICAL, where
        # tg-node2's versions service is WARNING) and its threshold (warn after 1 h)
        configured = results["tg-config!tightgate-versions"]["last_check_result"]
        assert configured["output"].startswith("VERSIONS CRITICAL - Update download failed")
        assert "longer than 1h" in configured["output"], configured["output"]
        ages = [p for p in configured["performance_data"] if p.startswith("pending_release_age=")]
        assert ages and ages[0].split(";")[1] == "3600", configured["performance_data"]
        assert results["tg-node2!tightgate-versions"]["last_check_result"]["output"].startswith(
            "VERSIONS WARNING - Update download failed")
        wanted = ["icinga2.tg-node2.services.tightgate-update_lock.tgmon_update_lock.perfdata."
                  "update_lock.value 1",
                  "icinga2.tgc-berlin.services.tightgate-cluster.tgmon_cluster_updates.perfdata."
                  "nodes_locked.value 1"]

        def metrics_written():
            metrics = [line for line in graphite.lines if ".perfdata." in line]
            return metrics if all(any(m.startswith(w) for m in metrics) for w in wanted) else None
        metrics = wait_for(metrics_written, 15, "the Graphite metrics", step=0.1)
        perf_warnings = [line for line in master.log().splitlines()
                         if "warning" in line and ("erfdata" in line or "PerfdataValue" in line)]
        assert perf_warnings == []
        summary = os.environ.get("TGMON_E2E_REPORT")
        if summary:
            with open(summary, "a") as handle:
                handle.write("Icinga 2 master + agent: up in %.1f s, all %d services checked "
                             "%.1f s after the forced run; %d Graphite metric lines; plugins "
                             "run as %s\n" % (ready - started, len(results), done - ready,
                                              len(metrics), daemon_user()[0]))
                handle.write("\n".join(report) + "\n\n")
    finally:
        for instance in (master, agent):
            if instance is not None:
                instance.stop()
        if graphite is not None:
            graphite.close()
        if exporter is not None:
            assert exporter.stop() == 0
        work.remove()


def test_the_readme_icinga_steps_work_on_stock_settings():
    """README.rst's Icinga 2 commands, exactly as written, on a copy of Debian's stock
    /etc/icinga2 with the installed package: no error, no warning - no zone dir
    ignored, no apply rule that matches nothing (on stock settings zones.d/master
    was ignored and no tgmon service created) - and the services the README promises."""
    need_package()
    work = WorkDir("tgmon-e2e-readme-")
    try:
        icinga, checked = run_readme_steps(work, MASTER)
        output = checked.stdout + checked.stderr
        assert not re.search(r"Ignoring directory .* unknown zone", output), output[-3000:]
        assert "does not match anywhere" not in output, output[-3000:]
        assert not re.search(r"(warning|critical)/", output), output[-3000:]
        listed = subprocess.run(icinga.args_for("object", "list", "--type", "Service",
                                                "--name", "*!tightgate*"),
                                capture_output=True, text=True, timeout=60)
        services = sorted(re.findall(r"Object '([^']+)' of type 'Service'", listed.stdout))
        node_services = ["tightgate-" + aspect for aspect in SINGLE + ["reachable"]]
        assert services == sorted(["tg1!" + s for s in node_services] + ["tg1!tightgate-agent"]
                                  + ["tg2!" + s for s in node_services]
                                  + ["tg3!tightgate", "tg3!tightgate-reachable",
                                     "tgc-berlin!tightgate-cluster"]), listed
    finally:
        work.remove()

"""A real Icinga 2 core loads icinga-conf/, runs every service once against
simulated nodes (a state dir, a served node, an agent-style node, a cluster)
and we read the results back from its REST API.

Throwaway config, data and log dirs; API on 127.0.0.1 at a free port; the
daemon runs as the invoking user and is stopped by PID.
"""

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests
import urllib3

from tgmon.model import shift_times
from tgmon.sim.scenario import load_scenario
from tgmon.stateformat import write_state
from tgmon.timeutil import utcnow

from remote.servers import Exporter
from .cores import need, rsa_self_signed
from helpers import ROOT, VENV_BIN

pytestmark = pytest.mark.e2e
SCENARIO = os.path.join(ROOT, "scenarios", "cluster-download-fails.yml")
INSTANT = "2026-11-17T04:00"     # node2: lock, R7 maintenance, schedule off; node1 healthy
PASSWORD = "e2e-%d" % os.getpid()

# service -> expected state (0 OK, 1 WARNING, 2 CRITICAL)
EXPECTED = {
    "tg-node1!tightgate-versions": 0, "tg-node1!tightgate-update_lock": 0,
    "tg-node1!tightgate-hotfixes": 0, "tg-node1!tightgate-reboot_required": 0,
    "tg-node1!tightgate-maintenance": 0, "tg-node1!tightgate-update_schedule": 0,
    "tg-node2!tightgate-versions": 1, "tg-node2!tightgate-update_lock": 2,
    "tg-node2!tightgate-hotfixes": 0, "tg-node2!tightgate-reboot_required": 0,
    "tg-node2!tightgate-maintenance": 2, "tg-node2!tightgate-update_schedule": 2,
    "tg-node2-agent!tightgate": 2,
    "tgc-berlin!tightgate-cluster": 2,
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GraphiteListener:
    """A plaintext Graphite endpoint: collects the metric lines Icinga writes."""

    def __init__(self):
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


def simulated_nodes(workdir):
    """The scenario at INSTANT, moved so that it was generated just now."""
    scenario = load_scenario(SCENARIO)
    sim = scenario.build()
    instant = scenario.parse_time(INSTANT, None, "instant")
    sim.run_until(instant)
    delta = utcnow().replace(microsecond=0) - instant
    dirs = {}
    for name, state in sim.states().items():
        dirs[name] = os.path.join(workdir, "nodes", name)
        write_state(dirs[name], shift_times(state, delta))
    return dirs


def write_config(workdir, dirs, exporter_url, token_file, api_port, graphite_port):
    zones = os.path.join(workdir, "zones.d")
    os.makedirs(os.path.join(zones, "tgmon-e2e"))
    shutil.copytree(os.path.join(ROOT, "icinga-conf", "global-templates"),
                    os.path.join(zones, "global-templates"))
    for name in os.listdir(os.path.join(ROOT, "icinga-conf", "master")):
        shutil.copy(os.path.join(ROOT, "icinga-conf", "master", name),
                    os.path.join(zones, "tgmon-e2e", name))
    hosts = """
object Host "tg-node1" {
  check_command = "dummy"
  vars.tightgate = { mode = "local", role = "cluster-node", state_dir = "%(node1)s" }
}
object Host "tg-node2" {
  check_command = "dummy"
  vars.tightgate = { mode = "agentless", role = "cluster-node", url = "%(url)s",
                     token_file = "%(token)s" }
}
object Host "tg-node2-agent" {
  check_command = "dummy"
  vars.tightgate = { mode = "agent", role = "cluster-node", state_dir = "%(node2)s",
                     endpoint = NodeName, all_in_one = true }
}
object Host "tgc-berlin" {
  check_command = "dummy"
  vars.tightgate_cluster = { nodes = [ "%(node1)s", "%(url)s" ], token_file = "%(token)s" }
}
""" % {"node1": dirs["tg-node1"], "node2": dirs["tg-node2"], "url": exporter_url,
       "token": token_file}
    with open(os.path.join(zones, "tgmon-e2e", "hosts.conf"), "w") as handle:
        handle.write(hosts)
    certs = os.path.join(workdir, "data", "certs")
    os.makedirs(certs)
    rsa_self_signed(os.path.join(certs, "tgmon-e2e.crt"), os.path.join(certs, "tgmon-e2e.key"),
                    "tgmon-e2e")
    shutil.copy(os.path.join(certs, "tgmon-e2e.crt"), os.path.join(certs, "ca.crt"))
    main = """
const PluginDir = "/usr/lib/nagios/plugins"
const PluginContribDir = "%(bin)s"
const NodeName = "tgmon-e2e"
const ZoneName = "tgmon-e2e"
include <itl>
include <plugins>
object Endpoint NodeName {}
object Zone ZoneName { endpoints = [ NodeName ] }
object Zone "global-templates" { global = true }
object FileLogger "main-log" { severity = "information"; path = LogDir + "/icinga2.log" }
object CheckerComponent "checker" {}
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %(api)d; accept_commands = true }
object ApiUser "e2e" { password = "%(password)s"; permissions = [ "*" ] }
object GraphiteWriter "graphite" { host = "127.0.0.1"; port = %(graphite)d; enable_ha = false }
include_zones "tgmon", "%(zones)s"
""" % {"bin": VENV_BIN, "api": api_port, "password": PASSWORD, "graphite": graphite_port,
       "zones": zones}
    path = os.path.join(workdir, "icinga2.conf")
    with open(path, "w") as handle:
        handle.write(main)
    return path


def daemon_args(binary, workdir, config):
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    args = [binary, "daemon", "-c", config]
    for name, sub in (("DataDir", "data"), ("LogDir", "log"), ("CacheDir", "cache"),
                      ("SpoolDir", "spool"), ("InitRunDir", "run"), ("StateDir", "state"),
                      ("PkgDataDir", "pkgdata")):
        if name == "PkgDataDir":
            continue
        os.makedirs(os.path.join(workdir, sub), exist_ok=True)
        args.append("-D%s=%s" % (name, os.path.join(workdir, sub)))
    args += ["-DRunAsUser=%s" % user, "-DRunAsGroup=%s" % group]
    return args


def test_icinga2_runs_every_service(tmp_path):
    binary = need("icinga2", "icinga2")
    workdir = str(tmp_path)
    dirs = simulated_nodes(workdir)
    token = tmp_path / "token"
    token.write_text("e2e-token\n")
    exporter = Exporter("--state-dir", dirs["tg-node2"], "--token-file", str(token))
    graphite = GraphiteListener()
    api_port = free_port()
    config = write_config(workdir, dirs, exporter.url(), str(token), api_port, graphite.port)
    args = daemon_args(binary, workdir, config)

    check = subprocess.run(args + ["-C"], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]

    console = open(os.path.join(workdir, "console.log"), "w")
    started = time.monotonic()
    daemon = subprocess.Popen(args, stdout=console, stderr=subprocess.STDOUT)
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    api = requests.Session()
    api.auth = ("e2e", PASSWORD)
    api.verify = False
    api.trust_env = False     # else REQUESTS_CA_BUNDLE from the environment wins over verify
    api.headers["Accept"] = "application/json"
    base = "https://127.0.0.1:%d/v1" % api_port
    try:
        for _ in range(300):
            try:
                if api.get(base + "/status", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert daemon.poll() is None, open(os.path.join(workdir, "console.log")).read()[-3000:]
            time.sleep(0.2)
        else:
            pytest.fail("the Icinga 2 API did not come up")
        ready = time.monotonic()
        # metrics of results that come before the writer is connected are lost
        assert graphite.connected.wait(30), "Icinga's Graphite writer never connected"
        forced = api.post(base + "/actions/reschedule-check", timeout=10,
                          json={"type": "Service", "filter": "true", "force": True})
        assert forced.status_code == 200, forced.text
        assert len(forced.json()["results"]) == len(EXPECTED)

        results = {}
        for _ in range(300):
            answer = api.get(base + "/objects/services", timeout=10,
                             params={"attrs": ["last_check_result", "state"]}).json()
            results = {r["name"]: r["attrs"] for r in answer["results"]}
            if results and all(a["last_check_result"] for a in results.values()):
                break
            time.sleep(0.2)
        done = time.monotonic()

        assert set(results) == set(EXPECTED)
        report = []
        for name, attrs in sorted(results.items()):
            result = attrs["last_check_result"]
            assert result, "no result for %s" % name
            output = result["output"]
            report.append("%-40s %-8s exit %d  %.2f s  %s" % (
                name, ("OK", "WARNING", "CRITICAL", "UNKNOWN")[int(result["state"])],
                result["exit_status"], result["execution_end"] - result["execution_start"],
                output.split("\n")[0][:70]))
            assert "timed out" not in output.lower(), output
            assert int(result["state"]) == EXPECTED[name], (name, output)
            assert result["performance_data"], name
        wanted = ["icinga2.tg-node2.services.tightgate-update_lock.tgmon_update_lock.perfdata."
                  "update_lock.value 1",
                  "icinga2.tgc-berlin.services.tightgate-cluster.tgmon_cluster_updates.perfdata."
                  "nodes_locked.value 1"]
        # the Graphite writer connects and flushes asynchronously
        for _ in range(150):
            metrics = [line for line in graphite.lines if ".perfdata." in line]
            if all(any(line.startswith(w) for line in metrics) for w in wanted):
                break
            time.sleep(0.1)
        for expected in wanted:
            assert any(line.startswith(expected) for line in metrics), (expected, metrics[:20])
        with open(os.path.join(workdir, "log", "icinga2.log")) as handle:
            log = handle.read()
        perf_warnings = [line for line in log.splitlines()
                         if "warning" in line and ("erfdata" in line or "PerfdataValue" in line)]
        assert perf_warnings == []
        summary = os.environ.get("TGMON_E2E_REPORT")
        if summary:
            with open(summary, "w") as handle:
                handle.write("icinga2 up in %.1f s, all %d services checked %.1f s after the "
                             "forced run; %d Graphite metric lines\n"
                             % (ready - started, len(results), done - ready, len(metrics)))
                handle.write("\n".join(report) + "\n")
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait(10)
        console.close()
        graphite.close()
        assert exporter.stop() == 0

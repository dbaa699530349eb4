"""The Prometheus route for real: Debian's prometheus scrapes the installed package's
``tgmon serve`` (bearer token from a file, TLS with a CA made here) and a
prometheus-node-exporter reading ``tgmon textfile`` output, evaluates the shipped
alert rules every second and sends what fires to a real Alertmanager; ``tgmon
downtimes sync`` then silences a planned window there and expires it again.

The nodes are scenarios/cluster-download-fails.yml at its instant, as of now:
tg-node2 locked (update lock, warn flag, R7 maintenance, schedule off), served by
``tgmon serve``; tg-node1 healthy but for a maintenance admin maint planned and
begun, written by ``tgmon textfile``. Every daemon is started by the test as the
invoking user on 127.0.0.1 with its own data dir and stopped by its PID.
"""

import os
import subprocess
from datetime import timedelta

import pytest
import requests
import yaml

from helpers import ROOT
from promtext import parse
from remote.servers import Exporter, make_certificate
from tgmon.sim.scenario import load_scenario
from tgmon.state.layout import write_state
from tgmon.state.lifecycle import shift_state
from tgmon.state.model import PlannedMaintenance
from tgmon.timeutil import utcnow

from .cores import (INSTANT, SCENARIO, TGMON, WorkDir, need_installed_copy, need_package,
                    wait_for)
from .promstack import Alertmanager, NodeExporter, Prometheus
from .test_downtimes import sync

pytestmark = pytest.mark.e2e
RULES = "/usr/share/tgmon/prometheus/tgmon-rules.yml"
LOCKED = "tg-node2"
PLANNED = "tg-node1"
# what the nodes' metrics must say, as Prometheus stored them: tg-node2 locked, tg-node1 not
VALUES = [
    ('tgmon_up{job="tgmon"}', 1),       # label-free: there whether the state is read or not
    ('tgmon_up{job="node"}', 1),
    ('tgmon_flag_set{node="tg-node2",flag="update_lock"}', 1),
    ('tgmon_flag_set{node="tg-node2",flag="warn_flag"}', 1),
    ('tgmon_flag_set{node="tg-node2",flag="reboot_required"}', 0),
    ('tgmon_maintenance_active{node="tg-node2"}', 1),
    ('tgmon_maintenance_only_maint_may_end{node="tg-node2"}', 1),
    ('tgmon_schedule_switched_off_by_failure{node="tg-node2"}', 1),
    ('tgmon_check_status{node="tg-node2",check="update_lock"}', 2),
    ('tgmon_check_status{node="tg-node2",check="maintenance"}', 2),
    ('tgmon_check_status{node="tg-node2",check="reachable"}', 0),
    ('tgmon_finding_status{node="tg-node2",check="update_lock",finding="update-lock"}', 2),
    ('tgmon_flag_set{node="tg-node1",flag="update_lock"}', 0),
    ('tgmon_maintenance_active{node="tg-node1"}', 1),
    ('tgmon_check_status{node="tg-node1",check="update_lock"}', 0),
]
PROMETHEUS_CONFIG = """global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - %(rules)s
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:%(alertmanager)d"]
scrape_configs:
  - job_name: tgmon
    scheme: https
    tls_config:
      ca_file: %(ca)s
    authorization:
      credentials_file: %(token)s
    static_configs:
      - targets: ["127.0.0.1:%(exporter)d"]
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:%(node_exporter)d"]
"""


def states_now():
    """The scenario's nodes at its instant, as if now; tg-node1 in a maintenance admin
    maint planned from 10 minutes ago for an hour and a half, begun."""
    scenario = load_scenario(SCENARIO)
    sim = scenario.build()
    at = scenario.parse_time(INSTANT, None, "instant")
    sim.run_until(at)
    delta = utcnow().replace(microsecond=0) - at
    states = {name: shift_state(state, delta) for name, state in sim.states().items()}
    node = states[PLANNED]
    start = node.generated - timedelta(minutes=10)
    states[PLANNED] = node._replace(maintenance=node.maintenance._replace(
        active=True, since=start, reason="disk swap", only_maint_may_end=False,
        planned=PlannedMaintenance(start, start + timedelta(minutes=90), "disk swap")))
    return states


def textfile(state_dir, output):
    done = subprocess.run([TGMON, "textfile", "--state-dir", state_dir, "--output", output],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, ""), done


def firing(prometheus, node):
    """{(alertname, severity)} of the alerts firing in Prometheus for ``node``."""
    return {(a["labels"]["alertname"], a["labels"]["severity"]) for a in prometheus.alerts()
            if a["labels"].get("node") == node and a["state"] == "firing"}


def series(samples, node):
    """{(name, labels): value} of ``node``'s tgmon series in a parsed text."""
    return {(s.name, frozenset(s.labels.items())): s.value for s in samples
            if s.labels.get("node") == node}


def stored(prometheus, node):
    """The same, as Prometheus holds them (without the target's job and instance)."""
    return {(labels.pop("__name__"), frozenset(
        (k, v) for k, v in labels.items() if k not in ("job", "instance"))): value
        for labels, value in prometheus.query('{__name__=~"tgmon_.+",node="%s"}' % node)}


def expected_alerts(samples, node):
    """{(alertname, severity)} the shipped rules must fire for ``node``: one per finding
    whose status in the exporter's own answer is above 0."""
    with open(RULES) as handle:
        rules = yaml.safe_load(handle)["groups"][0]["rules"]
    by_expression = {r["expr"]: r["alert"] for r in rules}
    severity = {1: "warning", 2: "critical", 3: "unknown"}
    return {(by_expression['tgmon_finding_status{check="%s",finding="%s"} > 0' % (
        s.labels["check"], s.labels["finding"])], severity[int(s.value)]) for s in samples
        if s.name == "tgmon_finding_status" and s.labels["node"] == node and s.value > 0}


def test_prometheus_scrapes_judges_alerts_and_alertmanager_silences_the_plan():
    need_package()
    need_installed_copy(RULES, os.path.join(ROOT, "prometheus", "tgmon-rules.yml"))
    work = WorkDir("tgmon-e2e-prometheus-")
    daemons = []
    report = []
    try:
        states = states_now()
        dirs = {name: work.sub("nodes", name) for name in states}
        for name, state in states.items():
            write_state(dirs[name], state)
        ca = (os.path.join(work.sub("tls"), "ca.pem"), os.path.join(work.path, "tls", "ca.key"))
        make_certificate(ca[0], ca[1], "tgmon e2e CA", valid_days=(-1, 2))
        cert, key = os.path.join(work.path, "tls", "cert.pem"), os.path.join(work.path, "tls",
                                                                              "key.pem")
        make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1", issuer=ca)
        token = work.write("token", "e2e-prometheus-%d\n" % os.getpid(), 0o600)
        exporter = Exporter("--state-dir", dirs[LOCKED], "--token-file", token, "--tls-cert",
                            cert, "--tls-key", key, path=TGMON)
        daemons.append(exporter)
        collector = work.sub("textfile")
        textfile(dirs[PLANNED], os.path.join(collector, "tgmon.prom"))
        work.readable()
        node_exporter = NodeExporter(work, collector)
        daemons.append(node_exporter)
        am = Alertmanager(work)
        daemons.append(am)
        # the shipped rules as they are, but firing on the first evaluation: their
        # "for: 2m" (no page for one scrape's blip) is tested with promtool
        with open(RULES) as handle:
            shipped = handle.read()
        assert "    for: 2m\n" in shipped
        rules = work.write("tgmon-rules.yml", shipped.replace("    for: 2m\n", "    for: 0s\n"),
                           0o644)
        prometheus = Prometheus(work, PROMETHEUS_CONFIG % {
            "rules": rules, "alertmanager": am.port, "ca": ca[0], "token": token,
            "exporter": exporter.port, "node_exporter": node_exporter.port})
        daemons.append(prometheus)

        # both targets up: the exporter through TLS and the token, node_exporter's file
        def targets_up():
            targets = prometheus.targets()
            return len(targets) == 2 and all(t["health"] == "up" for t in targets) and targets
        wait_for(targets_up, 30, "both targets scraped")
        wait_for(lambda: prometheus.query('tgmon_flag_set{node="%s"}' % PLANNED), 30,
                 "tg-node1's textfile metrics")
        for expression, value in VALUES:
            found = prometheus.query(expression)
            assert [v for _, v in found] == [value], (expression, found)
        labels = prometheus.query('tgmon_flag_set{node="tg-node2",flag="update_lock"}')[0][0]
        assert (labels["cluster"], labels["role"], labels["job"]) == (
            "tgc-berlin", "cluster-node", "tgmon")
        since = states[LOCKED].flags.update_lock.since.timestamp()
        locked_since = prometheus.query('tgmon_flag_set_timestamp_seconds{node="tg-node2",'
                                        'flag="update_lock"}')
        assert [v for _, v in locked_since] == [since], locked_since
        # every tgmon series of the locked node is what its exporter answers
        direct = requests.Session()
        direct.trust_env = False            # no proxy from the environment for 127.0.0.1
        served = parse(direct.get(exporter.url("/metrics"), verify=ca[0], timeout=10,
                                  headers={"Authorization": "Bearer e2e-prometheus-%d"
                                           % os.getpid()}).text)
        locked = series(served, LOCKED)
        assert stored(prometheus, LOCKED) == locked and len(locked) > 40, (
            set(stored(prometheus, LOCKED).items()) ^ set(locked.items()))
        # and every one of tg-node1's is what tgmon textfile wrote
        with open(os.path.join(collector, "tgmon.prom")) as handle:
            planned = series(parse(handle.read()), PLANNED)
        assert stored(prometheus, PLANNED) == planned and len(planned) > 40, (
            set(stored(prometheus, PLANNED).items()) ^ set(planned.items()))

        # the shipped rules fire what the checks say, and Alertmanager receives it
        expected = expected_alerts(served, LOCKED)
        assert ("TgmonUpdateLock", "critical") in expected and len(expected) >= 4, expected
        wait_for(lambda: firing(prometheus, LOCKED) == expected, 30, "the locked node's alerts")
        fired = sorted(firing(prometheus, LOCKED))
        report.append("alerts firing for the locked node %s: %s" % (LOCKED, ", ".join(
            "%s (%s)" % pair for pair in fired)))
        wait_for(lambda: firing(prometheus, PLANNED) == {("TgmonMaintenanceActive", "warning")},
                 30, "tg-node1's maintenance alert, and only that")
        # the fleet's rules: tg-node2's lock halts its cluster (tg-node1 comes from the
        # other target; one query over both)
        halted = wait_for(lambda: [a for a in prometheus.alerts() if a["state"] == "firing"
                                   and "node" not in a["labels"]], 30, "the cluster's alert")
        assert [(a["labels"]["alertname"], a["labels"]["severity"], a["labels"]["cluster"])
                for a in halted] == [("TgmonClusterHalted", "critical", "tgc-berlin")], halted
        report.append("alerts firing for its cluster: TgmonClusterHalted (critical)")
        wait_for(lambda: {(a["labels"]["alertname"], a["labels"]["severity"])
                          for a in am.alerts(node=LOCKED)} == expected, 60,
                 "the locked node's alerts in Alertmanager, all of them")
        wait_for(lambda: am.alerts(node=PLANNED, alertname="TgmonMaintenanceActive"), 60,
                 "tg-node1's maintenance alert in Alertmanager")
        assert am.alerts(node=PLANNED)[0]["status"]["state"] == "active"

        # the planned maintenance: silenced; the locked node's failures: loud
        nodes = ["--node", "%s=%s" % (PLANNED, dirs[PLANNED]),
                 "--node", "%s=%s" % (LOCKED, dirs[LOCKED]), "--alertmanager-url", am.base]
        code, out, err = sync(*nodes)
        report.append("$ tgmon downtimes sync ...\n" + out + err)
        assert (code, err) == (0, ""), (out, err)
        assert "Alertmanager: 1 added, 0 removed, 0 unchanged" in out, out
        maintenance = am.alerts(node=PLANNED, alertname="TgmonMaintenanceActive")[0]
        assert maintenance["status"]["state"] == "suppressed", maintenance
        assert all(a["status"]["state"] == "active" for a in am.alerts(node=LOCKED))

        # admin maint ends it: the next textfile says so, the sync expires the silence
        ended = states[PLANNED]._replace(maintenance=states[PLANNED].maintenance._replace(
            active=False, since=None, reason=None, planned=None))
        write_state(dirs[PLANNED], ended)
        work.readable()
        textfile(dirs[PLANNED], os.path.join(collector, "tgmon.prom"))
        code, out, err = sync(*nodes)
        report.append("$ tgmon downtimes sync ...   (the maintenance ended)\n" + out + err)
        assert (code, err) == (0, ""), (out, err)
        assert "Alertmanager: 0 added, 1 removed, 0 unchanged" in out, out
        assert not [s for s in am.silences().values() if s["createdBy"] == "tgmon"]
        wait_for(lambda: not firing(prometheus, PLANNED), 30, "tg-node1's alert resolved")
        summary = os.environ.get("TGMON_E2E_REPORT")
        if summary:
            with open(summary, "a") as handle:
                handle.write("Prometheus, node_exporter and Alertmanager\n%s\n\n"
                             % "\n".join(report))
        print("\n".join(report))
    finally:
        for daemon in reversed(daemons):
            daemon.stop()
        work.remove()

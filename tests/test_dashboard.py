"""The Grafana dashboard (issue 23, point 5): generated from the metric registry,
valid JSON with unique panel ids, every query valid PromQL (promtool) on metrics
the registry has, and the fleet and cluster panels' queries giving the right
numbers on the example states (promtool test rules, the queries as recording
rules)."""

import json
import os
import re
import subprocess

import yaml

from tgmon.metrics import collect
from tgmon.metrics.registry import METRICS
from tgmon.state import examples

from helpers import NOW, ROOT
from promtext import parse, promtool

DASHBOARD = os.path.join(ROOT, "grafana", "tgmon-dashboard.json")
NAMES = {m.name for m in METRICS}


def loaded():
    with open(DASHBOARD, encoding="utf-8") as handle:
        return json.load(handle)


def queries():
    """(panel title, refId, expr with the cluster variable at All)."""
    return [(p["title"], t["refId"], t["expr"].replace("$cluster", ".*"))
            for p in loaded()["panels"] for t in p["targets"]]


def test_valid_json_with_unique_panel_ids_on_the_grid():
    board = loaded()
    assert board["uid"] and board["title"] and board["schemaVersion"] >= 36
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) and i > 0 for i in ids)
    cells = set()
    for each in board["panels"]:
        grid = each["gridPos"]
        assert grid["x"] + grid["w"] <= 24
        mine = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not mine & cells, each["title"]      # no panel over another
        cells |= mine
        refs = [t["refId"] for t in each["targets"]]
        assert refs and len(refs) == len(set(refs))
        assert all(t["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
                   for t in each["targets"])
    assert [v["name"] for v in board["templating"]["list"]] == ["datasource", "cluster"]


def test_every_query_reads_metrics_the_registry_has():
    used = {name for _, _, expr in queries() for name in re.findall(r"\btgmon_\w+", expr)}
    assert used <= NAMES, used - NAMES
    assert {"tgmon_check_status", "tgmon_flag_set", "tgmon_release_installed_info",
            "tgmon_update_running", "tgmon_releases_behind"} <= used


def test_the_fleet_table_has_every_check_of_a_node():
    table, = [p for p in loaded()["panels"] if p["title"] == "Fleet"]
    refs = {t["refId"] for t in table["targets"]}
    assert {d.short_name for d in collect.NODE_CHECKS} <= refs


def _recording_rules():
    return {"groups": [{"name": "dashboard", "rules": [
        {"record": "panel:%d:%s" % (number, ref), "expr": expr}
        for number, (_, ref, expr) in enumerate(queries())]}]}


def test_every_query_is_valid_promql(tmp_path):
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump(_recording_rules()))
    done = subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def _fleet_series():
    """The metrics of every example state as one node each (named as the example)."""
    series = []
    for name in examples.EXAMPLES:
        state = examples.build(name)
        state = state._replace(node=state.node._replace(name=name))
        for sample in parse(collect.metrics_text(collect.judge(state, NOW))):
            labels = dict(sample.labels, instance=name, job="tgmon")
            series.append({"series": "%s{%s}" % (sample.name, ",".join(
                '%s="%s"' % item for item in sorted(labels.items()))),
                "values": "%r+0x5" % sample.value})
    return series


def _record(title, ref):
    for number, (shown, mine, _) in enumerate(queries()):
        if (shown, mine) == (title, ref):
            return "panel:%d:%s" % (number, ref)
    raise KeyError((title, ref))


# (panel, refId, the samples it gives on the six example nodes)
EXPECTED = [
    ("Nodes", "A", [({}, 6)]),
    ("Nodes with a problem", "A", [({}, 4)]),
    ("Update locks", "A", [({}, 1)]),
    ("Download failed", "A", [({}, 2)]),
    ("Reboots required", "A", [({}, 1)]),
    ("Unreadable", "A", [({}, 0)]),
    ("Per cluster: nodes updating and locked", "A", [({"cluster": "tgc-berlin"}, 0)]),
    ("Per cluster: nodes updating and locked", "B", [({"cluster": "tgc-berlin"}, 1)]),
    ("Per cluster: nodes updating and locked", "C", [({"cluster": "tgc-berlin"}, 1)]),
    ("Release skew: nodes per installed release", "A",
     # reboot-required-single has installed 4.12 (the kernel update), releases-behind 4.10
     [({"version": "4.10"}, 1), ({"version": "4.11"}, 4), ({"version": "4.12"}, 1)]),
    ("Releases behind, per cluster (worst node)", "A",
     [({}, 2), ({"cluster": "tgc-berlin"}, 1)]),
    ("Fleet", "update_lock", [({"node": "update-locked-cluster-node", "cluster": "tgc-berlin"},
                               2), ({"node": "healthy-cluster-node", "cluster": "tgc-berlin"}, 0)]
     + [({"node": name}, 0) for name in examples.EXAMPLES if name.endswith("-single")]),
]


def test_the_panels_count_what_the_examples_hold(tmp_path):
    rules = tmp_path / "queries.yml"
    rules.write_text(yaml.safe_dump(_recording_rules()))
    tests = {"rule_files": [str(rules)], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": _fleet_series(),
        "promql_expr_test": [{"expr": _record(title, ref), "eval_time": "2m", "exp_samples": [
            {"labels": "%s{%s}" % (_record(title, ref), ",".join(
                '%s="%s"' % item for item in sorted(labels.items()))), "value": value}
            for labels, value in samples]} for title, ref, samples in EXPECTED]}]}
    path = tmp_path / "queries.test.yml"
    path.write_text(yaml.safe_dump(tests))
    done = subprocess.run([promtool(), "test", "rules", str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


def _promtool_expr_test(tmp_path, series, expected):
    """promtool test rules of the dashboard's queries on ``series`` (name, labels, value)."""
    rules = tmp_path / "queries.yml"
    rules.write_text(yaml.safe_dump(_recording_rules()))
    tests = {"rule_files": [str(rules)], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": [{"series": "%s{%s}" % (name, ",".join(
            '%s="%s"' % item for item in sorted(labels.items()))), "values": "%r+0x5" % value}
            for name, labels, value in series],
        "promql_expr_test": [{"expr": _record(title, ref), "eval_time": "2m", "exp_samples": [
            {"labels": "%s{%s}" % (_record(title, ref), ",".join(
                '%s="%s"' % item for item in sorted(labels.items()))), "value": value}
            for labels, value in samples]} for title, ref, samples in expected]}]}
    path = tmp_path / "queries.test.yml"
    path.write_text(yaml.safe_dump(tests))
    return subprocess.run([promtool(), "test", "rules", str(path)], capture_output=True,
                          text=True, timeout=120)


def test_the_cluster_limit_is_its_lowest_and_a_healthy_fleet_counts_0(tmp_path):
    """As check_cluster_updates and TgmonTooManyUpdating take it: the lowest
    max_parallel_updates of the cluster's nodes; no problem is 0, not "No data"."""
    node = {"cluster": "tgc", "role": "cluster-node", "job": "tgmon"}
    series = [("tgmon_cluster_max_parallel_updates", dict(node, node="a", instance="a"), 1),
              ("tgmon_cluster_max_parallel_updates", dict(node, node="b", instance="b"), 3),
              ("tgmon_check_status", dict(node, node="a", instance="a", check="tightgate"), 0),
              ("tgmon_check_status", dict(node, node="b", instance="b", check="tightgate"), 0)]
    done = _promtool_expr_test(tmp_path, series, [
        ("Per cluster: nodes updating and locked", "C", [({"cluster": "tgc"}, 1)]),
        ("Nodes with a problem", "A", [({}, 0)])])
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]

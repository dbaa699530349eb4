"""The alert rules (issue 23, point 4): generated from the checks, one per finding,
checked by ``promtool check rules``, and unit-tested by ``promtool test rules`` with
input series scraped from a real ``tgmon serve`` on the example states and on
variants that reach the findings no example does."""

import os
import re
import subprocess
import urllib.request

import pytest
import yaml

from tgmon.checks.runbook import anchor_url
from tgmon.metrics.collect import NODE_CHECKS
from tgmon.render.nagios import ILLEGAL_MACRO_CHARS
from tgmon.state import examples
from tgmon.state.layout import write_state
from tgmon.state.model import Hotfix, Marker, Release, UpdateRun, shift_times
from tgmon.timeutil import utcnow

from helpers import DAY, HOUR, MINUTE, NOW, ROOT
from promtext import parse, promtool
from remote.servers import Exporter

RULES = os.path.join(ROOT, "prometheus", "tgmon-rules.yml")
JUDGING = [d for d in NODE_CHECKS if d.scope != "all-in-one"]
INSTANCE = "tg1.example.net:9740"     # what Prometheus adds as the scrape target


def loaded_rules(group=0):
    """The rules of the node group (0) or of the cluster group (1)."""
    with open(RULES, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["groups"][group]["rules"]


def test_promtool_checks_the_rules():
    done = subprocess.run([promtool(), "check", "rules", RULES], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: %d rules found" % (len(loaded_rules()) + len(loaded_rules(1))) \
        in done.stdout


def test_one_rule_per_finding_of_every_check_of_a_node():
    # each on its finding first (TgmonUnreachable then also on a frozen textfile and a
    # target gone: test_rules_over_time)
    first = re.compile(r'tgmon_finding_status\{check="([^"]+)",finding="([^",]+)"[^}]*\} > 0')
    found = [(first.match(r["expr"]).groups(), r["annotations"]["runbook_url"])
             for r in loaded_rules()]
    wanted = [((d.short_name, f), anchor_url(None, d.prog, f)) for d in JUDGING
              for f in d.runbook_ids]
    assert found == wanted
    assert sum(r["expr"] == 'tgmon_finding_status{check="%s",finding="%s"} > 0' % check
               for r, (check, _) in zip(loaded_rules(), found)) == len(found) - 1
    names = [r["alert"] for r in loaded_rules() + loaded_rules(1)]
    assert len(set(names)) == len(names)
    assert [(r["alert"], r["labels"]["severity"]) for r in loaded_rules(1)] == [
        ("TgmonClusterHalted", "critical"), ("TgmonTooManyUpdating", "critical")]


# the node as a summary names it: a template (its node label, else its instance,
# made notification-safe and short), the part of every node rule's summary before ": "
NODE_SUMMARY = loaded_rules()[0]["annotations"]["summary"].rsplit("}}: ", 1)[0] + "}}"


@pytest.mark.parametrize("rule", loaded_rules() + loaded_rules(1),
                         ids=[r["alert"] for r in loaded_rules() + loaded_rules(1)])
def test_the_alert_texts_read_as_the_checks_do(rule):
    summary = rule["annotations"]["summary"].replace(
        NODE_SUMMARY, "n" * 63).replace(
        "{{ $labels.cluster }}", "c" * 63)
    assert len(summary) <= 160
    for text in (summary, rule["annotations"]["description"]):
        assert not set(text) & set(ILLEGAL_MACRO_CHARS), text
        assert not re.search(r"\bR\d+\b", text), text      # no rule ids
        assert "\n" not in text and "``" not in text


# ---------------------------------------------------------------- promtool test rules
def _variant(name, change):
    """An example built at NOW, changed, then moved to now: fresh when served."""
    return lambda now: shift_times(change(examples.build(name)), now - NOW)


def _healthy(**changes):
    def change(state):
        for field, make in changes.items():
            state = state._replace(**{field: make(state)})
        return state
    return _variant("healthy-single", change)


def _example(name):
    return lambda now: examples.build(name, now)


W, C = "warning", "critical"
# (id, the state served, {alert: severity}) - every rule fires in at least one case
CASES = [
    ("healthy-single", _example("healthy-single"), {}),
    ("healthy-cluster-node", _example("healthy-cluster-node"), {}),
    ("download-failed-single", _example("download-failed-single"), {"TgmonWarnFlag": W}),
    ("releases-behind-single", _example("releases-behind-single"),
     {"TgmonSkippedRelease": C}),
    ("update-locked-cluster-node", _example("update-locked-cluster-node"),
     {"TgmonWarnFlag": W, "TgmonUpdateLock": C, "TgmonMaintOnly": C, "TgmonSwitchedOff": C}),
    ("reboot-required-single", _example("reboot-required-single"), {"TgmonRebootRequired": W}),
    ("server_not_checked", _healthy(update_server=lambda s: s.update_server._replace(
        last_successful_check=NOW - 5 * DAY)), {"TgmonStaleServerCheck": W}),
    ("release_waits_10_days", _healthy(releases=lambda s: s.releases._replace(
        available=s.releases.available + (Release("4.13", NOW - 10 * DAY),))),
     {"TgmonPendingRelease": W}),
    ("release_waits_40_days", _healthy(releases=lambda s: s.releases._replace(
        available=s.releases.available + (Release("4.13", NOW - 40 * DAY),))),
     {"TgmonPendingRelease": C}),
    ("hotfix_new", _healthy(hotfixes=lambda s: s.hotfixes._replace(available=(
        Hotfix("HF-9", "browser", NOW - DAY),))), {"TgmonPendingCount": W}),
    ("hotfix_old", _healthy(hotfixes=lambda s: s.hotfixes._replace(available=(
        Hotfix("HF-9", "browser", NOW - 40 * DAY),))),
     {"TgmonPendingCount": W, "TgmonPendingAge": C}),
    ("reboot_for_2_days", _healthy(flags=lambda s: s.flags._replace(reboot_required=Marker(
        True, NOW - 2 * DAY, ("linux-image-amd64",)))),
     {"TgmonRebootOverdue": C}),          # the overdue finding takes the place of the set one
    ("maintenance_1h", _healthy(maintenance=lambda s: s.maintenance._replace(
        active=True, since=NOW - HOUR, reason="planned works")), {"TgmonMaintenanceActive": W}),
    ("maintenance_2_days", _healthy(maintenance=lambda s: s.maintenance._replace(
        active=True, since=NOW - 2 * DAY, reason="planned works")),
     {"TgmonMaintenanceOverdue": C}),
    ("vnc_disabled", _healthy(vnc_login_disabled=lambda s: True), {"TgmonVncDisabled": W}),
    ("download_at_the_update", _healthy(schedule=lambda s: s.schedule._replace(
        download=s.schedule.download._replace(start="02:40", end=None))),
     {"TgmonDownloadTiming": W}),
    ("cluster_wide_lock", _variant("healthy-cluster-node", lambda s: s._replace(
        cluster=s.cluster._replace(update_lock=True))), {"TgmonClusterLock": W}),
    ("always_install_all_off", _healthy(hotfixes=lambda s: s.hotfixes._replace(
        always_install_all=False)), {"TgmonAlwaysInstallAllOff": W}),
    ("stale_state", lambda now: examples.build("healthy-single", now - 2 * HOUR),
     {"TgmonUnreachable": C}),
    ("unreadable_state", None, {"TgmonUnreachable": C}),
]


def _cluster_node(name, running=False, locked=False, stale=False):
    """healthy-cluster-node named ``name`` of tgc-berlin (max_parallel_updates 1), its
    update running or the update lock set; ``stale``: written 2 h ago."""
    def build(now):
        written = now - 2 * HOUR if stale else now
        state = examples.build("healthy-cluster-node", written)
        state = state._replace(node=state.node._replace(name=name))
        if running:
            state = state._replace(last_update_run=UpdateRun(
                "scheduled", written - 10 * MINUTE, None, None, None))
        if locked:
            state = state._replace(flags=state.flags._replace(update_lock=Marker(
                True, written - HOUR, ("scheduled update failed",))))
        return state
    return build


# (id, the nodes of one cluster, {cluster alert: severity})
CLUSTER_CASES = [
    ("two_updating_max_1", [_cluster_node("tg-a", running=True),
                            _cluster_node("tg-b", running=True)], {"TgmonTooManyUpdating": C}),
    ("one_updating_max_1", [_cluster_node("tg-a", running=True), _cluster_node("tg-b")], {}),
    ("one_locked", [_cluster_node("tg-a", locked=True), _cluster_node("tg-b")],
     {"TgmonClusterHalted": C}),
    ("healthy", [_cluster_node("tg-a"), _cluster_node("tg-b")], {}),
    # a stale node's facts are exported, but the cluster check counts it unreachable
    ("stale_one_locked", [_cluster_node("tg-a", locked=True, stale=True),
                          _cluster_node("tg-b")], {}),
    ("two_updating_one_stale", [_cluster_node("tg-a", running=True, stale=True),
                                _cluster_node("tg-b", running=True)], {}),
]


def _served(directory, case):
    """Put ``case``'s state into the served dir (garbage for None)."""
    name, build, _ = case
    if build is None:
        with open(os.path.join(directory, "status.json"), "w") as handle:
            handle.write("{not json")
        return
    write_state(directory, build(utcnow().astimezone(examples.CET).replace(microsecond=0)))


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    """{case: the samples of GET /metrics of a real tgmon serve on the case's state}."""
    directory = str(tmp_path_factory.mktemp("served") / "state")
    exporter = Exporter("--state-dir", directory)
    found = {}
    nodes = [("%s/%d" % (name, index), build, None) for name, builds, _ in CLUSTER_CASES
             for index, build in enumerate(builds)]
    try:
        for case in CASES + nodes:
            _served(directory, case)
            with urllib.request.urlopen(exporter.url("/metrics"), timeout=10) as answer:
                assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
                found[case[0]] = parse(answer.read().decode("utf-8"))
    finally:
        assert exporter.stop() == 0
    assert not any("Traceback" in line for line in exporter.log)
    return found


def _series(sample, instance=INSTANCE):
    labels = dict(sample.labels, instance=instance, job="tgmon")
    return "%s{%s}" % (sample.name, ",".join('%s="%s"' % (k, v.replace("\\", "\\\\").replace(
        '"', '\\"')) for k, v in sorted(labels.items())))


def _expected_alerts(rule, samples, severity):
    """The alerts ``rule`` should fire on ``samples`` at ``severity`` (None: none)."""
    if severity is None:
        return []
    check, finding = re.search(r'check="([^"]+)",finding="([^"]+)"', rule["expr"]).groups()
    fired = [s for s in samples if s.name == "tgmon_finding_status"
             and (s.labels["check"], s.labels["finding"]) == (check, finding)]
    assert len(fired) == 1
    # an empty label (a single system's cluster) is no label to Prometheus
    labels = {k: v for k, v in fired[0].labels.items() if v}
    labels.update(instance=INSTANCE, job="tgmon", severity=severity)
    node = labels.get("node") or INSTANCE
    annotations = dict(rule["annotations"], summary=rule["annotations"]["summary"].replace(
        NODE_SUMMARY, node))
    return [{"exp_labels": labels, "exp_annotations": annotations}]


def _unit_tests(scraped, flip=None):
    tests = []
    for name, _, alerts in CASES:
        samples = scraped[name]
        expected = dict(alerts)
        if flip and flip in expected:
            expected[flip] = W if expected[flip] == C else C
        tests.append({
            "name": name, "interval": "1m",
            "input_series": [{"series": _series(s), "values": "%r+0x5" % s.value}
                             for s in samples],
            "alert_rule_test": [{"eval_time": "2m", "alertname": rule["alert"],
                                 "exp_alerts": _expected_alerts(rule, samples,
                                                                expected.get(rule["alert"]))}
                                for rule in loaded_rules()]})
    for name, builds, alerts in CLUSTER_CASES:
        series = [{"series": _series(s, "node%d:9740" % index), "values": "%r+0x5" % s.value}
                  for index in range(len(builds)) for s in scraped["%s/%d" % (name, index)]]
        tests.append({
            "name": "cluster " + name, "interval": "1m", "input_series": series,
            "alert_rule_test": [{"eval_time": "2m", "alertname": rule["alert"], "exp_alerts": [
                {"exp_labels": {"cluster": "tgc-berlin", "severity": alerts[rule["alert"]]},
                 "exp_annotations": dict(rule["annotations"], summary=rule["annotations"][
                     "summary"].replace("{{ $labels.cluster }}", "tgc-berlin"))}]
                if rule["alert"] in alerts else []} for rule in loaded_rules(1)]})
    return {"rule_files": [RULES], "evaluation_interval": "1m", "tests": tests}


def _promtool_test(tmp_path, document):
    path = tmp_path / "tgmon-rules.test.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return subprocess.run([promtool(), "test", "rules", str(path)], capture_output=True,
                          text=True, timeout=120)


def test_every_rule_fires_in_a_case():
    fired = {alert for _, _, alerts in CASES + CLUSTER_CASES for alert in alerts}
    assert fired == {r["alert"] for r in loaded_rules() + loaded_rules(1)}


@pytest.mark.slow
def test_promtool_test_rules_on_real_exporter_output(scraped, tmp_path):
    done = _promtool_test(tmp_path, _unit_tests(scraped))
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert "SUCCESS" in done.stdout


@pytest.mark.slow
def test_a_wrong_expectation_fails_promtool(scraped, tmp_path):
    """The unit tests can fail: a severity flipped in the expectations is caught."""
    done = _promtool_test(tmp_path, _unit_tests(scraped, flip="TgmonUpdateLock"))
    assert done.returncode == 1
    assert "TgmonUpdateLock" in done.stdout + done.stderr


def test_the_docs_show_what_fires_for_a_locked_cluster_node():
    with open(os.path.join(ROOT, "docs", "prometheus.rst"), encoding="utf-8") as handle:
        text = handle.read()
    shown = text[text.index("A locked cluster node"):].split("::\n\n", 1)[1].split("\n\n")[0]
    alerts = next(case[2] for case in CASES if case[0] == "update-locked-cluster-node")
    summaries = {r["alert"]: r["annotations"]["summary"].replace(
        NODE_SUMMARY, "tg-node2") for r in loaded_rules()}
    assert [line.split(None, 2) for line in shown.splitlines()] == [
        [name, severity, summaries[name]] for name, severity in alerts.items()]

"""The alert rules over time and against what the registry emits (issue 23, point 4,
reviewed): promtool test rules on hand-made series - a one-scrape blip pages nobody,
every rule waits as a Nagios service turns HARD, TgmonUnreachable also for a frozen
textfile and a target gone, the cluster rules count only nodes judged now, a hostile
node name is shown notification-safe - and every selector and runbook link real."""

import os
import re
import subprocess

import pytest
import yaml

from tgmon.checks.registry import all_checks
from tgmon.checks.runbook import anchor_url
from tgmon.metrics import collect
from tgmon.metrics.registry import BASE_LABELS, FLAGS, by_name
from tgmon.render.nagios import ILLEGAL_MACRO_CHARS

from helpers import ROOT
from promtext import promtool

RULES = os.path.join(ROOT, "prometheus", "tgmon-rules.yml")
TARGET = {"instance": "tg1.example.net:9740", "job": "tgmon"}
TG1 = dict(TARGET, node="tg1", cluster="", role="single")
NODE_TEMPLATE_START = "{{ or $labels.node $labels.instance"     # a node rule's summary


def _rules():
    """Every rule of every group of the shipped file."""
    with open(RULES, encoding="utf-8") as handle:
        return [rule for group in yaml.safe_load(handle)["groups"] for rule in group["rules"]]


def _rule(alert):
    return next(rule for rule in _rules() if rule["alert"] == alert)


def _series(name, labels, values_text):
    return {"series": "%s{%s}" % (name, ",".join('%s="%s"' % (label, value.replace(
        "\\", "\\\\").replace('"', '\\"')) for label, value in sorted(labels.items()))),
            "values": values_text}


def _fired(alert, labels, named):
    """The alert ``alert`` as promtool shows it: its labels but the empty ones, the
    severity, and the annotations with the summary naming ``named``."""
    rule = _rule(alert)
    summary = rule["annotations"]["summary"].replace("{{ $labels.cluster }}", named)
    if summary.startswith(NODE_TEMPLATE_START):
        summary = named + summary[summary.index("}}: ") + 2:]
    annotations = dict(rule["annotations"], summary=summary)
    return {"exp_labels": dict({k: v for k, v in labels.items() if v}, severity="critical"),
            "exp_annotations": annotations}


def _promtool_test(tmp_path, series, expected):
    """promtool test rules: ``series`` every minute; ``expected`` [(eval time, alert,
    [alerts])]; (exit code, output)."""
    document = {"rule_files": [RULES], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": series,
        "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": alerts}
                            for at, alert, alerts in expected]}]}
    path = tmp_path / "test.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    done = subprocess.run([promtool(), "test", "rules", str(path)], capture_output=True,
                          text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


LOCK = dict(TG1, check="update_lock", finding="update-lock")
UNREACHABLE = dict(TG1, check="reachable", finding="unreachable")
LOCKED_NODE = dict(TARGET, node="tg-a", cluster="tgc", role="cluster-node")
OTHER_TG1 = dict(TG1, instance="tg1.other.example.net:9100", job="node")

# (id, input series, [(eval time, alert, the alerts it fires then: [labels] or None)])
OVER_TIME = [
    ("one_scrape_blip_pages_nobody", [_series("tgmon_finding_status", LOCK, "0 2 0 0 0 0")],
     [(at, "TgmonUpdateLock", []) for at in ("1m", "2m", "3m", "5m")]),
    ("a_lock_held_fires_after_2m", [_series("tgmon_finding_status", LOCK, "0 2 2 2 2 2")],
     [("2m", "TgmonUpdateLock", []), ("3m", "TgmonUpdateLock", [LOCK])]),
    # a tgmon textfile written at 0 s that no timer rewrites: OK in it, and frozen
    ("frozen_textfile_is_unreachable_past_max_age",
     [_series("tgmon_state_generated_timestamp_seconds", TG1, "0x40"),
      _series("tgmon_finding_status", UNREACHABLE, "0x40"),
      _series("tgmon_check_status", dict(TG1, check="reachable"), "0x40")],
     [("30m", "TgmonUnreachable", []), ("32m", "TgmonUnreachable", []),
      ("33m", "TgmonUnreachable", [TG1])]),
    # two nodes of one name behind two targets (two clusters' tg1): the one judged
    # stale does not hide the other's frozen textfile
    ("same_name_elsewhere_frozen",
     [_series("tgmon_finding_status", UNREACHABLE, "2x40"),
      _series("tgmon_state_generated_timestamp_seconds", TG1, "1e10x40"),
      _series("tgmon_state_generated_timestamp_seconds", OTHER_TG1, "0x40"),
      _series("tgmon_finding_status", dict(OTHER_TG1, check="reachable",
                                           finding="unreachable"), "0x40")],
     [("35m", "TgmonUnreachable", [UNREACHABLE, OTHER_TG1])]),
    # a state that turns unreadable: its metrics lose the node's labels (it is not
    # known); the alert keeps the node it had, so a silence on the node holds
    ("unreadable_keeps_the_last_node",
     [_series("tgmon_state_generated_timestamp_seconds", TG1, "1e10 1e10 stale"),
      _series("tgmon_finding_status", UNREACHABLE, "0 0 stale"),
      _series("tgmon_finding_status", dict(TARGET, check="reachable", finding="unreachable"),
              "_ _ 2x8")],
     [("3m", "TgmonUnreachable", []), ("5m", "TgmonUnreachable", [UNREACHABLE])]),
    # the exporter judged it stale itself: one alert, not two
    ("stale_as_judged_fires_once",
     [_series("tgmon_state_generated_timestamp_seconds", TG1, "0x40"),
      _series("tgmon_finding_status", UNREACHABLE, "2x40")],
     [("35m", "TgmonUnreachable", [UNREACHABLE])]),
    # the exporter stops answering (a reboot): Prometheus' up turns 0, tgmon's series go
    # stale; the alert names the node it served last, so a silence on it holds;
    # another job's target that is down is none of tgmon's business
    ("exporter_gone", [_series("up", TARGET, "1 1 1 0 0 0 0 0"),
                       _series("tgmon_up", TARGET, "1 1 1 stale"),
                       _series("tgmon_state_generated_timestamp_seconds", TG1,
                               "1e10 1e10 1e10 stale"),
                       _series("up", {"instance": "db:9100", "job": "db"}, "0x8")],
     [("4m", "TgmonUnreachable", []), ("6m", "TgmonUnreachable", [TG1])]),
    # a cluster node's textfile no timer rewrites: its lock counts while its state is
    # fresh, then it is unreachable (TgmonUnreachable), no longer locked, as the plugin says
    ("frozen_lock_stops_halting_the_cluster",
     [_series("tgmon_state_generated_timestamp_seconds", LOCKED_NODE, "0x40"),
      _series("tgmon_check_status", dict(LOCKED_NODE, check="reachable"), "0x40"),
      _series("tgmon_flag_set", dict(LOCKED_NODE, flag="update_lock"), "1x40")],
     [("3m", "TgmonClusterHalted", [{"cluster": "tgc"}]),
      ("35m", "TgmonClusterHalted", [])]),
    # one that never had a readable state: named by the target
    ("exporter_gone_never_read", [_series("up", TARGET, "1 1 1 0 0 0 0 0"),
                                  _series("tgmon_up", TARGET, "0 0 0 stale")],
     [("6m", "TgmonUnreachable", [TARGET])]),
]


# a node name as the schema lets it be (128 characters of any text) and as the
# summary shows it: no character Nagios strips, at most 60 of it, within 160 in all
HOSTILE_NODE = "tg'1\"<b>|$(id)&`~" + "\u00fc" * 130
SHOWN_NODE = "tg1b(id)" + "\u00fc" * 52 + "..."


def test_a_hostile_node_name_is_shown_notification_safe_and_short(tmp_path):
    labels = dict(LOCK, node=HOSTILE_NODE)
    expected = _fired("TgmonUpdateLock", labels, SHOWN_NODE)
    summary = expected["exp_annotations"]["summary"]
    assert len(summary) <= 160 and not set(summary) & set(ILLEGAL_MACRO_CHARS)
    code, output = _promtool_test(tmp_path, [_series("tgmon_finding_status", labels,
                                                     "2x5")],
                                  [("3m", "TgmonUpdateLock", [expected])])
    assert code == 0, output[-3000:]


@pytest.mark.parametrize("name, series, expected", OVER_TIME, ids=[c[0] for c in OVER_TIME])
def test_the_rules_over_time(tmp_path, name, series, expected):
    code, output = _promtool_test(tmp_path, series, [
        (at, alert, [_fired(alert, labels, labels.get("node") or labels.get("instance")
                            or labels["cluster"])
                     for labels in alerts]) for at, alert, alerts in expected])
    assert code == 0, output[-3000:]


def test_every_rule_waits_as_a_nagios_service_turns_hard():
    assert {rule.get("for") for rule in _rules()} == {"2m"}


def test_every_rule_selects_by_labels_the_registry_emits():
    """A selector on a label or value no metric has would match nothing, for ever."""
    emitted = {"check": {d.short_name for d in collect.NODE_CHECKS}, "flag": set(FLAGS),
               "role": {"single", "cluster-node"},
               "finding": {f for d in collect.NODE_CHECKS for f in d.runbook_ids}}
    selected = 0
    for rule in _rules():
        for name, matchers in re.findall(r"\b(tgmon_[a-z_]+)(?:\{([^}]*)\})?", rule["expr"]):
            metric = by_name(name)
            for label, value in re.findall(r'(\w+)="([^"]*)"', matchers):
                assert label in BASE_LABELS + metric.labels, (rule["alert"], name, label)
                assert value in emitted.get(label, {value}), (rule["alert"], label, value)
                selected += 1
    assert selected >= 2 * 20


def test_every_rules_runbook_url_is_an_anchor_the_rendered_docs_hold():
    """test_runbooks renders the docs and finds each (page, anchor) of the checks."""
    anchors = {anchor_url(None, d.prog, anchor) for d in all_checks() for anchor in
               d.runbook_ids}
    urls = [rule["annotations"]["runbook_url"] for rule in _rules()]
    assert len(urls) == 20 and set(urls) <= anchors, set(urls) - anchors

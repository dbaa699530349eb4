"""The metric registry, the text writer and GET /metrics (issue 23, points 1 and 2):
names as Prometheus has them, every output read by a strict parser, the verdicts
the plugins' own, and a state that cannot be read a label-free set."""

import pytest

from tgmon.checks.registry import ALL_CHECKS
from tgmon.errors import SourceError
from tgmon.metrics import collect
from tgmon.metrics.exposition import (CONTENT_TYPE, escape_help, escape_label_value,
                                      exposition, format_value)
from tgmon.metrics.registry import BASE_LABELS, METRICS
from tgmon.server.exporter import StateDirApp
from tgmon.sources.statedir import read_state
from tgmon.state import examples
from tgmon.state.layout import paths_for
from tgmon.timeutil import utcnow

from helpers import HOUR, NOW, run_check
from promtext import parse, values

NODE_CHECKS = [d for d in ALL_CHECKS if d.scope != "cluster"]


def text_of(state, now=NOW):
    return collect.metrics_text(collect.judge(state, now, "dir"))


# ---------------------------------------------------------------- the registry
@pytest.mark.parametrize("metric", METRICS, ids=[m.name for m in METRICS])
def test_every_metric_is_named_and_described_as_prometheus_has_it(metric):
    assert parse("# TYPE %s gauge\n%s 1\n" % (metric.name, metric.name))   # a valid name
    assert metric.name.startswith("tgmon_") and metric.kind == "gauge"
    assert "age" not in metric.name.split("_"), "an age goes stale: export the instant"
    assert not metric.name.endswith(("_total", "_count", "_sum", "_bucket"))
    assert metric.help and "\n" not in metric.help and not metric.help[0].isupper()
    assert len(set(metric.labels)) == len(metric.labels)
    assert not set(metric.labels) & set(BASE_LABELS)
    if "timestamp" in metric.name:
        assert metric.name.endswith("_timestamp_seconds")


def test_names_are_unique_and_the_registry_has_what_the_issue_lists():
    names = [m.name for m in METRICS]
    assert len(names) == len(set(names))
    for name in ("tgmon_up", "tgmon_check_status", "tgmon_flag_set",
                 "tgmon_state_generated_timestamp_seconds", "tgmon_releases_behind",
                 "tgmon_hotfix_oldest_pending_timestamp_seconds", "tgmon_active_sessions",
                 "tgmon_maintenance_planned_start_timestamp_seconds",
                 "tgmon_schedule_active", "tgmon_last_update_run_info"):
        assert name in names


# ---------------------------------------------------------------- the writer
@pytest.mark.parametrize("given, written", [
    ("tg1", "tg1"),
    ('say "hi"', 'say \\"hi\\"'),
    ("C:\\tmp", "C:\\\\tmp"),
    ("two\nlines", "two lines"),              # one line first: no line feed to escape
    ("\\n", "\\\\n"),                           # a backslash and an n, not a line feed
    ("tab\there\r", "tab here"),
    ("bidi\u202egpj.exe", "bidigpj.exe"),
    ("x" * 500, "x" * 200),
    ("}\" 1\nfake_metric 1", '}\\" 1 fake_metric 1'),
])
def test_label_values_are_escaped(given, written):
    assert escape_label_value(given) == written
    read_back = parse('# TYPE m gauge\nm{l="%s"} 1\n' % written)[0].labels["l"]
    assert read_back == " ".join(given.split())[:200].replace("\u202e", "")


@pytest.mark.parametrize("given, written", [
    ("plain", "plain"), ("a\\b", "a\\\\b"), ("two\nlines", "two\\nlines"), ('"q"', '"q"')])
def test_help_is_escaped(given, written):
    assert escape_help(given) == written


@pytest.mark.parametrize("value, written", [
    (True, "1"), (False, "0"), (0, "0"), (42, "42"), (1794718800.0, "1794718800.0"),
    (0.25, "0.25"), (float("nan"), "NaN"), (float("inf"), "+Inf"), (float("-inf"), "-Inf")])
def test_values(value, written):
    assert format_value(value) == written


def test_the_writer_leaves_out_empty_families_and_writes_help_and_type_once():
    text = exposition([("a", "gauge", "x", []),
                       ("b", "gauge", "why\\not", [((("k", "v"),), 1), ((("k", "w"),), 2)])])
    assert text == ('# HELP b why\\\\not\n# TYPE b gauge\nb{k="v"} 1\nb{k="w"} 2\n')
    assert [s.value for s in parse(text)] == [1, 2]


# ---------------------------------------------------------------- facts and verdicts
@pytest.mark.parametrize("name", sorted(examples.EXAMPLES))
def test_every_example_parses_and_its_verdicts_are_the_plugins(name, state_dir):
    path = state_dir(examples.build(name))
    samples = parse(text_of(read_state(paths_for(path))))
    assert {s.labels["node"] for s in samples if s.name != "tgmon_up"} == {
        examples.build(name).node.name}
    status = values(samples, "tgmon_check_status")
    assert len(status) == len(NODE_CHECKS)
    for definition in NODE_CHECKS:
        plugin = run_check(definition, ["--state-dir", path])
        assert status[frozenset({("check", definition.short_name)})] == plugin.code, (
            definition.prog, plugin.output)
    flags = values(samples, "tgmon_flag_set")      # always there, 0 or 1
    assert sorted(flags.values()) in ([0, 0, 0], [0, 0, 1], [0, 1, 1], [1, 1, 1])
    assert len(flags) == 3
    assert values(samples, "tgmon_up") == {frozenset(): 1}


def test_a_locked_cluster_node_in_numbers():
    state = examples.build("update-locked-cluster-node")
    samples = parse(text_of(state))
    labels = samples[1].labels
    assert (labels["node"], labels["cluster"], labels["role"]) == (
        "tg-node2", "tgc-berlin", "cluster-node")
    assert values(samples, "tgmon_flag_set") == {
        frozenset({("flag", "warn_flag")}): 1, frozenset({("flag", "update_lock")}): 1,
        frozenset({("flag", "reboot_required")}): 0}
    assert values(samples, "tgmon_flag_set_timestamp_seconds")[
        frozenset({("flag", "update_lock")})] == state.flags.update_lock.since.timestamp()
    problems = {tuple(sorted(dict(k).values())): v
                for k, v in values(samples, "tgmon_finding_status").items() if v}
    assert problems == {("update-lock", "update_lock"): 2, ("versions", "warn-flag"): 1,
                        ("maint-only", "maintenance"): 2, ("switched-off", "update_schedule"): 2}
    assert values(samples, "tgmon_maintenance_only_maint_may_end") == {frozenset(): 1}
    assert values(samples, "tgmon_last_update_run_info") == {
        frozenset({("kind", "scheduled"), ("result", "failed")}): 1}


def test_every_finding_of_every_node_check_is_there_with_0_when_not_reported():
    samples = parse(text_of(examples.build("healthy-single")))
    found = set(values(samples, "tgmon_finding_status"))
    wanted = {frozenset({("check", d.short_name), ("finding", f)}) for d in NODE_CHECKS
              if d.scope != "all-in-one" for f in d.runbook_ids}
    assert found == wanted
    assert set(values(samples, "tgmon_finding_status").values()) == {0}


def test_a_stale_state_is_unknown_as_the_plugins_say_with_its_facts_kept():
    samples = parse(text_of(examples.build("healthy-single"), NOW + 2 * HOUR))
    status = {dict(k)["check"]: v for k, v in values(samples, "tgmon_check_status").items()}
    assert status.pop("reachable") == 2 and set(status.values()) == {3}
    assert values(samples, "tgmon_finding_status") == {
        frozenset({("check", "reachable"), ("finding", "unreachable")}): 2}
    assert values(samples, "tgmon_up") == {frozenset(): 1}
    assert values(samples, "tgmon_state_generated_timestamp_seconds") == {
        frozenset(): NOW.timestamp()}


def test_a_state_that_cannot_be_read_is_a_label_free_set_with_its_cause():
    text = collect.metrics_text(collect.unreadable(
        SourceError('status.json in /x is not valid JSON ("\\\n)', "restore it"), NOW))
    checks = sorted(d.short_name for d in NODE_CHECKS)
    assert text == "".join(
        ["# HELP tgmon_up 1 when the state could be read, 0 when not (tgmon_state_error_info "
         "says why); without labels, so it is there either way\n# TYPE tgmon_up gauge\n"
         "tgmon_up 0\n",
         "# HELP tgmon_state_error_info 1 with the cause why the state could not be read; "
         "absent while it can\n# TYPE tgmon_state_error_info gauge\n",
         'tgmon_state_error_info{cause="status.json in /x is not valid JSON (\\"\\\\ )"} 1\n',
         "# HELP tgmon_check_status %s\n# TYPE tgmon_check_status gauge\n"
         % METRICS[-2].help]
        + ['tgmon_check_status{check="%s"} %d\n' % (c, 2 if c == "reachable" else 3)
           for c in checks]
        + ["# HELP tgmon_finding_status %s\n# TYPE tgmon_finding_status gauge\n"
           % METRICS[-1].help,
           'tgmon_finding_status{check="reachable",finding="unreachable"} 2\n'])
    assert parse(text)


# ---------------------------------------------------------------- GET /metrics
def test_the_exporter_answers_metrics_from_the_state_dir(state_dir, short_tmp):
    fresh = examples.build("update-locked-cluster-node", utcnow().astimezone(examples.CET))
    app = StateDirApp(state_dir(fresh))
    status, body, headers = app.route("/metrics")
    assert (status, headers) == (200, {"Content-Type": CONTENT_TYPE})
    samples = parse(body.decode("utf-8"))
    assert values(samples, "tgmon_check_status")[frozenset({("check", "update_lock")})] == 2
    empty = short_tmp / "empty"
    empty.mkdir()
    status, body, headers = StateDirApp(str(empty)).route("/metrics")
    assert status == 200
    samples = parse(body.decode("utf-8"))
    assert values(samples, "tgmon_up") == {frozenset(): 0}
    cause, = values(samples, "tgmon_state_error_info")
    assert "status.json" in dict(cause)["cause"]
    assert all(set(s.labels) <= {"check", "finding", "cause"} for s in samples)


# ---------------------------------------------------------------- what imports what
PLUGIN_PROBE = """
import io, sys
from tgmon.checks.versions import DEFINITION
from tgmon.runtime.plugin import run
run(DEFINITION, sys.argv[1:], out=io.StringIO())
print(sorted(m for m in sys.modules if m.startswith(("tgmon.metrics", "tgmon.server"))))
"""
METRICS_PROBE = """
import sys
from tgmon.server.exporter import StateDirApp
assert StateDirApp(sys.argv[1]).route("/metrics")[0] == 200
print(sorted(m for m in ("requests", "yaml", "tgmon.runtime.plugin", "tgmon.sources.http")
             if m in sys.modules))
"""
# (nagiosplugin it does import: the hotfix check's -w/-c are its Range)


def test_a_plugin_imports_no_metrics_and_metrics_no_plugin_libraries(state_dir):
    import subprocess
    import sys
    path = state_dir(examples.build("healthy-single", utcnow().astimezone(examples.CET)))
    for probe in (PLUGIN_PROBE, METRICS_PROBE):
        argv = ["--state-dir", path] if probe is PLUGIN_PROBE else [path]
        done = subprocess.run([sys.executable, "-c", probe] + argv, capture_output=True,
                              text=True, timeout=60)
        assert done.stdout.splitlines()[-1:] == ["[]"], done


def test_promtool_reads_the_metrics_without_a_complaint():
    import subprocess
    from promtext import promtool
    text = text_of(examples.build("update-locked-cluster-node"))
    done = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), done


def test_the_weekly_schedule_in_seconds_after_monday():
    """healthy-single: download Tue 01:30-02:45, update Tue 03:00."""
    samples = parse(text_of(examples.build("healthy-single")))
    tuesday = 86400
    assert values(samples, "tgmon_schedule_weekly_start_seconds") == {
        frozenset({("schedule", "download")}): tuesday + 5400,
        frozenset({("schedule", "update")}): tuesday + 10800}
    assert values(samples, "tgmon_schedule_download_weekly_end_seconds") == {
        frozenset(): tuesday + 9900}
    assert values(samples, "tgmon_schedule_download_lead_seconds") == {frozenset(): 5400}
    assert values(samples, "tgmon_schedule_active") == {
        frozenset({("schedule", "download")}): 1, frozenset({("schedule", "update")}): 1}

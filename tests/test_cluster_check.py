"""check_cluster_updates over several node state dirs."""

import pytest

from tgmon.state import examples
from tgmon.checks.cluster_updates import DEFINITION, schedule_overlap
from tgmon.state.model import ScheduledUpdate, UpdateRun

from helpers import HOUR, NOW, as_shown, run_check

WRITER_HINT = "check --state-dir and the writer (docs/appliance.rst)"
STALE_HINT = "check that the writer on the node runs (its heartbeat) and its clock"
# the first line drops the aside in parentheses before it cuts the cause
STALE_HINT_SHORT = "check that the writer on the node runs and its clock"
PERF_LABELS = ["nodes", "nodes_in_maintenance", "nodes_locked", "nodes_out_of_lb",
               "nodes_unreachable", "nodes_updating", "schedule_overlap"]


def node(name, start="03:00", weekday="tuesday", updating=False, out_of_lb=False,
         maintenance=False, max_parallel=1, cluster="tgc-berlin", active=True):
    state = examples.healthy_cluster_node(NOW)
    state = state._replace(
        node=state.node._replace(name=name, cluster=cluster),
        cluster=state.cluster._replace(max_parallel_updates=max_parallel,
                                       in_load_balancing=not out_of_lb),
        schedule=state.schedule._replace(update=ScheduledUpdate(active, weekday, start)))
    if updating:
        state = state._replace(last_update_run=UpdateRun("scheduled", NOW - HOUR, None, None, None))
    if maintenance:
        state = state._replace(maintenance=state.maintenance._replace(
            active=True, since=NOW - HOUR, reason="scheduled update"))
    return state


def args(state_dir, *states):
    result = []
    for state in states:
        result += ["--node", state_dir(state)]
    return result


def test_cluster_of_one(state_dir):
    outcome = run_check(DEFINITION, args(state_dir, node("n1")))
    assert (outcome.code, outcome.text, outcome.perfdata) == (
        0, "CLUSTER OK - 1 node of tgc-berlin, 0 updating (max 1)",
        "nodes=1;;;0 nodes_in_maintenance=0;;;0 nodes_locked=0;;0;0 nodes_out_of_lb=0;;;0 "
        "nodes_unreachable=0;;;0 nodes_updating=0;;1;0 schedule_overlap=1;1;;0")


def test_spread_cluster_of_many_is_ok(state_dir):
    nodes = [node("n%d" % i, start="%02d:00" % (1 + 3 * i)) for i in range(6)]
    outcome = run_check(DEFINITION, args(state_dir, *nodes))
    assert outcome.code == 0
    assert outcome.text == "CLUSTER OK - 6 nodes of tgc-berlin, 0 updating (max 1)"


def test_r16_more_nodes_updating_than_max(state_dir):
    nodes = [node("n1", updating=True, out_of_lb=True, maintenance=True),
             node("n2", start="05:00", updating=True, out_of_lb=True),
             node("n3", start="09:00")]
    outcome = run_check(DEFINITION, args(state_dir, *nodes))
    assert outcome.code == 2
    assert outcome.text == (
        "CLUSTER CRITICAL - 2 nodes updating at once, max_parallel_updates 1: n1, n2 - spread "
        "update times in the admin update schedule settings")
    assert "nodes_updating=2;;1;0" in outcome.perfdata
    assert "nodes_out_of_lb=2;;;0" in outcome.perfdata


def test_updating_at_the_maximum_is_ok(state_dir):
    nodes = [node("n1", updating=True, max_parallel=2), node("n2", start="05:00", updating=True,
                                                             max_parallel=2)]
    assert run_check(DEFINITION, args(state_dir, *nodes)).code == 0


def test_r16_schedule_collision(state_dir):
    nodes = [node("n1"), node("n2", start="03:30"), node("n3", start="07:00")]
    outcome = run_check(DEFINITION, args(state_dir, *nodes))
    assert outcome.code == 1
    assert outcome.text == (
        "CLUSTER WARNING - 2 update windows overlap, max_parallel_updates 1: n1, n2 - "
        "spread update times in the admin update schedule settings")
    assert "schedule_overlap=2;1;;0" in outcome.perfdata


@pytest.mark.parametrize("second, duration, overlap", [
    ("05:00", "1h", 1),     # window 02:00-04:00 then 04:00-06:00: touching, no overlap
    ("04:59", "1h", 2),
    ("05:00", "2h", 2),
])
def test_collision_borders(second, duration, overlap):
    states = [node("n1"), node("n2", start=second)]
    assert schedule_overlap(states, int(duration[0]) * 3600)[0] == overlap


def test_collision_wraps_around_the_week():
    states = [node("n1", weekday="sunday", start="23:30"), node("n2", weekday="monday",
                                                                  start="00:00")]
    assert schedule_overlap(states, 3600) == (2, ("n1", "n2"))


def test_inactive_schedules_do_not_collide(state_dir):
    nodes = [node("n1"), node("n2", active=False)]
    assert run_check(DEFINITION, args(state_dir, *nodes)).code == 0


def test_r9_lock_halts_the_cluster(state_dir):
    locked = examples.update_locked_cluster_node(NOW)
    outcome = run_check(DEFINITION, args(state_dir, node("tg-node1", start="05:00"), locked))
    assert outcome.code == 2
    assert outcome.text == (
        "CLUSTER CRITICAL - update lock on tg-node2 since today 03:00 halts tgc-berlin - on "
        "tg-node2: fix the cause, then as admin update choose Remove update lock")
    assert "nodes_locked=1;;0;0" in outcome.perfdata


def test_unreachable_node_is_unknown_unless_told(state_dir, tmp_path):
    good = state_dir(node("n1"))
    missing = str(tmp_path / "gone")
    outcome = run_check(DEFINITION, ["--node", good, "--node", missing])
    assert outcome.code == 3
    assert outcome.text.startswith("CLUSTER UNKNOWN - node /tmp/")
    assert outcome.text.endswith("unreachable: state dir does not exist - " + WRITER_HINT)
    assert "    %s: state dir does not exist; %s" % (missing, WRITER_HINT) in outcome.lines
    assert "nodes=2;;;0" in outcome.perfdata and "nodes_unreachable=1;;;0" in outcome.perfdata
    relaxed = run_check(DEFINITION, ["--node", good, "--node", missing,
                                     "--unreachable-severity", "warning"])
    assert relaxed.code == 1


def test_stale_node_counts_as_unreachable(state_dir):
    fresh = state_dir(node("n1"))
    stale = state_dir(node("n2", start="07:00")._replace(generated=NOW - 2 * HOUR))
    outcome = run_check(DEFINITION, ["--node", fresh, "--node", stale])
    assert outcome.code == 3 and outcome.text.endswith(
        "unreachable: state is stale: generated 2h ago... - " + STALE_HINT_SHORT)
    assert "    %s: state is stale: generated 2h ago, --max-age is 30m; %s" % (
        stale, STALE_HINT) in outcome.lines


def stale(name):
    return node(name)._replace(generated=NOW - 2 * HOUR)


# nodes (None: a state dir that does not exist, "refused": an exporter URL nobody
# listens on) -> exit code, first line; none of them can be read
ALL_UNREACHABLE = [
    ("two_missing_dirs", [None, None], [], 3,
     "CLUSTER UNKNOWN - 2 of 2 nodes unreachable: state dir does not exist - " + WRITER_HINT),
    ("stale_nodes_of_any_name", [stale("alpha"), stale("beta")], [], 3,
     "CLUSTER UNKNOWN - 2 of 2 nodes unreachable: state is stale: generated 2h ago, --max-age "
     "is 30m - " + STALE_HINT_SHORT),
    ("most_common_cause_leads", [stale("alpha"), None, None], [], 3,
     "CLUSTER UNKNOWN - 3 of 3 nodes unreachable, most: state dir does not exist - "
     + WRITER_HINT),
    ("a_tie_gives_an_example", [None, stale("alpha")], [], 3,
     "CLUSTER UNKNOWN - 2 of 2 nodes unreachable, e.g. state dir does not exist - "
     + WRITER_HINT),
    ("one_exporter_refuses", ["refused"], [], 3,
     "CLUSTER UNKNOWN - node 127.0.0.1:1 unreachable: cannot reach the exporter: connection "
     "refused - check the address and that the exporter runs (tgmon serve)"),
    ("no_node_read_is_unknown_whatever_the_severity", [None, None],
     ["--unreachable-severity", "ok"], 3,
     "CLUSTER UNKNOWN - 2 of 2 nodes unreachable: state dir does not exist - " + WRITER_HINT),
]


@pytest.mark.parametrize("name, nodes, extra, code, text", ALL_UNREACHABLE,
                         ids=[c[0] for c in ALL_UNREACHABLE])
def test_no_node_read_names_count_cause_and_every_node(state_dir, tmp_path, name, nodes, extra,
                                                       code, text):
    """No node could be read: the first line was one cut error line, with no long
    output and no perfdata even with -vv."""
    sources = []
    for index, spec in enumerate(nodes):
        if spec is None:
            sources.append(str(tmp_path / ("gone%d" % index)))
        elif spec == "refused":
            sources.append("http://127.0.0.1:1/v1/status")
        else:
            sources.append(state_dir(spec))
    argv = [part for source in sources for part in ("--node", source)] + extra + ["-vv"]
    outcome = run_check(DEFINITION, argv)
    assert (outcome.code, outcome.text) == (code, as_shown(text))
    assert len(outcome.shown) <= 160 and not set(outcome.shown) & set("`~$&|'\"<>")
    for source in sources:     # every node's cause, one line each
        assert [line for line in outcome.lines if line.startswith("    %s: " % source)], source
    assert "Traceback" not in outcome.output
    labels = dict(item.split("=", 1) for item in outcome.perfdata.split())
    assert sorted(labels) == PERF_LABELS
    assert labels["nodes"].startswith("%d;" % len(sources))
    assert labels["nodes_unreachable"].startswith("%d;" % len(sources))


def test_no_nodes_is_a_usage_error():
    outcome = run_check(DEFINITION, [])
    assert outcome.code == 3
    assert "no nodes given" in outcome.text


def test_cluster_file(state_dir, tmp_path):
    listing = tmp_path / "cluster.txt"
    listing.write_text("# tgc-berlin\n%s\n\n%s  # second\n" % (
        state_dir(node("n1")), state_dir(node("n2", start="07:00"))))
    outcome = run_check(DEFINITION, ["--cluster-file", str(listing)])
    assert outcome.code == 0 and outcome.text.startswith("CLUSTER OK - 2 nodes")


def test_mixed_clusters_and_single_systems(state_dir):
    outcome = run_check(DEFINITION, args(state_dir, node("n1"), node("x1", cluster="other", start="09:00"),
                                         examples.healthy_single(NOW)))
    assert outcome.code == 3
    assert outcome.text == ("CLUSTER UNKNOWN - tg-single is a single system, not a cluster node "
                            "(+2 more) - check the node list")
    assert "[UNKNOWN] the nodes belong to different clusters: none, other, tgc-berlin - check "\
        "one cluster per service" in outcome.lines
    assert "[OK] 3 nodes of 2 clusters, 0 updating (max 1)" in outcome.lines


@pytest.mark.parametrize("states, shown", [
    # a cluster name is never '?': the nodes' own cluster, or how many, or none
    ([examples.update_locked_cluster_node(NOW)], "update lock on tg-node2 since today 03:00 halts "
                                                 "tgc-berlin"),
    ([examples.healthy_single(NOW)._replace(flags=examples.update_locked_cluster_node(NOW).flags)],
     "update lock on tg-single since today 03:00 halts its updates"),
    ([examples.healthy_single(NOW)], "1 node of no cluster, 0 updating (max 1)"),
    ([node("n1"), node("x1", cluster="other", start="09:00")],
     "2 nodes of 2 clusters, 0 updating (max 1)"),
])
def test_cluster_names_are_never_a_question_mark(state_dir, states, shown):
    outcome = run_check(DEFINITION, args(state_dir, *states) + ["-v"])
    assert any(line.startswith("[") and shown in line for line in outcome.lines), outcome
    assert "?" not in outcome.output


def test_out_of_lb_and_maintenance_are_listed(state_dir):
    outcome = run_check(DEFINITION, args(state_dir, node("n1", out_of_lb=True, maintenance=True),
                                         node("n2", start="09:00")) + ["-v"])
    assert outcome.text == ("CLUSTER OK - 2 nodes of tgc-berlin, 0 updating (max 1), out of load "
                            "balancing: n1, in maintenance: n1")
    assert "    n1: release 4.11, maintenance, out of load balancing, scheduled update Tue 03:00" in outcome.lines

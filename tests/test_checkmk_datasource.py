"""tgmon checkmk (issue 22, item 4): a piggyback block per node with its local
checks, the cluster's verdict on the calling host; a node that cannot be read
or named keeps every service, never one on another host."""

import os
import re
import shutil
import subprocess
import time

import pytest

from tgmon.checkmk.datasource import build_parser, collect, output, place
from tgmon.sources.nodes import NodeSource, cluster_view
from tgmon.state import examples
from tgmon.state.layout import write_state
from tgmon.state.model import Node

from helpers import NOW, ROOT, VENV_BIN
from test_golden import assert_local_line

TGMON = os.path.join(VENV_BIN, "tgmon")
NODE_SERVICES = ["TightGate reachable", "TightGate versions", "TightGate update lock",
                 "TightGate hotfixes", "TightGate reboot required", "TightGate maintenance",
                 "TightGate update schedule"]


def parse(text):
    """{host (None: the calling host): [(status, service)]}, checking the framing and
    every line against the local-check grammar."""
    hosts, host, in_section = {}, None, False
    for line in text.splitlines():
        piggyback = re.match(r"^<<<<(.*)>>>>$", line)
        if piggyback:
            assert (host is None) == bool(piggyback.group(1)), "unbalanced: %s" % line
            host, in_section = piggyback.group(1) or None, False
            continue
        if line == "<<<local:sep(0)>>>":
            in_section = True
            hosts.setdefault(host, [])
            continue
        assert in_section, "a line outside a section: %s" % line
        assert_local_line(line)
        hosts[host].append((int(line[0]), line.split('"')[1]))
    assert host is None, "the last piggyback block is not closed"
    return hosts


@pytest.fixture
def cluster(short_tmp):
    """Dirs named as their nodes: tg-node1 healthy, tg-node2 locked."""
    for name, example in (("tg-node1", "healthy-cluster-node"),
                          ("tg-node2", "update-locked-cluster-node")):
        state = examples.build(example, NOW)
        write_state(str(short_tmp / name), state._replace(node=state.node._replace(name=name)))
    return short_tmp


def _opts(argv):
    opts = build_parser().parse_args(argv)
    opts.deadline = time.monotonic() + opts.timeout
    return opts


def _run(argv):
    return parse(collect(_opts(argv), NOW))


def test_a_block_per_node_and_the_cluster_on_the_calling_host(cluster):
    hosts = _run(["--node", str(cluster / "tg-node1"), "--node", str(cluster / "tg-node2")])
    assert list(hosts) == [None, "tg-node1", "tg-node2"]
    assert hosts[None] == [(2, "TightGate cluster updates")]
    assert [s for _, s in hosts["tg-node1"]] == NODE_SERVICES
    assert {status for status, _ in hosts["tg-node1"]} == {0}
    assert {s: c for c, s in hosts["tg-node2"]}["TightGate update lock"] == 2


def test_a_node_that_cannot_be_read_keeps_every_service(cluster):
    hosts = _run(["--node", str(cluster / "tg-node1"), "--node", str(cluster / "tg-node9")])
    assert [s for _, s in hosts["tg-node9"]] == NODE_SERVICES
    assert [c for c, _ in hosts["tg-node9"]] == [2] + [3] * 6
    assert hosts[None] == [(3, "TightGate cluster updates")]


def test_a_state_calling_itself_otherwise_stays_on_its_configured_host(cluster):
    hosts = _run(["--node", "tg-node7=%s" % (cluster / "tg-node2")])
    assert list(hosts) == [None, "tg-node7"]          # never on tg-node2
    assert [c for c, _ in hosts["tg-node7"]] == [2] + [3] * 6


def test_a_node_without_a_host_name_is_named_on_the_calling_host(cluster):
    hosts = _run(["-t", "2", "--node", str(cluster / "tg-node1"),
                  "--node", "http://127.0.0.1:9/v1/status"])
    assert list(hosts) == [None, "tg-node1"]
    assert hosts[None] == [(3, "TightGate cluster updates"), (3, "TightGate node names")]


# (id, how the second node is given, given the dir of a copy of tg-node1 named alike)
SAME_HOST_CASES = [
    ("two_dirs_named_alike", lambda copy: str(copy)),
    ("a_name_and_a_derived_one", lambda copy: "tg-node1=%s" % copy),
    ("names_differing_in_case", lambda copy: "TG-Node1=%s" % copy),
]


@pytest.mark.parametrize("name, second", SAME_HOST_CASES, ids=[c[0] for c in SAME_HOST_CASES])
def test_two_nodes_going_to_one_host_are_one_block_of_unknowns_there(cluster, name, second):
    copy = cluster / "elsewhere" / "tg-node1"
    copy.parent.mkdir()
    shutil.copytree(cluster / "tg-node1", copy)
    text = collect(_opts(["--no-cluster-service", "--node", str(cluster / "tg-node1"),
                          "--node", second(copy), "--node", str(cluster / "tg-node2")]), NOW)
    hosts = parse(text)
    assert list(hosts) == ["tg-node1", "tg-node2"]          # each host once
    assert text.lower().count("<<<<tg-node1>>>>") == 1, text
    assert [s for _, s in hosts["tg-node1"]] == NODE_SERVICES
    assert [c for c, _ in hosts["tg-node1"]] == [2] + [3] * 6
    assert "2 nodes go to host tg-node1: %s, " % (cluster / "tg-node1") in text
    assert [s for _, s in hosts["tg-node2"]] == NODE_SERVICES   # the others untouched


def test_past_its_deadline_nothing_more_is_judged_and_every_service_is_there():
    """Read in time, but -t ran out: every service UNKNOWN, none missing, none judged."""
    nodes = [(NodeSource(name, "/var/lib/tgmon/%s" % name, None),
              examples.build(example, NOW)._replace(node=Node(name, "cluster-node", "tgc")))
             for name, example in (("tg-node1", "healthy-cluster-node"),
                                   ("tg-node2", "update-locked-cluster-node"))]
    placed = [place(node, node.source, state) for node, state in nodes]
    view = cluster_view([(node.source, state) for node, state in nodes])
    text = output(placed, view, NOW, None, deadline=time.monotonic())
    hosts = parse(text)
    assert list(hosts) == [None, "tg-node1", "tg-node2"]
    assert hosts[None] == [(3, "TightGate cluster updates")]
    for host in ("tg-node1", "tg-node2"):
        assert hosts[host] == [(3, service) for service in NODE_SERVICES]
    assert text.count(" - not judged: -t ran out after reading the 2 nodes - raise -t\n") == 15


# (dir name = the name its state claims, the host its block goes to: None, no block)
HOST_NAME_CASES = [
    ("<<<<evil>>>>", None),      # would open a piggyback block of its own
    ("tg1>>>>", None),
    ("tg 1", None),
    ("Tg.Node_1", "Tg.Node_1"),  # dots, underscores and capitals are host names
]


@pytest.mark.parametrize("name, host", HOST_NAME_CASES, ids=[ascii(c[0]) for c in HOST_NAME_CASES])
def test_only_a_host_name_becomes_a_piggyback_header(short_tmp, name, host):
    state = examples.build("healthy-cluster-node", NOW)
    write_state(str(short_tmp / name), state._replace(node=state.node._replace(name=name)))
    hosts = _run(["--no-cluster-service", "--node", str(short_tmp / name)])
    if host is None:      # named on the calling host, no block: never a header from input
        assert hosts == {None: [(3, "TightGate node names")]}
    else:
        assert list(hosts) == [host] and {c for c, _ in hosts[host]} == {0}


def test_no_cluster_service(cluster):
    hosts = _run(["--no-cluster-service", "--node", str(cluster / "tg-node1")])
    assert list(hosts) == ["tg-node1"]


def test_the_golden_datasource_output_parses():
    with open(os.path.join(ROOT, "tests", "golden", "checkmk-local", "datasource.txt")) as handle:
        hosts = parse(handle.read())
    assert list(hosts) == [None, "tg-node1", "tg-node2", "tg-node3", "tg-node4"]


# (id, argv, words on stderr)
USAGE_CASES = [
    ("no_nodes", [], "no nodes given"),
    ("relative_node", ["--node", "tg1"], "is neither a URL nor an absolute state dir path"),
    ("bad_timeout", ["--node", "/x", "-t", "0"], "bad option: argument -t/--timeout"),
    ("secret_not_echoed", ["--node", "/x", "--token", "S3CRET-42"], "unrecognized arguments"),
]


@pytest.mark.parametrize("name, argv, words", USAGE_CASES, ids=[c[0] for c in USAGE_CASES])
def test_usage_errors_are_one_line_and_exit_2(name, argv, words):
    run = subprocess.run([TGMON, "checkmk"] + argv, capture_output=True, text=True, timeout=30)
    assert (run.returncode, run.stdout) == (2, ""), run
    assert len(run.stderr.splitlines()) == 1 and words in run.stderr, run.stderr
    assert run.stderr.startswith("tgmon checkmk: ") and "S3CRET" not in run.stderr


def test_the_command_prints_the_blocks(cluster):
    run = subprocess.run([TGMON, "checkmk", "--max-age", "3650d", "--node",
                          str(cluster / "tg-node1")], capture_output=True, text=True, timeout=30)
    assert (run.returncode, run.stderr) == (0, ""), run
    assert list(parse(run.stdout)) == [None, "tg-node1"]

"""``make generate``: tests/golden/, what every check prints as JSON and as Checkmk
local checks on every example state and on every state of the shipped scenarios.

    python tools/golden.py          rewrite the golden files that differ
    python tools/golden.py --check  write nothing; exit 1 naming what is stale

One file per format and subject: ``tests/golden/<format>/examples/<example>.txt``
(every plugin on that example state at its fixed instant, the cluster check on
it as a one-node cluster, the bad-input cases in ``errors.txt``, and in
``variants.txt`` the states no example or scenario reaches, for the findings
they alone show) and
``tests/golden/<format>/scenarios/<scenario>.txt`` (after every event of the
scenario, every plugin on every node, the cluster check on every cluster; a
plugin's output is written when a finding's status or next step changed, as
the timeline shows changes). Each output follows a line ``### <plugin>
<subject>``. tests/test_golden.py compares them byte for byte, and validates
every output (written or not) against the shipped JSON Schema or the Checkmk
grammar. ``tests/golden/checkmk-local/datasource.txt`` is what ``tgmon checkmk``
prints for a cluster of example nodes: a healthy one, a locked one, one that
cannot be read, one whose state calls itself by another name.
"""

import io
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "tests", "golden")
SCENARIOS = os.path.join(ROOT, "scenarios")
FORMATS = ("json", "checkmk-local")
# bad input, answered in each format: (plugin, argv)
ERROR_CASES = (
    ("check_versions", ["--state-dir", "/nonexistent/tgmon"]),
    ("check_versions", ["--warning-age", "soon"]),
    ("check_tightgate", ["--state-dir", "/nonexistent/tgmon"]),
    ("check_cluster_updates", ["--node", "/nonexistent/tg1", "--node", "/nonexistent/tg2"]),
    ("check_reachable", ["--state-dir", "/nonexistent/tgmon"]),
)


def _tgmon():
    sys.path.insert(0, ROOT)
    from tgmon import render, runtime
    from tgmon.checks.registry import ALL_CHECKS, by_prog
    from tgmon.options import default_settings
    from tgmon.state.model import ClusterView
    return render, runtime, ALL_CHECKS, by_prog, default_settings, ClusterView


def rendered(fmt, subjects):
    """(label, definition, output) for each (label, definition, subject), judged at the
    subject's own ``generated`` with the plugin's defaults, and the key of what it says
    (its findings' statuses and next steps)."""
    render, runtime, _, _, default_settings, _ = _tgmon()
    presenter = render.renderer(fmt)
    parts = getattr(presenter, "WANTS_PARTS", False)
    for label, definition, subject in subjects:
        result = runtime.evaluate(definition, subject, default_settings(definition),
                                  subject.generated, parts=parts)
        # as the timeline's: a finding's status or next step changed, not an age in a text
        key = (result.code, tuple((f.condition, f.status, f.action)
                                  for f in result.verdict.findings))
        yield label, definition, presenter.render(definition, result), key


def _outputs(fmt, subjects, shown=None):
    """'### plugin subject' and the output, for each (label, definition, subject);
    with ``shown`` (subject -> key), only those whose key changed."""
    chunks = []
    for label, definition, output, key in rendered(fmt, subjects):
        if shown is not None:
            subject = (definition.prog, label.split(" ")[0])
            if shown.get(subject) == key:
                continue
            shown[subject] = key
        chunks.append("### %s %s\n%s" % (definition.prog, label, output))
    return "".join(chunks)


def _checks_of(name, state, cluster_view):
    """(label, definition, subject) of every plugin on one node's state."""
    _, _, all_checks, _, _, _ = _tgmon()
    for definition in all_checks:
        if definition.scope == "cluster":
            yield name, definition, cluster_view
        else:
            yield name, definition, state


def example_file(fmt, name):
    from tgmon.state import examples
    return _state_outputs(fmt, name, examples.build(name, examples.EXAMPLE_INSTANT))


def _state_outputs(fmt, name, state, others=()):
    """Every plugin on ``state``, the cluster check on it (and ``others``) as a cluster."""
    _, _, _, _, _, ClusterView = _tgmon()
    view = ClusterView((("/var/lib/tgmon", state),) + tuple(
        ("/var/lib/tgmon-%s" % other.node.name, other) for other in others), (),
        state.generated, "/var/lib/tgmon")
    return _outputs(fmt, _checks_of(name, state, view))


def variants(now):
    """{name: (state, other nodes of its cluster view)}: what no example state and no
    scenario shows, for the findings they alone show (tests/test_runbooks.py judges
    them too)."""
    _tgmon()    # tgmon importable
    from datetime import timedelta
    from tgmon.state import examples
    from tgmon.state.model import Hotfix
    healthy = examples.build("healthy-cluster-node", now)
    day = timedelta(days=1)
    elsewhere = healthy._replace(node=healthy.node._replace(name="tg-hh1", cluster="tgc-hh"))
    return {
        "stale-server-check": (healthy._replace(update_server=healthy.update_server._replace(
            last_successful_check=now - 5 * day)), ()),
        "old-hotfix": (healthy._replace(hotfixes=healthy.hotfixes._replace(available=(
            Hotfix("HF-1", "browser", now - 40 * day),))), ()),
        "cluster-wide-lock": (healthy._replace(cluster=healthy.cluster._replace(
            update_lock=True)), ()),
        "download-at-the-update": (healthy._replace(schedule=healthy.schedule._replace(
            download=healthy.schedule.download._replace(start="02:40", end=None))), ()),
        "mixed-clusters": (healthy, (elsewhere,)),
    }


def variants_file(fmt):
    from tgmon.state import examples
    return "".join(_state_outputs(fmt, name, state, others) for name, (state, others)
                   in variants(examples.EXAMPLE_INSTANT).items())


def errors_file(fmt):
    from tgmon.runtime.plugin import run
    from tgmon.state import examples
    _, _, _, by_prog, _, _ = _tgmon()
    chunks = []
    for prog, argv in ERROR_CASES:
        out = io.StringIO()
        code = run(by_prog(prog), argv + ["--output-format", fmt],
                   now=examples.EXAMPLE_INSTANT, out=out)
        chunks.append("### %s %s (exit %d)\n%s" % (prog, " ".join(argv), code, out.getvalue()))
    return "".join(chunks)


def scenario_file(fmt, path):
    """After every event of the scenario: every plugin on every node, the cluster check
    on every cluster."""
    chunks, shown = [], {}
    for subjects in scenario_subjects(path):
        chunks.append(_outputs(fmt, subjects, shown))
    return "".join(chunks)


def scenario_subjects(path):
    """Per event of the scenario, [(label, definition, subject)]: every plugin on every
    node's state, the cluster check on every cluster."""
    from tgmon.sim.scenario import load_scenario
    _, _, all_checks, _, _, ClusterView = _tgmon()
    scenario = load_scenario(path)
    sim = scenario.build()
    for instant, _ in sim.walk(scenario.end):
        states = {name: node.snapshot() for name, node in sim.nodes.items()}
        subjects = [("%s %s" % (name, instant.isoformat()), definition, state)
                    for name, state in states.items() for definition in all_checks
                    if definition.scope != "cluster"]
        for cluster in sim.clusters.values():
            view = ClusterView(tuple((n.name, states[n.name]) for n in cluster.nodes), (),
                               sim.local(sim.now), cluster.name)
            subjects.append(("%s %s" % (cluster.name, instant.isoformat()),
                             by_cluster(all_checks), view))
        yield subjects


def by_cluster(all_checks):
    return next(d for d in all_checks if d.scope == "cluster")


def datasource_file():
    """tgmon checkmk's output for a cluster of example nodes, read already."""
    from tgmon.checkmk.datasource import output, place
    from tgmon.sources.nodes import NodeSource, cluster_view
    from tgmon.state import examples
    from tgmon.state.model import NodeFailure
    now = examples.EXAMPLE_INSTANT
    healthy = examples.build("healthy-cluster-node", now)
    locked = examples.build("update-locked-cluster-node", now)
    nodes = [
        (NodeSource(None, "/var/lib/tgmon/tg-node1", None), healthy),
        (NodeSource("tg-node2", "https://tg-node2.example.net:9740/v1/status", None), locked),
        (NodeSource("tg-node3", "https://tg-node3.example.net:9740/v1/status", None),
         NodeFailure("https://tg-node3.example.net:9740/v1/status",
                     "cannot reach the exporter: connection refused",
                     "check that tgmon serve runs on the node")),
        (NodeSource("tg-node4", "/var/lib/tgmon/tg-node4", None), healthy),
    ]
    outcomes = [(node.source, value) for node, value in nodes]
    placed = [place(node, node.source, value) for node, value in nodes]
    return output(placed, cluster_view(outcomes, require_one=False), now, None)


def files():
    """{path under tests/golden: its text}: every golden file, computed now."""
    from tgmon.state import examples
    wanted = {"checkmk-local/datasource.txt": datasource_file()}
    for fmt in FORMATS:
        for name in examples.EXAMPLES:
            wanted["%s/examples/%s.txt" % (fmt, name)] = example_file(fmt, name)
        wanted["%s/examples/errors.txt" % fmt] = errors_file(fmt)
        wanted["%s/examples/variants.txt" % fmt] = variants_file(fmt)
        for scenario in sorted(os.listdir(SCENARIOS)):
            if scenario.endswith(".yml"):
                wanted["%s/scenarios/%s.txt" % (fmt, scenario[:-4])] = scenario_file(
                    fmt, os.path.join(SCENARIOS, scenario))
    return wanted


def stale(wanted):
    """The golden files that differ from ``wanted``, and those no longer wanted."""
    found = []
    for relative, text in sorted(wanted.items()):
        path = os.path.join(GOLDEN, relative)
        try:
            with open(path, "rb") as handle:
                same = handle.read() == text.encode("utf-8")
        except FileNotFoundError:
            same = False
        if not same:
            found.append(relative)
    for directory, _, names in os.walk(GOLDEN):
        for name in names:
            relative = os.path.relpath(os.path.join(directory, name), GOLDEN)
            if relative not in wanted:
                found.append(relative)
    return found


def main(argv):
    wanted = files()
    differ = stale(wanted)
    if "--check" in argv:
        if differ:
            print("out of date (run make generate): tests/golden/%s" % ", ".join(differ[:5]))
        return 1 if differ else 0
    for relative in differ:
        path = os.path.join(GOLDEN, relative)
        if relative not in wanted:
            os.unlink(path)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(wanted[relative])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

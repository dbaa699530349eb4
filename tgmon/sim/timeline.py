"""What every check reports for every node as simulated time passes.

The checks' own judge functions are called on each node's exported state,
so the timeline shows exactly what the plugins would print.
"""

from ..checks import cluster_updates
from ..checks.registry import SINGLE_NODE_CHECKS
from ..model import ClusterView
from ..verdict import status_name, summary_line, worst_status


def report(definition, subject, options):
    """(status, first-line text, key): the key changes when a finding's status
    does, not when only an age in the text grows."""
    verdict = definition.judge(subject, options, subject.generated)
    key = tuple((f.condition, f.status) for f in verdict.findings)
    return worst_status(verdict.findings), summary_line(verdict), key


def timeline(scenario, until=None, nodes=None, checks=SINGLE_NODE_CHECKS, out=None):
    """Yield (instant, log entries, changes); changes = [(node, NAME, status, text)]."""
    until = until or scenario.end
    sim = scenario.build()
    entries = []
    sim.listeners.append(entries.append)
    options = {d.name: d.default_options() for d in checks}
    cluster_check = cluster_updates.DEFINITION
    options[cluster_check.name] = cluster_check.parse(["--node", "-"])
    shown = {}
    wanted = nodes or list(sim.nodes)
    instant = sim.now
    while True:
        changes = []
        states = {name: sim.nodes[name].snapshot() for name in sim.nodes}
        subjects = [(name, definition, states[name]) for name in wanted for definition in checks]
        for cluster in sim.clusters.values():
            if nodes is None or any(n.name in wanted for n in cluster.nodes):
                view = ClusterView(tuple((n.name, states[n.name]) for n in cluster.nodes), (),
                                   sim.local(sim.now), cluster.name)
                subjects.append((cluster.name, cluster_check, view))
        for name, definition, subject in subjects:
            worst, text, key = report(definition, subject, options[definition.name])
            if shown.get((name, definition.name)) != key:
                shown[(name, definition.name)] = key
                changes.append((name, definition.name, worst, text))
        logged = [e for e in entries if nodes is None or e[1] in wanted or e[1] == ""]
        entries.clear()
        if logged or changes:
            yield instant, logged, changes
        instant = sim.queue.next_time()
        if instant is None or instant > until:
            return
        sim.run_until(instant)


def format_timeline(scenario, until=None, nodes=None, checks=SINGLE_NODE_CHECKS):
    lines = ["# %s" % scenario.name]
    if scenario.description:
        lines.extend("# %s" % line for line in scenario.description.splitlines())
    for instant, logged, changes in timeline(scenario, until, nodes, checks):
        lines.append("")
        lines.append(instant.astimezone(scenario.zone).strftime("%Y-%m-%d %a %H:%M %Z"))
        for _, node, text in logged:
            lines.append("  %-10s %s" % (node or "*", text))
        for node, name, status, text in changes:
            lines.append("  %-10s => %s %s - %s" % (node, name, status_name(status), text))
    return "\n".join(lines) + "\n"

"""What every check reports for every node as simulated time passes.

The checks' own judge functions are called on each node's exported state,
so the timeline shows exactly what the plugins would print.
"""

from ..checks.registry import SINGLE_NODE_CHECKS
from ..verdict import state_name, summary_line, worst_state


def report(definition, state, options):
    """(state, first-line text, key): the key changes when a finding's state
    does, not when only an age in the text grows."""
    verdict = definition.judge(state, options, state.generated)
    key = tuple((f.condition, f.state) for f in verdict.findings)
    return worst_state(verdict.findings), summary_line(verdict), key


def timeline(scenario, until=None, nodes=None, checks=SINGLE_NODE_CHECKS, out=None):
    """Yield (instant, log entries, changes); changes = [(node, NAME, state, text)]."""
    until = until or scenario.end
    sim = scenario.build()
    entries = []
    sim.listeners.append(entries.append)
    options = {d.name: d.default_options() for d in checks}
    shown = {}
    wanted = nodes or list(sim.nodes)
    instant = sim.now
    while True:
        changes = []
        for name in wanted:
            state = sim.nodes[name].snapshot()
            for definition in checks:
                worst, text, key = report(definition, state, options[definition.name])
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
        for node, name, state, text in changes:
            lines.append("  %-10s => %s %s - %s" % (node, name, state_name(state), text))
    return "\n".join(lines) + "\n"

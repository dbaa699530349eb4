"""What every check reports for every node as simulated time passes.

Each node's exported state is evaluated as the plugins evaluate it
(``runtime.evaluate``, with each check's default settings), and each change
is printed as the plugin's first line, so the timeline shows exactly what
the plugins would print (tests/sim/test_timeline_plugin.py). Verdicts change
at events, but also by time alone (a reboot pending longer than 24 h, a
planned maintenance two hours ahead): between two events the timeline also
evaluates every instant at which a time of a state crosses one of the checks'
thresholds, so it turns CRITICAL when the plugin would.
"""

from datetime import timedelta

from ..checks import cluster_updates
from ..checks.definition import dest
from ..checks.registry import SINGLE_NODE_CHECKS
from ..options import default_settings
from ..render.nagios import first_line
from ..runtime import evaluate
from ..state.lifecycle import NOTICE_LEAD
from ..state.model import ClusterView, map_times
from ..verdict import status_name

SECOND = timedelta(seconds=1)


def report(definition, subject, settings):
    """(status, first-line text, key): the key changes when a finding's status or
    next step does, not when only an age in the text grows."""
    result = evaluate(definition, subject, settings, subject.generated)
    key = tuple((f.condition, f.status, f.action) for f in result.verdict.findings)
    return result.code, result.summary, key


def thresholds(definitions, settings):
    """Every duration a judge compares an age with (its options' defaults), and the
    notice lead of a planned maintenance: the offsets at which time alone can
    change a verdict."""
    found = {0.0, -NOTICE_LEAD.total_seconds()}
    for definition in definitions:
        for option in definition.options:
            if option.kind in ("age", "duration"):
                found.add(float(getattr(settings[definition.name], dest(option.flag))))
    return sorted(found)


def time_points(states, offsets, after, before):
    """Instants in (after, before] at which a time of a state crosses an offset
    (and one second later, for the judges that compare with >)."""
    stamps = set()
    for state in states:
        map_times(state, lambda stamp: stamps.add(stamp) or stamp)
    points = set()
    for stamp in stamps:
        for seconds in offsets:
            point = stamp + timedelta(seconds=seconds)
            for instant in (point, point + SECOND):
                if after < instant <= before:
                    points.add(instant)
    return sorted(points)


def timeline(scenario, until=None, nodes=None, checks=SINGLE_NODE_CHECKS, out=None):
    """Yield (instant, log entries, changes); changes = [(node, NAME, status, text)]."""
    until = until or scenario.end
    sim = scenario.build()
    entries = []
    sim.listeners.append(entries.append)
    cluster_check = cluster_updates.DEFINITION
    settings = {d.name: default_settings(d) for d in list(checks) + [cluster_check]}
    offsets = thresholds(list(checks) + [cluster_check], settings)
    shown = {}
    wanted = nodes or list(sim.nodes)

    def evaluate(at=None):
        """Changes at the current instant, or (``at``) a later one before the next event."""
        changes = []
        states = {name: sim.nodes[name].snapshot(at) for name in sim.nodes}
        subjects = [(name, definition, states[name]) for name in wanted for definition in checks]
        for cluster in sim.clusters.values():
            if nodes is None or any(n.name in wanted for n in cluster.nodes):
                view = ClusterView(tuple((n.name, states[n.name]) for n in cluster.nodes), (),
                                   sim.local(at or sim.now), cluster.name)
                subjects.append((cluster.name, cluster_check, view))
        for name, definition, subject in subjects:
            worst, text, key = report(definition, subject, settings[definition.name])
            if shown.get((name, definition.name)) != key:
                shown[(name, definition.name)] = key
                changes.append((name, definition.name, worst, text))
        return changes, states

    for instant, quiet_until in sim.walk(until):
        changes, states = evaluate()
        logged = [e for e in entries if nodes is None or e[1] in wanted or e[1] == ""]
        entries.clear()
        if logged or changes:
            yield instant, logged, changes
        for point in time_points(states.values(), offsets, instant, quiet_until):
            changes, _ = evaluate(point)
            if changes:
                yield point, [], changes


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
            lines.append("  %-10s => %s" % (node, first_line(name, status_name(status), text)))
    return "\n".join(lines) + "\n"

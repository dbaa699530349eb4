"""The downtimes ``tgmon downtimes sync`` would hold as simulated time passes.

Computed by the sync's own planner on every node's exported state, at every
event and at every instant where time alone changes the plan (a window
comes within the lookahead, a window ends).
"""

from datetime import timedelta

from ..downtimes.plan import plan
from ..downtimes.wanted import comment_for
from ..timeutil import format_duration

FAR = timedelta(days=8)


def downtime_timeline(scenario, settings, until=None):
    """Yield (instant, added windows, removed windows) whenever the plan changes."""
    until = until or scenario.end
    sim = scenario.build()
    held = ()
    for instant, quiet_until in sim.walk(until):
        points = [instant]
        states = [node.snapshot() for node in sim.nodes.values()]
        ahead = plan(states, instant, settings._replace(lookahead=settings.lookahead + FAR)).windows
        for window in ahead:
            for point in (window.start - settings.lookahead, window.end):
                if instant < point <= quiet_until:
                    points.append(point)
        for point in sorted(set(points)):
            current = [node.snapshot(point if point != instant else None)
                       for node in sim.nodes.values()]
            windows = plan(current, point, settings).windows
            added = [w for w in windows if w not in held]
            removed = [w for w in held if w not in windows]
            if added or removed:
                yield point, added, removed
            held = windows


def format_downtimes(scenario, settings, until=None):
    lines = ["# %s" % scenario.name,
             "# + a downtime a sync adds, - one it removes (lookahead %s)"
             % format_duration(settings.lookahead.total_seconds())]
    for instant, added, removed in downtime_timeline(scenario, settings, until):
        lines.append("")
        lines.append(instant.astimezone(scenario.zone).strftime("%Y-%m-%d %a %H:%M %Z"))
        for sign, windows in (("-", removed), ("+", added)):
            for window in windows:
                text = comment_for(window, scenario.zone).split(": ", 1)[1]
                lines.append("  %s %s" % (sign, text))
    return "\n".join(lines) + "\n"

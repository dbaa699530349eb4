"""The planned windows of each node: a pure function of its state and the clock.

- A maintenance admin maint planned (R14): its start to its end (a default
  length when it has none). Once begun it lasts only while the node is in
  maintenance mode: ended early, it is gone.
- The next scheduled update runs within the lookahead (R4, R11): from the run's
  begin, 1 h before the update start (a cluster node leaves load balancing
  then), to the update start plus the update duration. The start is the
  node's wall clock in its time zone, resolved as the node resolves it on a
  DST day (R3, ``lifecycle.resolve_local``); the hour before and the duration
  after are real time.

Nothing is planned for what a failure made: a maintenance only admin maint
may end (R7), a schedule switched off by a failed download (R6), and no
update window while a node of the cluster holds the update lock (R9: no
scheduled update runs then). A node whose plan cannot be a downtime (a
window that ends before it starts) gets none at all, and says why.
"""

from datetime import time, timedelta, timezone

from ..state.lifecycle import RUN_LEAD, parse_clock, resolve_local
from ..state.model import WEEKDAYS, record

MAINTENANCE, UPDATE = "maintenance", "update"
KIND_WORDS = {MAINTENANCE: "planned maintenance", UPDATE: "scheduled update"}

Window = record("Window", "node kind start end reason")
# zone: every node's time zone, or None: each node's own (``zones``, by node
# name), else the UTC offset of its state - exact but for a DST change ahead.
PlanSettings = record("PlanSettings", "lookahead update_duration maintenance_duration zone zones",
                      (None, None))
# windows: sorted by node, then start; refused: {node: why it gets no window}
Plan = record("Plan", "windows refused")


def zone_of(state, settings):
    return ((settings.zones or {}).get(state.node.name) or settings.zone
            or timezone(state.generated.utcoffset() or timedelta(0)))


def plan(states, now, settings):
    """The windows of every node; a node with a window that ends before it starts
    is refused as a whole (its other windows would be a guess)."""
    locked_clusters = {s.node.cluster for s in states
                       if s.node.cluster and s.flags.update_lock.is_set}
    windows, refused = [], {}
    for state in states:
        mine = list(maintenance_windows(state, now, settings))
        halted = state.flags.update_lock.is_set or state.node.cluster in locked_clusters
        if not halted:
            mine.extend(update_windows(state, now, zone_of(state, settings), settings))
        backwards = [w for w in mine if w.end <= w.start]
        if backwards:
            refused[state.node.name] = "its %s ends (%s) before it starts (%s)" % (
                KIND_WORDS[backwards[0].kind], backwards[0].end.isoformat(),
                backwards[0].start.isoformat())
        else:
            windows.extend(mine)
    return Plan(tuple(sorted(windows, key=lambda w: (w.node, w.start, w.kind))), refused)


def maintenance_windows(state, now, settings):
    maintenance = state.maintenance
    planned = maintenance.planned
    if planned is None:
        return ()
    end = planned.end or planned.start + settings.maintenance_duration
    if end <= planned.start < now:
        return ()   # nonsense, but over: nothing to hold
    if end <= now < planned.start:
        return (Window(state.node.name, MAINTENANCE, planned.start, end, planned.reason),)
    if end <= now:
        return ()
    if planned.start <= now and (not maintenance.active or maintenance.only_maint_may_end):
        return ()   # ended early, or the maintenance now is a failure's (R7): it pages
    return (Window(state.node.name, MAINTENANCE, planned.start, end, planned.reason),)


def update_windows(state, now, zone, settings):
    schedule = state.schedule
    update = schedule.update
    if not update.active or schedule.disabled_by_failure is not None:
        return ()
    clock = time(*parse_clock(update.start))
    weekday = WEEKDAYS.index(update.weekday)
    horizon = now + settings.lookahead
    first = (now - settings.update_duration - RUN_LEAD).astimezone(zone).date() - timedelta(1)
    last = (horizon + RUN_LEAD).astimezone(zone).date() + timedelta(1)
    windows = []
    day = first
    while day <= last:
        if day.weekday() == weekday:
            # real instants: arithmetic on a zone's wall clock would ignore a DST change
            start = resolve_local(day, clock, zone).astimezone(timezone.utc)
            begin, end = start - RUN_LEAD, start + settings.update_duration
            if end > now and begin <= horizon:
                windows.append(Window(state.node.name, UPDATE, begin, end, None))
        day += timedelta(days=1)
    return tuple(windows)

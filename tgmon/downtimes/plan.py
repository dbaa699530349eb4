"""The planned windows of each node: a pure function of its state and the clock.

- A maintenance admin maint planned (R14): its start to its end (a default
  length when it has none). Once begun it lasts only while the node is in
  maintenance mode: ended early, it is gone.
- The next scheduled update runs within the lookahead (R4, R11): from the run's
  begin, 1 h before the update start (a cluster node leaves load balancing
  then), to the update start plus the update duration.

Nothing is planned for what a failure made: a maintenance only admin maint
may end (R7), a schedule switched off by a failed download (R6), and no
update window while a node of the cluster holds the update lock (R9: no
scheduled update runs then).
"""

from datetime import datetime, timedelta, timezone

from ..lifecycle import RUN_LEAD, parse_clock
from ..model import WEEKDAYS, record

MAINTENANCE, UPDATE = "maintenance", "update"
KIND_WORDS = {MAINTENANCE: "planned maintenance", UPDATE: "scheduled update"}

Window = record("Window", "node kind start end reason")
PlanSettings = record("PlanSettings", "lookahead update_duration maintenance_duration zone",
                      (None,))


def plan(states, now, settings):
    """Every window of every node, sorted by node, then start."""
    locked_clusters = {s.node.cluster for s in states
                       if s.node.cluster and s.flags.update_lock.is_set}
    windows = []
    for state in states:
        zone = settings.zone or timezone(state.generated.utcoffset() or timedelta(0))
        windows.extend(maintenance_windows(state, now, settings))
        halted = state.flags.update_lock.is_set or state.node.cluster in locked_clusters
        if not halted:
            windows.extend(update_windows(state, now, zone, settings))
    return tuple(sorted(windows, key=lambda w: (w.node, w.start, w.kind)))


def maintenance_windows(state, now, settings):
    maintenance = state.maintenance
    planned = maintenance.planned
    if planned is None:
        return ()
    end = planned.end or planned.start + settings.maintenance_duration
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
    hours, minutes = parse_clock(update.start)
    weekday = WEEKDAYS.index(update.weekday)
    horizon = now + settings.lookahead
    first = (now - settings.update_duration - RUN_LEAD).astimezone(zone).date()
    last = (horizon + RUN_LEAD).astimezone(zone).date()
    windows = []
    day = first
    while day <= last:
        if day.weekday() == weekday:
            # in UTC: arithmetic on a zone's wall clock would ignore a DST change
            start = datetime(day.year, day.month, day.day, hours, minutes,
                             tzinfo=zone).astimezone(timezone.utc)
            begin, end = start - RUN_LEAD, start + settings.update_duration
            if end > now and begin <= horizon:
                windows.append(Window(state.node.name, UPDATE, begin, end, None))
        day += timedelta(days=1)
    return tuple(windows)

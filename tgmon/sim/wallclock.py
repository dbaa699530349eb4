"""Weekday + HH:MM in the appliance's local time -> instants (R3, R16).

A scheduled time that does not exist on a spring-forward day runs at the
first valid minute after it; one that occurs twice on a fall-back day runs
once, at its first occurrence.
"""

from datetime import datetime, time, timedelta

from ..lifecycle import parse_clock
from ..model import WEEKDAYS
from ..timeutil import UTC


def resolve_local(day, clock, zone):
    """Local date + wall-clock time -> aware instant, per R3's DST rules."""
    naive = datetime.combine(day, clock)
    candidate = naive.replace(tzinfo=zone, fold=0)
    if _wall(candidate, zone) == naive:
        return candidate.astimezone(zone)
    # Does not exist (spring forward): walk to the first valid minute after it.
    probe = naive
    for _ in range(24 * 60):
        probe += timedelta(minutes=1)
        candidate = probe.replace(tzinfo=zone, fold=0)
        if _wall(candidate, zone) == probe:
            return candidate.astimezone(zone)
    raise ValueError("no valid local time after %s" % naive)


def _wall(aware, zone):
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)


def next_weekly(after, weekday, clock_text, zone):
    """First instant (UTC) strictly after ``after`` at local ``weekday`` ``clock_text``."""
    clock = time(*parse_clock(clock_text))
    target = WEEKDAYS.index(weekday)
    local = after.astimezone(zone)
    day = local.date()
    for offset in range(0, 15):
        candidate_day = day + timedelta(days=offset)
        if candidate_day.weekday() != target:
            continue
        instant = resolve_local(candidate_day, clock, zone).astimezone(UTC)
        if instant > after:
            return instant
    raise AssertionError("unreachable: a weekday recurs within 15 days")


def next_daily(after, clock_text, zone):
    clock = time(*parse_clock(clock_text))
    day = after.astimezone(zone).date()
    for offset in range(0, 3):
        instant = resolve_local(day + timedelta(days=offset), clock, zone).astimezone(UTC)
        if instant > after:
            return instant
    raise AssertionError("unreachable")

"""Weekday + HH:MM in the appliance's local time -> instants (R3, R16), by the
lifecycle's one rule for DST days (``resolve_local``).
"""

from datetime import time, timedelta

from ..state.lifecycle import parse_clock, resolve_local
from ..state.model import WEEKDAYS
from ..timeutil import UTC


def next_weekly(after, weekday, clock_text, zone):
    """First instant (UTC) strictly after ``after`` at local ``weekday`` ``clock_text``."""
    clock = time(*parse_clock(clock_text))
    target = WEEKDAYS.index(weekday)
    local = after.astimezone(zone)
    day = local.date()
    for offset in range(15):
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
    for offset in range(3):
        instant = resolve_local(day + timedelta(days=offset), clock, zone).astimezone(UTC)
        if instant > after:
            return instant
    raise AssertionError("unreachable")

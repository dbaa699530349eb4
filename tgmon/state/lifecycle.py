"""The appliance's update lifecycle in numbers: one home for its timings and counts.

The checks judge against these and the simulator acts by them, so what the
checks expect and what the simulator does cannot drift apart. The rules
behind the ids are in docs/rules.rst.
"""

import re
from datetime import datetime, timedelta

from .model import WEEKDAYS, shift_times
from ..timeutil import UTC

# R4, R11: a scheduled update run begins 1 h before its update start. Then the
# download starts if no scheduled download has fetched the files (R4), and a
# cluster node leaves load balancing (R11).
RUN_LEAD = timedelta(hours=1)

# R14: users are shown a planned maintenance's reason from 2 h before its start.
NOTICE_LEAD = timedelta(hours=2)

# R5: a download round makes at most this many attempts.
ATTEMPTS_PER_ROUND = 10

# R3: the scheduled download should start before the update start: below the
# minimum the files may not be complete in time (a check warns); the vendor's
# German manual of 2025 recommends 2 h (less is a note, not an alert).
MINIMUM_DOWNLOAD_LEAD = timedelta(hours=1)
RECOMMENDED_DOWNLOAD_LEAD = timedelta(hours=2)

# R17: a node this many releases behind must catch up from oldstable.
OLDSTABLE_GAP = 2

# Not a rule but an assumption of the cluster check and the downtimes: how long
# an update runs after its start (installation and, with a kernel, the reboot).
UPDATE_DURATION = timedelta(hours=1)

# Not a rule either: how long a planned maintenance lasts when admin maint gave
# no end (the downtimes' assumption).
MAINTENANCE_DURATION = timedelta(hours=2)

# The simulator's assumptions about how long things take on a real node.
ATTEMPT_TIMEOUT = timedelta(minutes=2)       # a failed download attempt gives up
DOWNLOAD_RELEASE = timedelta(minutes=20)
DOWNLOAD_HOTFIXES = timedelta(minutes=2)
INSTALL_RELEASE = timedelta(minutes=30)
INSTALL_HOTFIXES = timedelta(minutes=5)
REBOOT = timedelta(minutes=5)
SERVER_POLL_CLOCK = "05:00"   # the node asks the update server daily (hotfixes, R15)

DAY_SECONDS = 86400
WEEK_SECONDS = 7 * DAY_SECONDS

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# the longest a zone's clock has ever jumped forward is one day: two bound the search
MAX_SKIPPED_MINUTES = 2 * 24 * 60


def parse_clock(text):
    """'HH:MM' (a setting's start or end time) -> (hours, minutes); ValueError otherwise."""
    match = _CLOCK.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError("%r is not a time of day HH:MM (e.g. 03:00)" % (text,))
    return int(match.group(1)), int(match.group(2))


def resolve_local(day, clock, zone):
    """Local date + wall-clock time -> aware instant (R3): a time that does not exist on
    a spring-forward day runs at the first valid minute after it; one that occurs twice
    on a fall-back day runs once, at its first occurrence (as cron does). The simulator
    and the downtimes' planner both resolve a scheduled time here. A zone may skip a
    whole day (Pacific/Apia, 2011-12-30): the search goes on into the next one."""
    naive = datetime.combine(day, clock)
    probe = naive
    for _ in range(MAX_SKIPPED_MINUTES + 1):
        candidate = probe.replace(tzinfo=zone, fold=0)
        if _wall(candidate, zone) == probe:
            return candidate.astimezone(zone)
        probe += timedelta(minutes=1)
    raise ValueError("no valid local time after %s" % naive)


def _wall(aware, zone):
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)


def week_seconds(weekday, clock):
    """Seconds from Monday 00:00 to ``weekday`` at ``clock`` ('HH:MM')."""
    hours, minutes = parse_clock(clock)
    return WEEKDAYS.index(weekday) * DAY_SECONDS + hours * 3600 + minutes * 60


def download_lead(download, update):
    """Seconds from the scheduled download's start to the next update start (0 .. 1 week)."""
    return (week_seconds(update.weekday, update.start)
            - week_seconds(download.weekday, download.start)) % WEEK_SECONDS


def download_length(download):
    """Seconds from the scheduled download's start to its end time (same or next day)."""
    return (week_seconds(download.weekday, download.end)
            - week_seconds(download.weekday, download.start)) % DAY_SECONDS


def shift_weekly(weekday, clock, seconds):
    """The weekly instant (weekday, 'HH:MM') moved by ``seconds``, to the minute."""
    total = (week_seconds(weekday, clock) + round(seconds / 60) * 60) % WEEK_SECONDS
    return WEEKDAYS[total // DAY_SECONDS], _clock(total)


def _clock(seconds):
    return "%02d:%02d" % (seconds % DAY_SECONDS // 3600, seconds % 3600 // 60)


def shift_state(state, delta):
    """The state as if it happened ``delta`` later: every time, and the weekly schedule
    with it, so that a run that began at its scheduled time still did (tgmon refresh,
    tgmon-sim run --as-of-now)."""
    seconds = delta.total_seconds()
    schedule = state.schedule._replace(download=_shifted(state.schedule.download, seconds),
                                       update=_shifted(state.schedule.update, seconds))
    return shift_times(state._replace(schedule=schedule), delta)


def moved_to_now(state, instant, now):
    """A simulated state of ``instant`` as if ``instant`` were ``now`` (tgmon-sim run
    --as-of-now, tgmon-sim serve): moved by whole minutes, so that the weekly schedule,
    kept to the minute, moves exactly as far as the times do; never past ``now``."""
    minutes = (now - instant).total_seconds() // 60
    return shift_state(state, timedelta(minutes=minutes))


def _shifted(setting, seconds):
    """A scheduled download/update setting moved; one without a time stays as it is."""
    if not isinstance(setting.weekday, str) or not isinstance(setting.start, str):
        return setting
    weekday, start = shift_weekly(setting.weekday, setting.start, seconds)
    moved = setting._replace(weekday=weekday, start=start)
    if isinstance(getattr(setting, "end", None), str):
        moved = moved._replace(end=shift_weekly(setting.weekday, setting.end, seconds)[1])
    return moved

"""Timestamps and durations: parsing, ages and how they read in an alert."""

import re
from datetime import datetime, timedelta, timezone

UTC = timezone.utc

_DURATION = re.compile(r"^\s*(\d{1,12}(?:\.\d{1,9})?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_DURATION_DAYS = 3650   # ten years: beyond that a limit means "never"

DURATION_HELP = "seconds, or a number with s/m/h/d suffix (90, 15m, 24h, 7d)"


def parse_duration(text, what=None):
    """'90' / '90s' / '15m' / '24h' / '7d' -> seconds (float), at most ten years.

    ValueError otherwise: its message begins with ``what``, else it quotes what
    was given (only for text from a scenario, never from a file given as option).
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
        if not 0 <= seconds <= MAX_DURATION_DAYS * 86400:
            raise ValueError("a duration must lie between 0 and %dd" % MAX_DURATION_DAYS)
        return seconds
    match = _DURATION.match(str(text)[:100])
    if not match:
        raise ValueError("%s is not a duration (e.g. 90, 15m, 24h, 7d)"
                         % (what or repr(str(text)[:40])))
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds > MAX_DURATION_DAYS * 86400:
        raise ValueError("%s is more than %dd (ten years)"
                         % (what or repr(str(text)[:40]), MAX_DURATION_DAYS))
    return seconds


def parse_timestamp(text, what=None):
    """ISO-8601 with a UTC offset -> aware datetime. ValueError says what is off, of
    ``what`` or else of the text quoted."""
    if not isinstance(text, str):
        raise ValueError("expected an ISO-8601 timestamp string, got %s"
                         % type(text).__name__)
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        stamp = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError("%s is not an ISO-8601 timestamp (expected e.g. "
                         "2026-11-22T03:00:00+01:00)" % (what or repr(text))) from None
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError("%s has no UTC offset; every timestamp must carry one "
                         "(e.g. +01:00)" % (what or repr(text)))
    return stamp


def format_timestamp(stamp):
    """Aware datetime -> ISO-8601 with offset, to the second (the file format)."""
    return stamp.replace(microsecond=0).isoformat()


def format_duration(seconds):
    """Seconds -> '2d 3h', '45m', '12s': the largest unit and the next one."""
    seconds = int(round(max(0, seconds)))
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    for index, (unit, size) in enumerate(units):
        if seconds >= size or unit == "s":
            text = "%d%s" % (seconds // size, unit)
            if index + 1 < len(units):
                next_unit, next_size = units[index + 1]
                rest = (seconds % size) // next_size
                if rest:
                    text += " %d%s" % (rest, next_unit)
            return text


def age_seconds(stamp, now):
    return (now - stamp).total_seconds()


def node_clock(stamp, now):
    """``stamp`` on the node's wall clock: in the offset of ``now``, which the runtime
    sets to that of ``generated``. Every time of a node reads in this one offset -
    markers (file times, UTC) and status.json's fields (each with the offset of its
    moment) alike - so one event never shows two different clock times."""
    return stamp.astimezone(now.tzinfo)


def describe_since(stamp, now):
    """'2026-11-20 03:00 +01:00 (2d 1h ago)': on the node's clock (``node_clock``)."""
    stamp = node_clock(stamp, now)
    text = stamp.strftime("%Y-%m-%d %H:%M ") + offset_text(stamp)
    age = age_seconds(stamp, now)
    if age >= 0:
        return "%s (%s ago)" % (text, format_duration(age))
    return "%s (in %s)" % (text, format_duration(-age))


WEEKDAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def short_time(stamp, now):
    """What an alert line shows, on the node's clock (``node_clock``): 'today 03:20';
    within six days 'last Tue 03:20' or 'next Tue 03:20' (a bare 'Tue' could be either
    Tuesday); further away the date, '2026-11-02'."""
    stamp = node_clock(stamp, now)
    days = (stamp.date() - now.date()).days
    clock = stamp.strftime("%H:%M")
    if days == 0:
        return "today " + clock
    if abs(age_seconds(stamp, now)) < 6 * 86400:
        return "%s %s %s" % ("next" if days > 0 else "last",
                             WEEKDAY_ABBREVIATIONS[stamp.weekday()], clock)
    return stamp.strftime("%Y-%m-%d")


def offset_text(stamp):
    offset = stamp.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return "%s%02d:%02d" % (sign, minutes // 60, minutes % 60)


def utcnow():
    return datetime.now(UTC)


APPLIANCE_ZONE = "Europe/Berlin"


def local_zone(name=APPLIANCE_ZONE):
    """The appliance's zone (for examples, demo and simulator; never on a check's path)."""
    from zoneinfo import ZoneInfo
    return ZoneInfo(name)

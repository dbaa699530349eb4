from datetime import datetime, timedelta, timezone

import pytest

from tgmon.timeutil import (describe_since, format_duration, parse_duration, parse_timestamp,
                            short_time)


@pytest.mark.parametrize("text, seconds", [
    ("0", 0), ("90", 90), ("90s", 90), ("15m", 900), ("24h", 86400), ("7d", 604800),
    ("1.5h", 5400), (" 2D ", 172800), (30, 30),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "-5", "5w", "1e3", "5 m x", "nan"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("seconds, text", [
    (0, "0s"), (59, "59s"), (61, "1m 1s"), (3600, "1h"), (3661, "1h 1m"),
    (86400, "1d"), (86430, "1d"), (90061, "1d 1h"), (-5, "0s"),
])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_timestamp_needs_offset():
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_timestamp("2026-11-22T03:00:00")
    assert parse_timestamp("2026-11-22T03:00:00Z").utcoffset() == timedelta(0)
    assert parse_timestamp("2026-11-22T03:00:00+01:00").utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01T00:00:00+00:00",
                                  "2026-02-30T00:00:00+00:00", ""])
def test_timestamp_rejects_garbage(text):
    with pytest.raises(ValueError, match="not an ISO-8601"):
        parse_timestamp(text)


def test_describe_since_uses_the_zone_of_now():
    cet = timezone(timedelta(hours=1))
    now = datetime(2026, 11, 22, 6, 0, tzinfo=cet)
    stamp = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
    assert describe_since(stamp, now) == "2026-11-20 03:00 +01:00 (2d 3h ago)"
    assert describe_since(now + timedelta(hours=2), now) == "2026-11-22 08:00 +01:00 (in 2h)"
    summer = datetime(2026, 10, 20, 3, 0, tzinfo=timezone(timedelta(hours=2)))
    # on the node's clock now: one offset for every time of a node (was: its own offset)
    assert describe_since(summer, now).startswith("2026-10-20 02:00 +01:00")


CET = timezone(timedelta(hours=1))
SUNDAY_0600 = datetime(2026, 11, 15, 6, 0, tzinfo=CET)


@pytest.mark.parametrize("stamp, text", [
    (SUNDAY_0600, "today 06:00"),
    (datetime(2026, 11, 15, 0, 0, tzinfo=CET), "today 00:00"),
    (datetime(2026, 11, 15, 23, 59, tzinfo=CET), "today 23:59"),
    (datetime(2026, 11, 14, 23, 59, tzinfo=CET), "last Sat 23:59"),
    (datetime(2026, 11, 11, 3, 0, tzinfo=CET), "last Wed 03:00"),      # 4 days ago
    (datetime(2026, 11, 18, 3, 0, tzinfo=CET), "next Wed 03:00"),      # in 3 days
    (datetime(2026, 11, 9, 6, 1, tzinfo=CET), "last Mon 06:01"),       # 5d 23h 59m ago
    (datetime(2026, 11, 9, 6, 0, tzinfo=CET), "2026-11-09"),           # six days: a date
    (datetime(2026, 11, 21, 6, 0, tzinfo=CET), "2026-11-21"),
    (datetime(2026, 11, 15, 4, 30, tzinfo=timezone.utc), "today 05:30"),   # a file time
    (datetime(2026, 11, 15, 7, 0, tzinfo=timezone(timedelta(hours=2))), "today 06:00"),
])
def test_short_time_says_which_weekday(stamp, text):
    """'Wed' alone could be last or next Wednesday: today, last or next, else a date."""
    assert short_time(stamp, SUNDAY_0600) == text


def test_one_event_reads_the_same_in_a_field_and_a_marker():
    """A field keeps the offset of its moment (summer), a marker's file time is UTC: both
    read on the node's clock now (winter)."""
    now = datetime(2026, 10, 26, 9, 0, tzinfo=CET)                  # Monday after fall-back
    field = datetime(2026, 10, 25, 1, 32, tzinfo=timezone(timedelta(hours=2)))   # CEST
    marker = field.astimezone(timezone.utc)
    assert short_time(field, now) == short_time(marker, now) == "last Sun 00:32"
    assert describe_since(field, now) == describe_since(marker, now)


@pytest.mark.parametrize("weekday, clock, seconds, expected", [
    ("tuesday", "03:00", 0, ("tuesday", "03:00")),
    ("tuesday", "03:00", 90 * 60, ("tuesday", "04:30")),
    ("sunday", "23:30", 3600, ("monday", "00:30")),            # across the week's end
    ("monday", "00:10", -20 * 60, ("sunday", "23:50")),
    ("tuesday", "03:00", 7 * 86400 + 29, ("tuesday", "03:00")),  # a week and 29 s: the minute
    ("tuesday", "03:00", 6 * 86400 + 31, ("monday", "03:01")),
])
def test_shift_weekly(weekday, clock, seconds, expected):
    from tgmon.state.lifecycle import shift_weekly
    assert shift_weekly(weekday, clock, seconds) == expected


def test_shift_state_moves_the_schedule_with_the_times():
    """A state moved in time keeps its last run at the scheduled time (tgmon refresh)."""
    from datetime import timedelta
    from tgmon.state import examples
    from tgmon.state.lifecycle import shift_state
    state = examples.healthy_single(examples.EXAMPLE_INSTANT)
    moved = shift_state(state, timedelta(days=2, hours=5, minutes=7))
    run_start = moved.last_update_run.start
    assert run_start == state.last_update_run.start + timedelta(days=2, hours=5, minutes=7)
    update = moved.schedule.update
    assert (update.weekday, update.start) == (
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
         "sunday")[run_start.weekday()], run_start.strftime("%H:%M"))
    download = moved.schedule.download
    assert (download.weekday, download.start, download.end) == ("thursday", "06:37", "07:52")

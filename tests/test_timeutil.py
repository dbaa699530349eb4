from datetime import datetime, timedelta, timezone

import pytest

from tgmon.timeutil import describe_since, format_duration, parse_duration, parse_timestamp


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
    assert describe_since(summer, now).startswith("2026-10-20 03:00 +02:00")  # keeps its offset


@pytest.mark.parametrize("weekday, clock, seconds, expected", [
    ("tuesday", "03:00", 0, ("tuesday", "03:00")),
    ("tuesday", "03:00", 90 * 60, ("tuesday", "04:30")),
    ("sunday", "23:30", 3600, ("monday", "00:30")),            # across the week's end
    ("monday", "00:10", -20 * 60, ("sunday", "23:50")),
    ("tuesday", "03:00", 7 * 86400 + 29, ("tuesday", "03:00")),  # a week and 29 s: the minute
    ("tuesday", "03:00", 6 * 86400 + 31, ("monday", "03:01")),
])
def test_shift_weekly(weekday, clock, seconds, expected):
    from tgmon.lifecycle import shift_weekly
    assert shift_weekly(weekday, clock, seconds) == expected


def test_shift_state_moves_the_schedule_with_the_times():
    """A state moved in time keeps its last run at the scheduled time (tgmon refresh)."""
    from datetime import timedelta
    from tgmon import examples
    from tgmon.lifecycle import shift_state
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

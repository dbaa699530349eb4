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

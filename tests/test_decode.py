"""The one decoder's parts, table by table: marker files' times and lines, the
remote form's flags, and its refusals naming the field and the fix."""

from datetime import datetime, timezone

import pytest

from tgmon.errors import SourceError
from tgmon.sources.decode import decode_state, file_time, marker_lines, remote_flags
from tgmon.state.fields import MAX_MARKER_LINE, MAX_MARKER_LINES, SchemaError
from tgmon.state.model import MARKER_UNSET

UTC = timezone.utc

# (id, mtime, what the state holds as the marker's since)
TIME_CASES = [
    ("fraction_cut_to_the_second", 1763182800.987654, datetime(2025, 11, 15, 5, 0, tzinfo=UTC)),
    ("epoch", 0, datetime(1970, 1, 1, tzinfo=UTC)),
    ("before_1970", -86400, None),
    ("ext4_clamp_2446", 15032385535, None),
    ("after_2200", datetime(2201, 1, 1, tzinfo=UTC).timestamp(), None),
    ("beyond_the_calendar", 2 ** 40, None),
    ("nan_like_huge", 1e300, None),
]


@pytest.mark.parametrize("name, mtime, since", TIME_CASES, ids=[c[0] for c in TIME_CASES])
def test_file_time(name, mtime, since):
    assert file_time(mtime) == since


# (id, a marker file's bytes, its lines in the state)
LINE_CASES = [
    ("empty", b"", ()),
    ("blank_and_padded", b"\n  \n  one  \n\n\ttwo\t\r\n", ("one", "two")),
    ("not_utf8", b"ok \xff\xfe", ("ok \ufffd\ufffd",)),
    ("unicode_line_breaks", "a\u2028b\x1cc\x85d".encode(), ("a", "b", "c", "d")),
    ("long_line_cut", b"x" * 1000, ("x" * MAX_MARKER_LINE,)),
    ("many_lines_cut", b"p\n" * 5000, ("p",) * MAX_MARKER_LINES),
]


@pytest.mark.parametrize("name, data, lines", LINE_CASES, ids=[c[0] for c in LINE_CASES])
def test_marker_lines(name, data, lines):
    assert marker_lines(data) == lines


def flags(**markers):
    unset = {"set": False, "since": None, "lines": []}
    return {"flags": dict(dict.fromkeys(("warn_flag", "update_lock", "reboot_required"), unset),
                          **markers)}


# (id, the remote form's flags, the update lock read from it, or the SchemaError's text)
REMOTE_CASES = [
    ("unset", flags(), MARKER_UNSET),
    ("set_lines_as_from_a_file", flags(update_lock={
        "set": True, "since": "2026-11-17T03:30:00+01:00", "lines": ["  why ", "", "then"]}),
     ("2026-11-17T02:30:00+00:00", ("why", "then"))),
    ("unknown_age", flags(update_lock={"set": True, "since": None}), (None, ())),
    ("lines_over_the_limit", flags(update_lock={"set": True, "lines": ["x"] * 51}),
     "flags.update_lock.lines: has 51 items, over the limit 50"),
    ("line_too_long", flags(update_lock={"set": True, "lines": ["x" * 201]}),
     "flags.update_lock.lines[0]: is 201 characters, over the limit 200"),
    ("line_not_text", flags(update_lock={"set": True, "lines": [7]}),
     "flags.update_lock.lines[0]: expected a string, got a number"),
    ("since_after_2200", flags(update_lock={"set": True, "since": "2446-05-10T22:38:55+00:00"}),
     "flags.update_lock.since: 2446-05-10 lies outside the years 1970-2200"),
    ("no_flags", {}, "flags: required field is missing"),
]


@pytest.mark.parametrize("name, document, expected", REMOTE_CASES,
                         ids=[c[0] for c in REMOTE_CASES])
def test_remote_flags(name, document, expected):
    if isinstance(expected, str):
        with pytest.raises(SchemaError) as caught:
            remote_flags(document)
        assert str(caught.value) == expected
        return
    lock = remote_flags(document).update_lock
    if expected is MARKER_UNSET:
        assert lock == MARKER_UNSET
    else:
        since, lines = expected
        assert lock.is_set and lock.lines == lines
        assert lock.since == (datetime.fromisoformat(since) if since else None)


# (id, bytes, the cause's end, the fix)
REFUSAL_CASES = [
    (b"{", "is not valid JSON (expecting property name enclosed in double quotes at line 1 "
     "column 2)", "restore it from the writer"),
    (b'{"schema": "tgmon/1", "flags": 1}', "tg1: flags: expected an object, got a number",
     "point the URL at a tgmon exporter"),
    (b'{"schema": "tgmon/1", "flags": {}}', "tg1: flags.warn_flag: required field is missing",
     "point the URL at a tgmon exporter"),
    (b'{"schema": "tgmon/2", "flags": 1}', "tg1: schema: major version 2 is not supported by "
     "this tgmon (reads 'tgmon/1'); upgrade tgmon or the writer to matching versions",
     "fix the writer"),
]


@pytest.mark.parametrize("data, cause, fix", REFUSAL_CASES, ids=["json", "flags_type",
                                                                  "flag_missing", "major_first"])
def test_remote_refusals_name_cause_and_fix(data, cause, fix):
    with pytest.raises(SourceError) as caught:
        decode_state(data, "tg1", "tg1")
    assert caught.value.cause.endswith(cause) and caught.value.fix == fix, caught.value

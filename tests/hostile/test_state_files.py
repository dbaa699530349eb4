"""Hostile state files: status.json and the markers, read by the installed plugin.

Classes (issue 10): 1 nothing blocks, 2 bounded parsing, 3 no false OK from
time, 5 safe output, 6 every error names its cause.
"""

import json
import os
import socket
import time

import pytest

from tgmon.state import examples
from tgmon.render.nagios import ILLEGAL_MACRO_CHARS, NAGIOS_REWRITES

from .common import document, now, sparse, spoiled, state_dir, status_dir
from .harness import assert_clean, assert_unknown_line, run_plugin

# the corpus runs every case as a real process: make test, not test-quick
pytestmark = pytest.mark.slow

TIMEOUT = 2
NESTED = "[" * 200000 + "]" * 200000


def status(content):
    return lambda tmp, stack: ["--state-dir", str(status_dir(tmp, content))]


def doc(**changes):
    return status(document(**changes))


def text_doc(replace, by):
    return lambda tmp, stack: ["--state-dir", str(status_dir(
        tmp, json.dumps(document()).replace(replace, by)))]


def marker(kind, name="update-lock"):
    def setup(tmp, stack):
        path = state_dir(tmp)
        target = path / name
        if kind == "directory":
            target.mkdir()
        elif kind == "dangling":
            os.symlink(path / "gone", target)
        elif kind == "loop":
            os.symlink(target, target)
        elif kind == "fifo":
            os.mkfifo(target)
        elif kind == "huge":
            sparse(target, 10 * 1024 * 1024)
        elif kind == "device":
            os.symlink("/dev/zero", target)
        elif kind == "socket":
            sock = socket.socket(socket.AF_UNIX)
            sock.bind(str(target))
            stack.append(sock.close)
        return ["--state-dir", str(path)]
    return setup


def layout(kind):
    def setup(tmp, stack):
        if kind == "missing":
            return ["--state-dir", str(tmp / "nope")]
        if kind == "empty":
            (tmp / "empty").mkdir()
            return ["--state-dir", str(tmp / "empty")]
        if kind == "file":
            (tmp / "file").write_text("x")
            return ["--state-dir", str(tmp / "file")]
        if kind == "fifo":
            os.mkfifo(tmp / "fifo")
            return ["--state-dir", str(tmp / "fifo")]
        if kind == "through_file":
            (tmp / "file").write_text("x")
            return ["--state-dir", str(tmp / "file" / "state")]
        path = state_dir(tmp)
        status_path = path / "status.json"
        os.unlink(status_path)
        if kind == "status_dir":
            status_path.mkdir()
        elif kind == "status_loop":
            os.symlink(status_path, status_path)
        elif kind == "status_dangling":
            os.symlink(path / "gone.json", status_path)
        elif kind == "status_fifo":
            os.mkfifo(status_path)
        elif kind == "status_device":
            os.symlink("/dev/zero", status_path)
        elif kind == "status_huge":
            sparse(status_path, 50 * 1024 * 1024)
        return ["--state-dir", str(path)]
    return setup


def old_document():
    from tgmon.state.schema import to_document
    return to_document(examples.build("healthy-single", examples.EXAMPLE_INSTANT.replace(
        year=2020, month=1, day=1)))


def future_stamp(years=70):
    return (now().replace(year=now().year + years)).isoformat()


# (id, classes, setup, cause)
UNKNOWN_CASES = [
    # what status.json holds
    ("empty", "6", status(b""), "is empty"),
    ("whitespace", "6", status(b" \n\t"), "is empty"),
    ("truncated", "6", status(json.dumps(document())[:-30]), "is not valid JSON"),
    ("binary", "6", status(bytes(range(256)) * 4), "is not UTF-8 text"),
    ("utf16", "6", status(json.dumps(document()).encode("utf-16")), "is not UTF-8 text"),
    ("bad_utf8_inside", "6", status(json.dumps(document()).encode().replace(
        b"tg-single", b"tg-\xff\xfesingle")), "is not UTF-8 text"),
    ("bom", "6", status(b"\xef\xbb\xbf" + json.dumps(document()).encode()), "is not valid JSON"),
    ("deeply_nested", "2", status(NESTED), "nested too deeply: more than 1000 levels"),
    ("top_list", "6", status("[]"), "expected a JSON object at the top, got a list"),
    ("top_string", "6", status('"tgmon"'), "expected a JSON object at the top, got a string"),
    ("top_number", "6", status("42"), "expected a JSON object at the top, got a number"),
    ("top_null", "6", status("null"), "expected a JSON object at the top, got null"),
    ("nan", "2", text_doc('"active_sessions": 17', '"active_sessions": NaN'),
     "NaN is not a JSON value"),
    ("infinity", "2", text_doc('"active_sessions": 17', '"active_sessions": -Infinity'),
     "-Infinity is not a JSON value"),
    ("float_overflow", "2", text_doc('"active_sessions": 17', '"active_sessions": 1e999'),
     "active_sessions: expected an integer, got a number"),
    ("int_5000_digits", "2", text_doc('"active_sessions": 17', '"active_sessions": ' + "7" * 5000),
     "a number has more than 4300 digits"),
    ("int_4000_digits", "2", text_doc('"active_sessions": 17', '"active_sessions": ' + "7" * 4000),
     "active_sessions: must be at most 1000000, got 4000 digits"),
    ("sessions_negative", "6", doc(active_sessions=-3), "must be at least 0, got -3"),
    ("sessions_float", "6", doc(active_sessions=1.5), "expected an integer, got a number"),
    ("sessions_bool", "6", doc(active_sessions=True), "expected an integer, got boolean"),
    ("parallel_huge", "2", doc(name="healthy-cluster-node", cluster__max_parallel_updates=10 ** 30),
     "cluster.max_parallel_updates: must be at most 1000, got 31 digits"),
    ("name_10k_chars", "2", doc(node__name="n" * 10000),
     "node.name: is 10000 characters, over the limit 128"),
    ("message_5k_chars", "2", doc(last_update_run__message="m" * 5000),
     "last_update_run.message: is 5000 characters, over the limit 1000"),
    ("releases_5000", "2", doc(releases__available=[
        {"version": "4.%d" % i, "released": "2026-01-01T00:00:00+01:00"} for i in range(5000)]),
     "releases.available: has 5000 items, over the limit 1000"),
    ("hotfixes_2000", "2", doc(hotfixes__available=[
        {"id": "HF-%d" % i, "title": "t", "released": "2026-01-01T00:00:00+01:00"}
        for i in range(2000)]), "hotfixes.available: has 2000 items, over the limit 1000"),
    ("version_long", "2", doc(releases__installed="4." + "1" * 100),
     "releases.installed: is 102 characters, over the limit 32"),
    ("version_garbage", "6", doc(releases__installed="latest"),
     "releases.installed: expected e.g. 4.11, got 'latest'"),
    ("stamp_long", "2", doc(generated="2026-11-15T06:00:00+01:00" + " " * 100),
     "generated: is 125 characters, over the limit 64"),
    # dates at the edges of the calendar, and times that cannot be true
    ("year_0001_east", "2", doc(generated="0001-01-01T00:00:00+14:00"),
     "generated: beyond the calendar"),
    ("year_9999_west", "2", doc(generated="9999-12-31T23:59:59-14:00"),
     "generated: beyond the calendar"),
    ("year_1900", "2", doc(releases__installed_at="1900-01-01T00:00:00+00:00"),
     "releases.installed_at: 1900-01-01 lies outside the years 1970-2200"),
    ("year_0000", "6", doc(generated="0000-01-01T00:00:00+00:00"), "is not an ISO-8601 timestamp"),
    ("generated_2099", "3", doc(generated="2099-01-01T00:00:00+01:00"),
     "was generated in 26"),
    ("generated_6min_ahead", "3", lambda tmp, stack: ["--state-dir", str(status_dir(tmp, document(
        generated=(now() + examples.HOUR / 10).isoformat())))], "in the future"),
    ("generated_stale", "3", status(old_document()), "is stale: generated 25"),
    ("server_check_2099", "3", doc(update_server__last_successful_check="2099-01-01T00:00:00+01:00"),
     "update_server.last_successful_check: lies after generated (2099-01-01)"),
    ("last_check_future", "3", doc(update_server__last_check=future_stamp()),
     "update_server.last_check: "),
    ("download_future", "3", doc(update_server__last_complete_download=future_stamp()),
     "update_server.last_complete_download: "),
    ("release_future", "3", doc(releases__available__0__released=future_stamp()),
     "releases.available[0].released: "),
    ("installed_at_future", "3", doc(releases__installed_at=future_stamp(1)),
     "releases.installed_at: "),
    ("hotfix_future", "3", doc(hotfixes__installed__0__released=future_stamp()),
     "hotfixes.installed[0].released: "),
    ("run_start_future", "3", doc(last_update_run__start=future_stamp()),
     "last_update_run.start: "),
    ("run_end_future", "3", doc(last_update_run__end=future_stamp()), "last_update_run.end: "),
    ("maintenance_since_future", "3", doc(maintenance__active=True, maintenance__reason="x",
                                          maintenance__since=future_stamp()),
     "maintenance.since: "),
    ("switched_off_future", "3", doc(schedule__disabled_by_failure={"since": future_stamp()}),
     "schedule.disabled_by_failure.since: "),
    # a list that lies: one release or hotfix twice would be counted twice
    ("release_twice", "6", doc(releases__available=[
        {"version": "4.12", "released": "2026-01-01T00:00:00+01:00"},
        {"version": "4.12", "released": "2026-01-02T00:00:00+01:00"}]),
     "releases.available[1].version: 4.12 is listed twice"),
    ("hotfix_twice", "6", doc(hotfixes__available=[
        {"id": "HF-7", "title": "t", "released": "2026-01-01T00:00:00+01:00"}] * 2),
     "hotfixes.available[1].id: HF-7 is listed twice"),
    # the schema's own refusals
    ("no_schema", "6", doc(schema=KeyError), "schema: expected 'tgmon/1', got None"),
    ("schema_major_2", "6", doc(schema="tgmon/2"), "major version 2 is not supported"),
    ("schema_foreign", "6", doc(schema="nagios/1"), "expected 'tgmon/1', got 'nagios/1'"),
    ("schema_number", "6", doc(schema=1), "expected 'tgmon/1', got 1"),
    ("no_generated", "6", doc(generated=KeyError), "generated: required field is missing"),
    ("no_node", "6", doc(node=KeyError), "node: required field is missing"),
    ("no_sessions", "6", doc(active_sessions=KeyError), "active_sessions: required"),
    ("cluster_node_without_cluster", "6", doc(node__role="cluster-node"),
     "node.cluster: a cluster-node needs the cluster name"),
    ("generated_number", "6", doc(generated=1763182800), "generated: expected a string, got a number"),
    ("node_string", "6", doc(node="tg1"), "node: expected an object, got a string"),
    ("available_object", "6", doc(releases__available={}),
     "releases.available: expected a list, got an object"),
    ("active_yes", "6", doc(schedule__update__active="yes"),
     "schedule.update.active: expected true/false, got a string"),
    ("naive_generated", "6", doc(generated="2026-11-22T03:00:00"), "has no UTC offset"),
    ("impossible_date", "6", doc(generated="2026-02-30T03:00:00+01:00"),
     "is not an ISO-8601 timestamp"),
    ("clock_bad", "6", doc(schedule__download__start="1:30"),
     "schedule.download.start: expected e.g. 01:00, got '1:30'"),
    ("weekday_bad", "6", doc(schedule__update__weekday="Tuesday"),
     "schedule.update.weekday: expected one of monday"),
    # markers that are no plain files
    ("marker_directory", "1", marker("directory"), "is a directory, not a regular file"),
    ("marker_dangling", "1", marker("dangling"), "is a dangling symlink"),
    ("marker_loop", "1", marker("loop"), "is a symlink loop"),
    ("marker_fifo", "1", marker("fifo"), "is a FIFO, not a regular file"),
    ("marker_socket", "1", marker("socket"), "is a socket, not a regular file"),
    ("marker_device", "1", marker("device"), "is a character device, not a regular file"),
    ("marker_huge", "2", marker("huge"), "is 10485760 bytes, more than the 65536 allowed"),
    ("warn_flag_fifo", "1", marker("fifo", "update-warn-flag"), "is a FIFO, not a regular file"),
    ("reboot_marker_fifo", "1", marker("fifo", "reboot-required"), "is a FIFO, not a regular file"),
    # the state dir and its status.json
    ("dir_missing", "6", layout("missing"), "does not exist"),
    ("dir_empty", "6", layout("empty"), "the state file"),
    ("dir_is_file", "6", layout("file"), "is a regular file, not a directory"),
    ("dir_is_fifo", "1", layout("fifo"), "is a FIFO, not a directory"),
    ("dir_through_file", "6", layout("through_file"),
     "does not exist (a parent is a file)"),
    ("status_is_dir", "1", layout("status_dir"), "is a directory, not a regular file"),
    ("status_loop", "1", layout("status_loop"), "is a symlink loop"),
    ("status_dangling", "6", layout("status_dangling"), "does not exist"),
    ("status_fifo", "1", layout("status_fifo"), "is a FIFO, not a regular file"),
    ("status_device", "1", layout("status_device"), "is a character device, not a regular file"),
    ("status_huge", "2", layout("status_huge"), "is 52428800 bytes, more than the 1048576 allowed"),
]


@pytest.mark.parametrize("name, classes, setup, cause", UNKNOWN_CASES,
                         ids=[c[0] for c in UNKNOWN_CASES])
def test_state_file_is_unknown_with_its_cause(short_tmp, name, classes, setup, cause):
    with spoiled(setup, short_tmp) as argv:
        run = run_plugin("check_versions", ["-t", str(TIMEOUT)] + argv)
    assert_unknown_line(run, "VERSIONS", cause, TIMEOUT)


# ------------------------------------------------------------------ judged, not refused
def _with_marker(tmp, name, state, **markers):
    path = state_dir(tmp, state=state._replace(flags=state.flags._replace(**markers)))
    return path


def _future_marker(tmp, plugin_marker, since_epoch):
    """A healthy dir plus a marker file whose mtime lies at ``since_epoch``."""
    state = examples.build("healthy-single", now())
    path = state_dir(tmp, state=state)
    target = path / plugin_marker
    target.write_text("set by a clock from the future\n")
    os.utime(target, (since_epoch, since_epoch))
    return path


FUTURE = time.time() + 70 * 365 * 86400
BEYOND_CALENDAR = 2 ** 40   # year ~36812: no datetime can hold it


# (id, classes, plugin, marker file, mtime, exit code, text in the first line, perfdata left out)
TIME_CASES = [
    ("lock_future", "3", "check_update_lock", "update-lock", FUTURE, 2,
     "since an unknown time", "update_lock_age="),
    ("lock_beyond_calendar", "3", "check_update_lock", "update-lock", BEYOND_CALENDAR, 2,
     "since an unknown time", "update_lock_age="),
    ("reboot_future_escalates", "3", "check_reboot_required", "reboot-required", FUTURE, 2,
     "since an unknown time", "reboot_pending_age="),
    ("reboot_beyond_calendar", "3", "check_reboot_required", "reboot-required",
     BEYOND_CALENDAR, 2, "since an unknown time", "reboot_pending_age="),
    ("warn_flag_future", "3", "check_versions", "update-warn-flag", FUTURE, 1,
     "since an unknown time", None),
]


@pytest.mark.parametrize("name, classes, plugin, marker_file, mtime, code, text, absent",
                         TIME_CASES, ids=[c[0] for c in TIME_CASES])
def test_a_future_marker_time_is_an_unknown_age_never_zero(tmp_path, name, classes, plugin,
                                                          marker_file, mtime, code, text, absent):
    path = _future_marker(tmp_path, marker_file, mtime)
    run = run_plugin(plugin, ["-t", str(TIMEOUT), "--state-dir", str(path)])
    assert_clean(run, TIMEOUT)
    assert run.code == code, run
    assert text in run.lines[0], run
    if absent:
        assert absent not in run.stdout, run


HOSTILE_TEXT = ("tg\u202eevil\u009b31m\x1b[2J|x\ud800 $HOME `id` <b>&amp; 'q' \"dq\" ~")


def _hostile_text_state(tmp):
    doc = document("update-locked-cluster-node")
    path = state_dir(tmp, "update-locked-cluster-node")
    doc["node"]["name"] = "tg\u009bnode\u202e2\ud800"
    doc["last_update_run"]["message"] = HOSTILE_TEXT
    (path / "status.json").write_text(json.dumps(doc))   # \ud800 escaped in the JSON text
    (path / "update-lock").write_bytes(b"reason \xff\xfe\x1b[31m red | pipe\n")
    return path


# (id, classes, plugin)
OUTPUT_CASES = [("sanitised_%s" % plugin, "5", plugin) for plugin in (
    "check_versions", "check_update_lock", "check_maintenance", "check_tightgate",
    "check_update_schedule")]


@pytest.mark.parametrize("name, classes, plugin", OUTPUT_CASES, ids=[c[0] for c in OUTPUT_CASES])
def test_hostile_text_is_printed_safely(tmp_path, name, classes, plugin):
    path = _hostile_text_state(tmp_path)
    run = run_plugin(plugin, ["-t", str(TIMEOUT), "-vv", "--state-dir", str(path)])
    assert_clean(run, TIMEOUT)
    assert run.code in (1, 2), run
    for line in run.lines:
        assert all(c.isprintable() for c in line), ascii(line)
        assert not any(0xd800 <= ord(c) <= 0xdfff or 0x80 <= ord(c) <= 0x9f
                       or 0x202a <= ord(c) <= 0x202e for c in line), ascii(line)
    text = run.lines[0].split(" | ", 1)[0]
    assert "|" not in text
    assert not set(text) & set(ILLEGAL_MACRO_CHARS + NAGIOS_REWRITES), text


def test_many_marker_lines_are_cut_not_refused(tmp_path):
    path = state_dir(tmp_path, "reboot-required-single")
    (path / "reboot-required").write_text("".join("package-%d\n" % i for i in range(5000)))
    run = run_plugin("check_reboot_required", ["-t", str(TIMEOUT), "-v", "--state-dir", str(path)])
    assert_clean(run, TIMEOUT)
    assert run.code in (1, 2)
    assert "package-0" in run.stdout and "package-49" in run.stdout
    assert "package-50\n" not in run.stdout


def count_by_class():
    counts = {}
    for case in UNKNOWN_CASES + [(c[0], c[1]) for c in TIME_CASES] + OUTPUT_CASES:
        for digit in case[1]:
            counts[digit] = counts.get(digit, 0) + 1
    return counts

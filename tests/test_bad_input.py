"""Bad input -> exit 3, one line naming the cause and the fix, no traceback."""

import json
import os
import shutil
import tempfile

import pytest

from tgmon.state import examples
from tgmon.checks.versions import DEFINITION
from tgmon.state.schema import to_document

from tgmon.state.layout import write_state

from helpers import NOW, as_shown, run_check



def good_document():
    return to_document(examples.healthy_single(NOW))


def with_field(path, value):
    document = good_document()
    target = document
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is KeyError:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return json.dumps(document).encode()


CASES = [
    ("empty", b"", "is empty"),
    ("whitespace", b"  \n", "is empty"),
    ("truncated", json.dumps(good_document()).encode()[:-40], "is not valid JSON"),
    ("binary", bytes(range(256)), "is not UTF-8 text"),
    ("not_an_object", b"[1, 2]", "expected a JSON object at the top, got a list"),
    ("deeply_nested", b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    ("no_schema", with_field("schema", KeyError), "schema: expected 'tgmon/1', got None"),
    ("unknown_major", with_field("schema", "tgmon/2"),
     "schema: major version 2 is not supported by this tgmon (reads 'tgmon/1')"),
    ("foreign_schema", with_field("schema", "other/1"), "schema: expected 'tgmon/1', got 'other/1'"),
    ("minor_is_fine_but_field_missing", with_field("node", KeyError), "node: required field is missing"),
    ("naive_generated", with_field("generated", "2026-11-15T06:00:00"),
     "generated: has no UTC offset"),
    ("impossible_timestamp", with_field("generated", "2026-02-30T06:00:00+01:00"),
     "generated: is not an ISO-8601 timestamp (e.g. 2026-11-22T03:00:00+01:00)"),
    ("timestamp_wrong_type", with_field("generated", 1763182800),
     "generated: expected a string, got a number"),
    ("wrong_type_bool", with_field("vnc_login_disabled", "no"),
     "vnc_login_disabled: expected true/false, got a string"),
    ("wrong_type_int", with_field("active_sessions", "12"),
     "active_sessions: expected an integer, got a string"),
    ("negative_int", with_field("active_sessions", -1), "active_sessions: must be at least 0, got -1"),
    ("bool_is_not_int", with_field("active_sessions", True),
     "active_sessions: expected an integer, got boolean"),
    ("bad_role", with_field("node.role", "master"),
     "node.role: expected one of single, cluster-node, got 'master'"),
    ("bad_version", with_field("releases.installed", "4.x"),
     "releases.installed: expected e.g. 4.11, got '4.x'"),
    ("bad_list_item", with_field("releases.available", [{"version": "4.12"}]),
     "releases.available[0].released: required field is missing"),
    ("list_is_object", with_field("hotfixes.available", {}),
     "hotfixes.available: expected a list, got an object"),
    ("bad_weekday", with_field("schedule.update.weekday", "tue"),
     "schedule.update.weekday: expected one of monday ... sunday, got 'tue'"),
    ("bad_clock", with_field("schedule.download.start", "25:00"),
     "schedule.download.start: expected e.g. 01:00, got '25:00'"),
    ("null_object", with_field("maintenance", None), "maintenance: must not be null"),
]


@pytest.mark.parametrize("name, content, cause", CASES, ids=[c[0] for c in CASES])
def test_bad_status_json(short_tmp, name, content, cause):
    (short_tmp / "status.json").write_bytes(content)
    outcome = run_check(DEFINITION, ["--state-dir", str(short_tmp)])
    assert outcome.code == 3
    assert outcome.text.startswith("VERSIONS UNKNOWN - ")
    assert as_shown(cause) in outcome.text
    assert str(short_tmp / "status.json") in outcome.text
    assert len(outcome.lines) == 1 and "Traceback" not in outcome.output


def test_missing_dir(short_tmp):
    outcome = run_check(DEFINITION, ["--state-dir", str(short_tmp / "nope")])
    assert (outcome.code, outcome.text) == (3, (
        "VERSIONS UNKNOWN - state dir %s does not exist - check --state-dir and the writer "
        "(docs/appliance.rst)" % (short_tmp / "nope")))


def test_missing_status_file(short_tmp):
    outcome = run_check(DEFINITION, ["--state-dir", str(short_tmp)])
    assert outcome.code == 3
    assert "the state file %s does not exist" % (short_tmp / "status.json") in outcome.text


def test_state_dir_is_a_file(short_tmp):
    (short_tmp / "f").write_text("x")
    outcome = run_check(DEFINITION, ["--state-dir", str(short_tmp / "f")])
    assert outcome.code == 3 and "is a regular file, not a directory" in outcome.text


def test_status_json_is_a_directory(short_tmp):
    (short_tmp / "status.json").mkdir()
    outcome = run_check(DEFINITION, ["--state-dir", str(short_tmp)])
    assert outcome.code == 3 and "status.json is a directory, not a regular file" in outcome.text


def test_huge_status_json(short_tmp):
    with open(short_tmp / "status.json", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    outcome = run_check(DEFINITION, ["--state-dir", str(short_tmp)])
    assert outcome.code == 3 and (
        "is 52428800 bytes, more than the 1048576 allowed for a state" in outcome.text)


@pytest.mark.parametrize("kind", ["directory", "dangling", "loop"])
def test_odd_marker(state_dir, kind):
    path = state_dir(examples.healthy_single(NOW))
    marker = os.path.join(path, "update-warn-flag")
    if kind == "directory":
        os.mkdir(marker)
        cause = "is a directory, not a regular file"
    elif kind == "dangling":
        os.symlink(os.path.join(path, "missing"), marker)
        cause = "is a dangling symlink"
    else:
        os.symlink(marker, marker)
        cause = "is a symlink loop"
    outcome = run_check(DEFINITION, ["--state-dir", path])
    assert outcome.code == 3
    assert ("marker %s %s" % (marker, cause)) in outcome.text


def test_unreadable_status(short_tmp):
    """Root reads every file, so as root the check runs in a child as nobody."""
    base = tempfile.mkdtemp(prefix="tgmon-perm-")
    try:
        os.chmod(base, 0o755)
        write_state(base, examples.healthy_single(NOW))
        os.chmod(os.path.join(base, "status.json"), 0)
        code, text = _as_nobody(lambda: run_check(DEFINITION, ["--state-dir", base]))
        assert code == 3
        assert text.startswith(
            "VERSIONS UNKNOWN - permission denied reading the state file %s/status.json - "
            "let the monitoring user read it" % base)
    finally:
        shutil.rmtree(base)


def test_unreadable_marker(short_tmp):
    base = tempfile.mkdtemp(prefix="tgmon-perm-")
    try:
        os.chmod(base, 0o755)
        state = examples.healthy_single(NOW)
        write_state(base, state._replace(flags=state.flags._replace(
            update_lock=examples.update_locked_cluster_node(NOW).flags.update_lock)))
        for name in os.listdir(base):
            os.chmod(os.path.join(base, name), 0o644)
        os.chmod(os.path.join(base, "update-lock"), 0)
        code, text = _as_nobody(lambda: run_check(DEFINITION, ["--state-dir", base]))
        assert code == 3
        assert text.startswith("VERSIONS UNKNOWN - permission denied reading marker %s/update-lock"
                               % base)
    finally:
        shutil.rmtree(base)


def _as_nobody(function):
    if os.geteuid() != 0:
        outcome = function()
        return outcome.code, outcome.text
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: drop to nobody, run, report, never return into pytest
        try:
            os.setgid(65534)
            os.setuid(65534)
            outcome = function()
            os.write(write_end, json.dumps([outcome.code, outcome.text]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as handle:
        data = handle.read()
    os.waitpid(pid, 0)
    return tuple(json.loads(data.decode()))


@pytest.mark.parametrize("args, cause", [
    # a value given is never quoted (it may be a secret in the wrong place)
    (["--max-age", "soon"],
     "argument --max-age: the value is not a duration (e.g. 90, 15m, 24h, 7d)"),
    (["--warning-age", "-1d"], "argument --warning-age: expected one argument"),
    (["--timeout", "0"],
     "argument -t/--timeout: the value must be more than 0 and at most 3600 seconds"),
    (["--timeout", "x"], "argument -t/--timeout: the value is not a number of seconds"),
    (["--warn-flag-severity", "bad"], "argument --warn-flag-severity: the value is not a state"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["extra"], "unrecognized arguments: 1 value (not shown)"),
    # no abbreviations
    (["--max-ag", "1h"], "unrecognized arguments: --max-ag, 1 value (not shown)"),
])
def test_bad_options(args, cause):
    outcome = run_check(DEFINITION, args)
    assert outcome.code == 3
    assert outcome.text.startswith("VERSIONS UNKNOWN - bad option: ")
    assert as_shown(cause) in outcome.text
    assert outcome.text.endswith(" - see check_versions --help")


@pytest.mark.parametrize("value, accepted", [
    ("0", False), ("0.001", True), ("10", True), ("3600", True), ("3600.5", False), ("-1", False),
])
def test_timeout_bounds_are_what_the_words_say(value, accepted):
    """'-t 0' was refused with 'must be between 0 and 3600': words that allowed it."""
    outcome = run_check(DEFINITION, ["--timeout", value, "--state-dir", "/nonexistent"])
    refused = "must be more than 0 and at most 3600 seconds" in outcome.text
    assert refused != accepted, outcome.text

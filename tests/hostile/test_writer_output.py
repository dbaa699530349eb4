"""Issue 18, class 11 for tgmon state (and refresh, example): its own output is
safe text. Every string from an option or a file is sanitised - no line
break, escape sequence or bidi control reaches stdout or stderr - and the
content of a file given as an option (``--json FILE``) is never echoed beyond
a short, sanitised excerpt of a field name. ``tgmon validate`` prints a
hostile dir or node name as one safe line; no writer writes such a name (or
any text a reader cannot use) back: heartbeat, refresh and clear-flag refuse
it, ``update`` may correct it.
"""

import json
import os

import pytest

from . import writers
from .writers import (Victim, assert_line, assert_quiet, assert_refused, needs_root, run,
                      snapshot, state)

pytestmark = [pytest.mark.slow, needs_root]

# the corpus' fixture, found by pytest under this name
space = writers.space

SECRET = "S3CRET-b7e1"
# characters that would add a line, an escape or reorder text, if echoed
HOSTILE = "\n\r\x1b[31m\x1b]0;t\x07\u202e\u2028\x85\x00"[:-1]


def hostile_dir(space, name):
    return os.path.join(space, name)


def state_dir(space):
    return state(os.path.join(space, "state"))


def json_file(space, content):
    path = os.path.join(space, "patch.json")
    with open(path, "wb") as handle:
        handle.write(content if isinstance(content, bytes) else content.encode())
    return path


def document(space, patch):
    return ["state", "update", state_dir(space), "--json",
            json_file(space, json.dumps(patch))]


# (id, argv(space) as a list, words that must be in the line, what must not be in it)
CASES = [
    ("dir_with_line_feed", lambda s: ["state", "heartbeat", hostile_dir(s, "a\nb")],
     ["is no state dir"], ["\n" + "b"]),
    ("dir_with_escape", lambda s: ["state", "heartbeat", hostile_dir(s, "x\x1b[2Jy")],
     ["is no state dir"], ["\x1b"]),
    ("dir_with_bidi", lambda s: ["state", "heartbeat", hostile_dir(s, "x\u202eyz")],
     ["is no state dir"], ["\u202e"]),
    ("dir_with_next_line", lambda s: ["state", "clear-flag", hostile_dir(s, "x\x85y"),
                                      "update-lock"], ["is no state dir"], ["\x85"]),
    ("dir_with_line_separator", lambda s: ["state", "set-flag", hostile_dir(s, "x\u2028y"),
                                           "update-lock"], ["is no state dir"], ["\u2028"]),
    ("dir_with_invalid_utf8", lambda s: ["state", "heartbeat",
                                         os.path.join(s, "x").encode() + b"\xff\xfe"],
     ["is no state dir"], []),
    ("flag_name_hostile", lambda s: ["state", "set-flag", state_dir(s), "update-lock" + HOSTILE],
     ["must be one of", "see tgmon state set-flag --help"], ["\x1b"]),
    ("since_hostile", lambda s: ["state", "set-flag", state_dir(s), "update-lock", "--since",
                                 "2026" + HOSTILE], ["--since"], ["\x1b"]),
    ("unknown_option_hostile", lambda s: ["state", "heartbeat", state_dir(s),
                                          "--x" + HOSTILE], ["unrecognized arguments"],
     ["\x1b"]),
    ("example_name_hostile", lambda s: ["example", "write", "healthy" + HOSTILE,
                                        os.path.join(s, "t")], ["no example named"], ["\x1b"]),
    ("json_path_hostile", lambda s: ["state", "update", state_dir(s), "--json",
                                     os.path.join(s, "p" + HOSTILE)], ["--json", "does not exist"],
     ["\x1b"]),
    ("unknown_key_hostile_and_huge", lambda s: document(s, {"maintenance": {
        "x" + HOSTILE + SECRET * 1000: 1}}), ["maintenance.x", "is no field of status.json"],
     [SECRET * 4]),                      # a field name: an excerpt of 40 characters
    ("wrong_choice_value", lambda s: document(s, {"node": {"role": SECRET}}),
     ["node.role: expected one of single, cluster-node - fix that field"], [SECRET]),
    ("wrong_version_value", lambda s: document(s, {"releases": {"installed": SECRET}}),
     ["releases.installed: expected e.g. 4.11 - fix that field"], [SECRET]),
    ("wrong_clock_value", lambda s: document(s, {"schedule": {"update": {"start": SECRET}}}),
     ["schedule.update.start: expected e.g. 03:00 - "], [SECRET]),
    ("weekday_value_hostile", lambda s: document(s, {"schedule": {"update": {
        "weekday": SECRET + HOSTILE}}}), ["schedule.update.weekday holds U+000A"], [SECRET]),
    ("wrong_weekday_value", lambda s: document(s, {"schedule": {"update": {"weekday": SECRET}}}),
     ["schedule.update.weekday: expected one of monday ... sunday - "], [SECRET]),
    ("wrong_timestamp_value", lambda s: document(s, {"update_server": {"last_check": SECRET}}),
     ["update_server.last_check: is not an ISO-8601 timestamp"], [SECRET]),
    ("text_value_hostile", lambda s: document(s, {"maintenance": {"reason": SECRET + HOSTILE}}),
     ["maintenance.reason holds U+000A"], [SECRET]),
    ("broken_json_with_secret", lambda s: ["state", "update", state_dir(s), "--json",
                                           json_file(s, '{"%s": ' % SECRET)],
     ["is not valid JSON (expecting value at line 1 column"], [SECRET]),
    ("binary_file", lambda s: ["state", "update", state_dir(s), "--json",
                               json_file(s, b"\xff\xfe" + SECRET.encode())],
     ["is not UTF-8"], [SECRET]),
    ("a_root_only_file_as_json", lambda s: ["state", "update", state_dir(s), "--json",
                                            Victim(os.path.join(s, "shadow")).path],
     ["is not valid JSON (expecting value at line 1 column 1)"], ["VICTIM", "root:x"]),
    ("node_hostile", lambda s: ["state", "init", os.path.join(s, "n"), "--node",
                                SECRET + HOSTILE, "--role", "single"], ["--node holds U+000A"],
     [SECRET]),
]


@pytest.mark.parametrize("argv, words, absent", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_tgmon_state_says_one_safe_line(space, argv, words, absent):
    args = argv(space)
    before = snapshot(space)
    done = run(*args)
    assert_refused(done, *words)
    for text in absent:
        assert text not in done.err, done
    assert len(done.err) < 400, done
    assert snapshot(space) == before


def test_a_fifo_as_json_is_refused_without_waiting(space):
    path = os.path.join(space, "fifo")
    os.mkfifo(path)
    assert_refused(run("state", "update", state_dir(space), "--json", path), "is a FIFO")


def test_success_output_names_a_hostile_dir_safely(space):
    """refresh prints the dir it moved: a name with a line break and a bidi control
    comes out as one printable line."""
    target = os.path.join(space, "copy\n\u202eevil")
    assert run("example", "write", "healthy-single", target).code == 0
    done = run("refresh", target)
    assert done.code == 0 and done.err == "", done
    assert_line(done.out, "copy evil: times moved by ")


def test_set_flag_warnings_are_one_safe_line(space):
    target = state_dir(space)
    done = run("state", "set-flag", target, "update-lock", "--reason", SECRET + HOSTILE,
               "--line", "x" * 300)
    assert done.code == 0 and done.out == "", done
    assert_line(done.err, "tgmon: warning: --reason: line breaks, control or format "
                          "characters replaced by spaces; --line: cut to 200 characters")
    assert SECRET not in done.err


# ----------------------------------------------------------------- what an older writer left
def left_by_an_older_writer(target, section, field, value):
    """A valid status.json whose ``section.field`` holds ``value`` (no tgmon writer
    accepts it; the reader does)."""
    path = os.path.join(target, "status.json")
    with open(path) as handle:
        loaded = json.load(handle)
    loaded[section][field] = value
    with open(path, "w") as handle:
        json.dump(loaded, handle)


# (id, section, field, value, the field's name in the line)
OLD_TEXTS = [
    ("node_escape_sequence", "node", "name", "tg1\x1b]0;owned\x07\x1b[2J", "node.name holds U+001B"),
    ("node_bidi", "node", "name", "tg\u202e1gnp", "node.name holds U+202E"),
    ("node_line_separator", "node", "name", "tg1\u2028FAKE OK", "node.name holds U+2028"),
    ("node_newline", "node", "name", "tg1\nUPDATE_LOCK OK", "node.name holds U+000A"),
    ("node_no_host_name", "node", "name", "tg_1 x", "node.name is no host name"),
    ("cluster_next_line", "node", "cluster", "c\x85x", "node.cluster holds U+0085"),
]


@pytest.mark.parametrize("section, field, value, words", [c[1:] for c in OLD_TEXTS],
                         ids=[c[0] for c in OLD_TEXTS])
def test_validate_prints_what_an_older_writer_left_as_one_safe_line(space, section, field,
                                                                     value, words):
    target = state_dir(space)
    left_by_an_older_writer(target, section, field, value)
    done = run("validate", target)
    assert done.code == 0 and done.err == "", done
    lines = done.out.splitlines()
    assert len(lines) == 2 and all(line.isprintable() for line in lines), done
    assert lines[0].startswith("%s: valid tgmon/1 state of tg" % target), done
    assert "\x1b" not in done.out and "\u202e" not in done.out


@pytest.mark.parametrize("section, field, value, words", [c[1:] for c in OLD_TEXTS],
                         ids=[c[0] for c in OLD_TEXTS])
def test_no_writer_writes_such_a_text_back(space, section, field, value, words):
    target = state_dir(space)
    left_by_an_older_writer(target, section, field, value)
    nothing = json_file(space, "{}")
    before = snapshot(space)
    for argv in (["state", "heartbeat", target], ["state", "clear-flag", target, "warn-flag"],
                 ["refresh", target]):
        assert_refused(run(*argv), "refused, nothing written: %s/status.json: " % target,
                       words, "correct that field with tgmon state update")
        assert snapshot(space) == before, argv
    # an update that leaves it as it is: refused too (naming the field)
    assert_refused(run("state", "update", target, "--json", nothing),
                   "refused, nothing written: ", words.split(" ")[0])
    assert snapshot(space) == before
    # update is how it is corrected
    fix = {section: {field: "tg1" if field == "name" else "tgc"}}
    assert_quiet(run("state", "update", target, "--json", json_file(space, json.dumps(fix))))
    assert_quiet(run("state", "heartbeat", target))


def test_validate_names_a_hostile_dir_as_one_safe_line(space):
    target = os.path.join(space, "x\n\u202e\x1b[31mevil")
    assert run("example", "write", "healthy-single", target).code == 0
    done = run("validate", target, "--max-age", "3650d")
    assert done.code == 0 and done.err == "", done
    lines = done.out.splitlines()
    assert len(lines) == 2 and all(line.isprintable() for line in lines), done
    assert lines[1].endswith("evil: fresh (generated within 3650d)"), done

"""Issue 18, class 7, found by the review: what a writer may write, and what it
says when a write is cut short.

- No update can make status.json larger than a reader reads (1 MiB): refused,
  nothing written - 4-byte characters that grow on the way, or two updates of
  plain ASCII that grow together. An oversized status.json left by an older
  writer: every verb names ``init --force``, which keeps the markers set; and
  ``set-flag`` sets its marker all the same (exit 1, one line saying so).
- A failed rename after a marker changed says exactly what was written (exit
  1), for real: a file bind-mounted over status.json.
- ``--since`` within the schema's years; messages that tell the truth (a number
  too long, the size limit, a parent removed during init); no empty dirs left
  by a write that ran out of space.
"""

import json
import os
import subprocess

import pytest

from tgmon.safeio import atomic
from tgmon.state import examples, lock
from tgmon.state.layout import MAX_STATUS_BYTES, write_state

from . import writers
from .writers import (assert_line, assert_quiet, assert_refused, needs_root, run, snapshot,
                      state)

pytestmark = [pytest.mark.slow, needs_root]

# the corpus' fixture, found by pytest under this name
space = writers.space

RELEASED = "2026-01-01T00:00:00+01:00"


def hotfixes(count, title):
    return [{"id": "HF-%d" % index, "title": title, "released": RELEASED}
            for index in range(count)]


def document_file(space, patch, name="patch.json"):
    path = os.path.join(space, name)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(patch, handle, ensure_ascii=False, separators=(",", ":"))
    assert os.path.getsize(path) <= 1024 * 1024, "the input itself must be accepted"
    return path


def read_status(target):
    with open(os.path.join(target, "status.json"), encoding="utf-8") as handle:
        return json.load(handle)


# (id, updates accepted before, the update refused)
GROWING = [
    ("emoji_titles_grow_on_the_way", [],
     {"hotfixes": {"available": hotfixes(975, "\U0001F600" * 250)}}),
    ("ascii_in_two_updates_second", [{"hotfixes": {"available": hotfixes(600, "x" * 1000)}}],
     {"hotfixes": {"installed": hotfixes(600, "y" * 1000)}}),
    ("long_messages_on_top_of_hotfixes",
     [{"hotfixes": {"available": hotfixes(900, "z" * 1000)}}],
     {"releases": {"available": [{"version": "4.%d" % index, "released": RELEASED,
                                  "kernel_update": False} for index in range(1000)]}}),
]


@pytest.mark.parametrize("accepted, refused", [c[1:] for c in GROWING],
                         ids=[c[0] for c in GROWING])
def test_no_update_makes_status_json_too_large_for_a_reader(space, accepted, refused):
    target = state(os.path.join(space, "state"))
    for number, patch in enumerate(accepted):
        assert_quiet(run("state", "update", target, "--json",
                         document_file(space, patch, "ok%d.json" % number)))
    before = snapshot(target)
    done = run("state", "update", target, "--json", document_file(space, refused))
    assert_refused(done, "refused, nothing written: status.json would be ",
                   "more than the %d a reader reads - send fewer or shorter entries"
                   % MAX_STATUS_BYTES)
    assert snapshot(target) == before
    assert_quiet(run("state", "heartbeat", target))          # still a state every verb uses
    assert run("validate", target).code == 0


def oversized(target):
    """status.json as an older writer could leave it: valid, but over the limit."""
    document = read_status(target)
    document["hotfixes"]["available"] = hotfixes(1000, "o" * 1000)
    with open(os.path.join(target, "status.json"), "w") as handle:
        json.dump(document, handle, indent=2)
    assert os.path.getsize(os.path.join(target, "status.json")) > MAX_STATUS_BYTES


def not_json(target):
    with open(os.path.join(target, "status.json"), "w") as handle:
        handle.write('{"schema": "tgmon/1", ')


def escape_in_node_name(target):
    document = read_status(target)
    document["node"]["name"] = "tg1\x1b]0;owned\x07"
    with open(os.path.join(target, "status.json"), "w") as handle:
        json.dump(document, handle)


START_OVER = "tgmon state init --force starts over (the markers set are kept)"
TOO_LARGE = "status.json is %s bytes, more than the 1048576 a reader reads"

# (id, spoil(target), words of the set-flag line (exit 1), of a heartbeat's (exit 2))
SPOILT = [
    ("oversized", oversized, ["partly written: update-lock set, but status.json not "
                              "rewritten: ", "a reader reads - " + START_OVER],
     ["more than the 1048576 a reader reads - " + START_OVER]),
    ("not_json", not_json, ["partly written: update-lock set, but status.json not "
                            "rewritten: ", "holds no valid state", START_OVER],
     ["holds no valid state", START_OVER]),
    ("escape_in_node_name", escape_in_node_name,
     ["partly written: update-lock set, but status.json not rewritten: ",
      "status.json: node.name holds U+001B, a control character - correct that field"],
     ["refused, nothing written: ", "node.name holds U+001B", "tgmon state update"]),
]


@pytest.mark.parametrize("spoil, flag_words, beat_words", [c[1:] for c in SPOILT],
                         ids=[c[0] for c in SPOILT])
def test_a_flag_is_set_even_where_status_json_cannot_be_rewritten(space, spoil, flag_words,
                                                                   beat_words):
    target = state(os.path.join(space, "state"))
    spoil(target)
    with open(os.path.join(target, "status.json"), "rb") as handle:
        spoilt = handle.read()
    before = snapshot(target)
    assert_refused(run("state", "heartbeat", target), *beat_words)
    assert_refused(run("state", "clear-flag", target, "warn-flag"), *beat_words)
    assert snapshot(target) == before
    done = run("state", "set-flag", target, "update-lock", "--reason", "run failed\nfor good")
    assert done.code == 1 and done.out == "", done
    lines = done.err.splitlines()
    assert len(lines) == 2 and all(line.isprintable() for line in lines), done
    assert lines[0].startswith("tgmon: warning: --reason: line breaks"), done
    for word in flag_words:
        assert word in lines[1], (word, done)
    with open(os.path.join(target, "update-lock")) as handle:
        assert handle.read() == "run failed for good\n"
    with open(os.path.join(target, "status.json"), "rb") as handle:
        assert handle.read() == spoilt                     # left as it was
    # the fix the line names: a new state, the lock kept
    assert_quiet(run("state", "init", target, "--node", "tg1", "--role", "single", "--force"))
    assert read_status(target)["expected_markers"]["update_lock"] is True
    with open(os.path.join(target, "update-lock")) as handle:
        assert handle.read() == "run failed for good\n"
    assert "update_lock" in run("validate", target).out


def test_init_force_keeps_every_marker_set(space):
    target = state(os.path.join(space, "state"))
    assert_quiet(run("state", "set-flag", target, "warn-flag", "--reason", "download failed",
                     "--since", "2026-01-02T03:04:05+01:00"))
    assert_quiet(run("state", "set-flag", target, "reboot-required", "--line", "linux-image"))
    markers = {name: (os.stat(os.path.join(target, name)).st_mtime_ns,
                      open(os.path.join(target, name)).read())
               for name in ("update-warn-flag", "reboot-required")}
    assert_quiet(run("state", "init", target, "--node", "tg2", "--role", "single", "--force"))
    assert {name: (os.stat(os.path.join(target, name)).st_mtime_ns,
                   open(os.path.join(target, name)).read()) for name in markers} == markers
    assert read_status(target)["expected_markers"] == {
        "warn_flag": True, "update_lock": False, "reboot_required": True}
    assert read_status(target)["node"]["name"] == "tg2"


# ----------------------------------------------------------------- a rename that fails
def set_lock_first(target):
    assert_quiet(run("state", "set-flag", target, "update-lock", "--reason", "failed"))


# (id, prepare, argv, exit code, words)
BUSY = [
    ("set_flag_marker_in_status_not", None,
     ["state", "set-flag", "{dir}", "update-lock", "--reason", "failed"], 1,
     ["partly written: update-lock set, but not status.json: cannot write in {dir}: "
      "device or resource busy - check the file system"]),
    ("clear_flag_marker_removed_status_not", set_lock_first,
     ["state", "clear-flag", "{dir}", "update-lock"], 1,
     ["partly written: update-lock removed, but not status.json: "]),
    ("heartbeat_nothing_written", set_lock_first, ["state", "heartbeat", "{dir}"], 2,
     ["cannot write in {dir}: device or resource busy"]),
    ("set_flag_again_same_text_nothing_written", set_lock_first,
     ["state", "set-flag", "{dir}", "update-lock", "--reason", "failed"], 2,
     ["cannot write in {dir}: device or resource busy"]),
]


@pytest.mark.parametrize("prepare, argv, code, words", [c[1:] for c in BUSY],
                         ids=[c[0] for c in BUSY])
def test_a_failed_rename_says_exactly_what_was_written(space, prepare, argv, code, words):
    """A file bind-mounted over status.json: renaming over it fails (EBUSY) after
    the markers were renamed in. The line says which markers changed."""
    target = state(os.path.join(space, "state"))
    if prepare:
        prepare(target)
    status = os.path.join(target, "status.json")
    cover = os.path.join(space, "cover")
    with open(status, "rb") as source, open(cover, "wb") as copy:
        copy.write(source.read())
    markers_before = sorted(n for n in os.listdir(target) if n in ("update-lock",))
    subprocess.run(["mount", "--bind", cover, status], check=True)
    try:
        done = run(*[a.format(dir=target) for a in argv])
    finally:
        subprocess.run(["umount", status], check=True)
    assert done.code == code and done.out == "", done
    assert_line(done.err, *[w.format(dir=target) for w in words])
    markers_after = sorted(n for n in os.listdir(target) if n in ("update-lock",))
    if "set, " in words[0]:
        assert markers_after == ["update-lock"]
    elif "removed, " in words[0]:
        assert markers_after == []
    else:
        assert markers_after == markers_before
    assert not [n for n in os.listdir(target) if n.startswith(".tgmon-tmp.")]


# ----------------------------------------------------------------- --since
# (id, --since, exit code, words)
SINCE = [
    ("year_1", "0001-01-01T00:00:00+00:00", 2, "--since lies before 1970"),
    ("year_1_with_offset", "0001-01-01T00:30:00+01:00", 2, "--since lies before 1970"),
    ("before_1970_utc", "1970-01-01T00:30:00+01:00", 2, "--since lies before 1970"),
    ("year_9999", "9999-12-31T23:59:59+00:00", 2, "--since lies in the future"),
    ("first_second_1970", "1970-01-01T00:00:00+00:00", 0, None),
    ("ordinary", "2026-01-02T03:04:05+01:00", 0, None),
]


@pytest.mark.parametrize("since, code, words", [c[1:] for c in SINCE],
                         ids=[c[0] for c in SINCE])
def test_since_lies_within_the_years_a_state_may_hold(space, since, code, words):
    from tgmon.timeutil import parse_timestamp
    target = state(os.path.join(space, "state"))
    before = snapshot(target)
    done = run("state", "set-flag", target, "update-lock", "--since", since)
    if code:
        assert_refused(done, words, "give the time the flag was set")
        assert snapshot(target) == before
        return
    assert_quiet(done)
    assert os.stat(os.path.join(target, "update-lock")).st_mtime == \
        parse_timestamp(since).timestamp()
    assert run("validate", target).code == 0


# ----------------------------------------------------------------- true messages
def huge_number(space):
    return "-", '{"active_sessions": %s}' % ("9" * 5000)


def one_byte_too_many_file(space):
    path = os.path.join(space, "big.json")
    with open(path, "w") as handle:
        handle.write(" " * (1024 * 1024 + 1))
    return path, None


def one_byte_too_many_stdin(space):
    return "-", " " * (1024 * 1024 + 1)


# (id, the --json value and stdin, words)
MESSAGES = [
    ("number_too_long", huge_number,
     "the update document is not valid JSON (a number has more than 4300 digits)"),
    ("file_one_byte_over", one_byte_too_many_file,
     "is 1048577 bytes, more than the 1048576 allowed"),
    ("stdin_one_byte_over", one_byte_too_many_stdin,
     "the update document is more than 1048576 bytes - send only what changed"),
]


@pytest.mark.parametrize("given, words", [c[1:] for c in MESSAGES],
                         ids=[c[0] for c in MESSAGES])
def test_a_refusal_names_the_real_cause(space, given, words):
    target = state(os.path.join(space, "state"))
    name, stdin = given(space)
    before = snapshot(target)
    assert_refused(run("state", "update", target, "--json", name, stdin=stdin), words)
    assert snapshot(target) == before


def test_a_symlink_swapped_in_during_the_walk_is_named_as_such(space, monkeypatch):
    """Between the look at a path component and its opening, the dir is replaced
    by a symlink: 'was replaced by a symlink', not '(a parent is a file)'."""
    os.mkdir(os.path.join(space, "elsewhere"))
    target = os.path.join(space, "state")
    os.mkdir(target)
    real_stat, swapped = os.stat, []

    def stat_then_swap(name, *args, **kwargs):
        info = real_stat(name, *args, **kwargs)
        if name == "state" and kwargs.get("dir_fd") is not None and not swapped:
            swapped.append(name)
            os.rename(target, os.path.join(space, "moved"))
            os.symlink(os.path.join(space, "elsewhere"), target)
        return info
    monkeypatch.setattr(atomic.os, "stat", stat_then_swap)
    with pytest.raises(atomic.WriteError) as caught:
        atomic.open_dir(target)
    monkeypatch.undo()
    assert str(caught.value) == ("%s was replaced by a symlink while tgmon opened it; run "
                                 "again; if it repeats, find who swaps it and remove the link"
                                 % target)


def test_init_that_loses_its_parent_says_so(space, monkeypatch):
    """The parent is removed just before init creates the state dir in it."""
    parent = os.path.join(space, "parent")
    os.mkdir(parent)
    real_mkdir = os.mkdir

    def remove_parent_first(name, *args, **kwargs):
        if name == "state":
            os.rmdir(parent)
        return real_mkdir(name, *args, **kwargs)
    monkeypatch.setattr(atomic.os, "mkdir", remove_parent_first)
    with pytest.raises(atomic.WriteError) as caught:
        with lock.locked(os.path.join(parent, "state"), create=True):
            pass
    monkeypatch.undo()
    assert caught.value.cause == ("a parent of %s was removed while tgmon created it"
                                  % os.path.join(parent, "state"))
    assert "tgmon state init creates it" not in str(caught.value)


# (id, argv(dir) that writes below mnt/a/b, words)
OUT_OF_SPACE = [
    ("state_init", lambda d: ["state", "init", d, "--node", "tg1", "--role", "single"]),
    ("example_write", lambda d: ["example", "write", "healthy-single", d]),
    ("example_write_all", lambda d: ["example", "write-all", d]),
]


@pytest.mark.parametrize("argv", [c[1] for c in OUT_OF_SPACE], ids=[c[0] for c in OUT_OF_SPACE])
def test_a_write_out_of_space_leaves_no_dir_behind(space, argv):
    mnt = os.path.join(space, "mnt")
    os.mkdir(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=755", "tmpfs", mnt],
                   check=True)
    try:
        with open(os.path.join(mnt, "filler"), "wb") as handle:
            try:
                handle.write(b"\0" * 200000)
            except OSError:
                pass
        os.mkdir(os.path.join(mnt, "probe"))     # dirs can still be made: the test is real
        os.rmdir(os.path.join(mnt, "probe"))
        target = os.path.join(mnt, "a", "b", "state")
        assert_refused(run(*argv(target)), "no space left on ", "- free space")
        assert sorted(os.listdir(mnt)) == ["filler"]
    finally:
        subprocess.run(["umount", mnt], check=True)


def test_a_temp_file_of_pid_0_is_no_live_writers(space):
    """kill(0, 0) asks the process group and succeeds: PID 0 is never a writer."""
    target = state(os.path.join(space, "state"))
    leftover = os.path.join(target, "%s0.%s" % (atomic.TEMP_PREFIX, "ab" * 8))
    with open(leftover, "w") as handle:
        handle.write('{"half": ')
    assert_quiet(run("state", "heartbeat", target))
    assert not os.path.exists(leftover)


def test_an_example_state_too_large_is_refused_before_anything_is_written(space):
    """write_state (the simulator's and the examples' way) holds the same limit."""
    state_ = examples.build("healthy-single")
    big = state_._replace(hotfixes=state_.hotfixes._replace(
        available=state_.hotfixes.installed * 1100))
    big = big._replace(hotfixes=big.hotfixes._replace(available=tuple(
        hotfix._replace(title="t" * 1000) for hotfix in big.hotfixes.available)))
    target = os.path.join(space, "state")
    with pytest.raises(atomic.WriteError) as caught:
        write_state(target, big)
    assert caught.value.cause.startswith("refused, nothing written: status.json would be ")
    assert os.listdir(space) == []

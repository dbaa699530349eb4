"""Issue 18, class 7: input a reader cannot use is refused (or, for a flag's
reason, made safe), and errors name the real cause and fix.

- ``--reason``/``--line`` with anything ``str.splitlines()`` splits on, or a
  control or format character: the flag is set all the same (a lock must never
  go unrecorded for its reason), each such character a space, one warning line.
- every text field of an update document, ``--node``, ``--cluster``: refused,
  naming the field and the code point, nothing written.
- a node name that is no RFC 1123 host name (dots allowed), a planned window
  that ends before it starts: refused.
- no space left, a read-only file system, permission denied, a quota: one line
  with the cause and the fix, nothing half-written (a real tmpfs, a real
  read-only bind mount, a real second user).
"""

import errno
import json
import os
import subprocess

import pytest

from tgmon.safeio import atomic
from tgmon.state import examples
from tgmon.appliance import writer
from tgmon.state.layout import write_state

from helpers import ROOT

from .harness import TGMON
from . import writers
from .writers import (assert_line, assert_quiet, assert_refused, modes, needs_root, run,
                      snapshot, state)

pytestmark = [pytest.mark.slow, needs_root]

# the corpus' fixtures, found by pytest under these names
other_user, space = writers.other_user, writers.space


def marker_lines(path):
    with open(os.path.join(path, "update-lock"), "rb") as handle:
        return handle.read().decode("utf-8").splitlines()


# (id, --reason as given (str, or bytes as a shell passes them), the marker's line)
REASONS = [
    ("line_feed", "download failed\nrm -rf /", "download failed rm -rf /"),
    ("carriage_return", "download failed\r\n", "download failed"),
    ("vertical_tab", "a\vb", "a b"),
    ("form_feed", "a\fb", "a b"),
    ("file_separator", "a\x1cb", "a b"),
    ("group_separator", "a\x1db", "a b"),
    ("record_separator", "a\x1eb", "a b"),
    ("next_line", "a\x85b", "a b"),
    ("line_separator", "a\u2028b", "a b"),
    ("paragraph_separator", "a\u2029b", "a b"),
    ("escape_sequence", "ok\x1b[2J\x1b[31mred", "ok [2J [31mred"),
    ("bidi_override", "lock \u202egnp.exe", "lock gnp.exe"),
    ("zero_width_space", "lo\u200bck", "lo ck"),
    ("soft_hyphen", "up\xaddate", "up date"),
    ("tag_characters", "a\U000e0041\U000e0042b", "a b"),
    ("tab", "a\tb", "a b"),
    ("delete", "a\x7fb", "a b"),
    ("invalid_utf8", b"bad \xff\xfe bytes", "bad bytes"),
]


@pytest.mark.parametrize("given, line", [c[1:] for c in REASONS], ids=[c[0] for c in REASONS])
def test_a_reason_is_made_one_printable_line_and_the_lock_is_set(space, given, line):
    target = state(os.path.join(space, "state"))
    done = run("state", "set-flag", target, "update-lock", "--reason", given,
               "--line", given)
    assert done.code == 0 and done.out == "", done
    assert_line(done.err, "tgmon: warning: --reason, --line: line breaks, control or format "
                          "characters replaced by spaces")
    assert marker_lines(target) == [line, line]
    assert modes(target)["update-lock"] == (0o644, 0)


def test_a_clean_reason_gives_no_warning_and_long_lines_are_cut(space):
    target = state(os.path.join(space, "state"))
    assert_quiet(run("state", "set-flag", target, "update-lock", "--reason", "Zürich: ok"))
    assert marker_lines(target) == ["Zürich: ok"]
    done = run("state", "set-flag", target, "update-lock", "--reason", "x" * 500)
    assert done.code == 0
    assert_line(done.err, "--reason: cut to 200 characters")
    assert marker_lines(target) == ["x" * 199 + "\u2026"]


def update(target, patch):
    return run("state", "update", target, "--json", "-", stdin=json.dumps(patch))


PLAN = "2030-01-01T02:00:00+01:00"

# (id, patch, words): refused, nothing written
REFUSED_UPDATES = [
    ("reason_line_feed", {"maintenance": {"reason": "a\nb"}},
     "maintenance.reason holds U+000A, a control character"),
    ("reason_line_separator", {"maintenance": {"reason": "a\u2028b"}},
     "maintenance.reason holds U+2028, a line separator"),
    ("message_next_line", {"last_update_run": {"kind": "scheduled", "start": PLAN[:-6] + "Z",
                                               "message": "a\x85b"}},
     "last_update_run.message holds U+0085"),
    ("message_escape", {"maintenance": {"reason": "\x1b]0;owned\x07"}}, "U+001B"),
    ("plan_reason_bidi", {"maintenance": {"planned": {"start": PLAN, "end": None,
                                                      "reason": "x\u202ey"}}},
     "maintenance.planned.reason holds U+202E, an invisible format character"),
    ("hotfix_title_zero_width", {"hotfixes": {"available": [
        {"id": "HF-1", "title": "a\u200bb", "released": "2026-01-01T00:00:00+01:00"}]}},
     "hotfixes.available[0].title holds U+200B"),
    ("cluster_tab", {"node": {"cluster": "tgc\tx"}}, "node.cluster holds U+0009"),
    ("lone_surrogate", {"maintenance": {"reason": "\ud800"}},
     "U+D800, no character (invalid UTF-8)"),
    ("switch_off_reason_paragraph", {"schedule": {"disabled_by_failure": {
        "since": "2026-01-01T00:00:00+01:00", "reason": "a\u2029b"}}}, "U+2029"),
    # node names that are no RFC 1123 host name
    ("node_leading_hyphen", {"node": {"name": "-tg1"}}, "starts or ends with a hyphen"),
    ("node_trailing_hyphen", {"node": {"name": "tg1-"}}, "starts or ends with a hyphen"),
    ("node_underscore", {"node": {"name": "tg_1"}}, "a character other than letters"),
    ("node_space", {"node": {"name": "tg 1"}}, "a character other than letters"),
    ("node_two_dots", {"node": {"name": "tg..example"}}, "an empty label"),
    ("node_trailing_dot", {"node": {"name": "tg1.example."}}, "an empty label"),
    ("node_label_64", {"node": {"name": "a" * 64}}, "longer than 63 characters"),
    ("node_not_ascii", {"node": {"name": "tgü1"}}, "a character other than letters"),
    ("node_empty", {"node": {"name": ""}}, "1-253 characters"),
    ("node_slash", {"node": {"name": "../etc"}}, "an empty label"),
    # a planned window that ends before (or as) it starts
    ("plan_ends_before_start", {"maintenance": {"planned": {
        "start": PLAN, "end": "2030-01-01T01:00:00+01:00", "reason": "x"}}},
     "maintenance.planned.end lies before its start"),
    ("plan_ends_at_start", {"maintenance": {"planned": {"start": PLAN, "end": PLAN,
                                                        "reason": "x"}}},
     "maintenance.planned.end lies at its start"),
    ("plan_ends_before_start_other_zone", {"maintenance": {"planned": {
        "start": PLAN, "end": "2030-01-01T00:30:00+00:00", "reason": "x"}}},
     "lies before its start"),
]


@pytest.mark.parametrize("patch, words", [c[1:] for c in REFUSED_UPDATES],
                         ids=[c[0] for c in REFUSED_UPDATES])
def test_an_update_a_reader_cannot_use_is_refused(space, patch, words):
    target = state(os.path.join(space, "state"))
    before = snapshot(space)
    assert_refused(update(target, patch), "refused, nothing written: ", words)
    assert snapshot(space) == before


# (id, patch): accepted
ACCEPTED_UPDATES = [
    ("node_fqdn", {"node": {"name": "tg-node1.example.org"}}),
    ("node_digit_first", {"node": {"name": "1tg"}}),
    ("node_label_63", {"node": {"name": "a" * 63}}),
    ("reason_unicode_letters", {"maintenance": {"planned": {
        "start": PLAN, "end": None, "reason": "Festplattentausch in Zürich \u2013 RZ 2"}}}),
    ("plan_ends_after_start", {"maintenance": {"planned": {
        "start": PLAN, "end": "2030-01-01T04:00:00+01:00", "reason": "x"}}}),
    ("plan_end_in_other_zone_after", {"maintenance": {"planned": {
        "start": PLAN, "end": "2030-01-01T01:30:00+00:00", "reason": "x"}}}),
]


@pytest.mark.parametrize("patch", [c[1] for c in ACCEPTED_UPDATES],
                         ids=[c[0] for c in ACCEPTED_UPDATES])
def test_a_valid_update_is_written(space, patch):
    target = state(os.path.join(space, "state"))
    assert_quiet(update(target, patch))
    with open(os.path.join(target, "status.json")) as handle:
        document = json.load(handle)
    for section, fields in patch.items():
        for key, value in fields.items():
            assert document[section][key] == value


# (id, init arguments, words)
REFUSED_INITS = [
    ("node_newline", ["--node", "tg1\nx"], "--node holds U+000A"),
    ("node_escape", ["--node", "tg1\x1b[31m"], "--node holds U+001B"),
    ("node_underscore", ["--node", "tg_1"], "--node is no host name"),
    ("node_dotted_ends", ["--node", ".tg1"], "--node is no host name: it has an empty label"),
    ("cluster_bidi", ["--node", "tg1", "--role", "cluster-node", "--cluster", "c\u202e1"],
     "--cluster holds U+202E"),
    ("installed_newline", ["--node", "tg1", "--installed", "4.11\n"], "--installed holds"),
]


@pytest.mark.parametrize("args, words", [c[1:] for c in REFUSED_INITS],
                         ids=[c[0] for c in REFUSED_INITS])
def test_init_refuses_what_a_reader_cannot_use(space, args, words):
    argv = ["state", "init", os.path.join(space, "state")] + args
    if "--role" not in args:
        argv += ["--role", "single"]
    assert_refused(run(*argv), words)
    assert os.listdir(space) == []          # not even the dir


# ----------------------------------------------------------------- the file system says no
def mounted(path, *options):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount"] + list(options) + [path], check=True, capture_output=True)


def test_no_space_left_on_a_real_tmpfs(space):
    mnt = os.path.join(space, "mnt")
    mounted(mnt, "-t", "tmpfs", "-o", "size=64k,mode=755", "tmpfs")
    try:
        target = state(os.path.join(mnt, "state"))
        with open(os.path.join(mnt, "filler"), "wb") as handle:
            try:
                handle.write(b"\0" * 200000)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        before = snapshot(target)
        done = run("state", "set-flag", target, "update-lock", "--reason", "x" * 150,
                   "--line", "y" * 150)
        assert_refused(done, "no space left on %s - free space" % target)
        assert snapshot(target) == before          # no temp file, nothing half-written
        os.unlink(os.path.join(mnt, "filler"))
        assert_quiet(run("state", "heartbeat", target))
    finally:
        subprocess.run(["umount", mnt], check=True)


def test_a_read_only_file_system_for_real(space):
    mnt = os.path.join(space, "mnt")
    target = state(os.path.join(mnt, "state"))
    mounted(mnt, "--bind", mnt)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", mnt], check=True)
        before = snapshot(target)
        assert_refused(run("state", "heartbeat", target),
                       "%s is on a read-only file system - use a writable one" % target)
        assert_refused(run("state", "init", os.path.join(mnt, "new"), "--node", "tg1",
                           "--role", "single"), "read-only file system")
        assert snapshot(target) == before
    finally:
        subprocess.run(["umount", mnt], check=True)


def test_permission_denied_for_another_user(space, other_user):
    target = state(os.path.join(space, "state"))
    before = snapshot(space)
    assert_refused(run("state", "heartbeat", target, user=other_user),
                   "permission denied writing in %s" % target, "run as")
    assert snapshot(space) == before


@pytest.mark.parametrize("code, words", [
    (errno.EDQUOT, "disk quota exceeded on {dir} - free space or raise the quota"),
    (errno.ENOSPC, "no space left on {dir} - free space"),
    (errno.EROFS, "{dir} is on a read-only file system - use a writable one"),
    (errno.EIO, "cannot write in {dir}: input/output error - check the file system"),
], ids=["EDQUOT", "ENOSPC", "EROFS", "EIO"])
def test_every_failed_write_names_cause_and_fix(space, monkeypatch, code, words):
    """Errors that cannot be made for real here (a quota) are injected where the
    bytes are written; nothing is left behind either way."""
    target = os.path.join(space, "state")
    write_state(target, examples.build("healthy-single"))
    before = snapshot(target)

    def fail(*args):
        raise OSError(code, os.strerror(code))
    monkeypatch.setattr(atomic.os, "write", fail)
    with pytest.raises(atomic.WriteError) as caught:
        write_state(target, examples.build("update-locked-cluster-node"))
    assert str(caught.value) == words.format(dir=target).replace(" - ", "; ", 1)
    monkeypatch.undo()
    assert snapshot(target) == before


def test_stdin_that_never_ends_is_given_up(space, monkeypatch):
    """``--json -`` from a writer that never closes: refused after STDIN_WAIT, not hung."""
    read, write = os.pipe()
    monkeypatch.setattr(writer, "STDIN_WAIT", 0.2)
    monkeypatch.setattr(writer.sys, "stdin", os.fdopen(read))
    try:
        with pytest.raises(atomic.WriteError) as caught:
            writer.read_update_document("-")
    finally:
        os.close(write)
    assert caught.value.cause == "--json -: stdin did not end within 0.2 s"


def test_the_hooks_make_a_log_line_one_line_and_the_lock_is_recorded(space):
    """tgmon_run_failed fed a reason straight from a log (a line break, a tab, an
    escape sequence): the lock is set, the schedule switched off, every text one line."""
    hooks = os.path.join(ROOT, "examples", "appliance", "tgmon-hooks.sh")
    target = os.path.join(space, "tgmon")
    env = dict(os.environ, TGMON=TGMON, STATE_DIR=target, ROLE="single")
    reason = "download failed\n\tproxy said: \x1b[31m403\x1b[0m"
    script = ('. "$0" && tgmon_setup tg1 single - 4.11 && tgmon_run_begins scheduled && '
              'tgmon_run_failed "$1"')
    done = subprocess.run(["/bin/sh", "-c", script, hooks, reason], env=env,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done
    assert_line(done.stderr.decode(), "tgmon: warning: --reason: line breaks")
    assert marker_lines(target) == ["scheduled update failed: download failed proxy said: "
                                    "[31m403 [0m"]
    with open(os.path.join(target, "status.json")) as handle:
        document = json.load(handle)
    assert document["schedule"]["disabled_by_failure"]["reason"] == (
        "download failed  proxy said:  [31m403 [0m")
    assert document["maintenance"]["only_maint_may_end"] is True

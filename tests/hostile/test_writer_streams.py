"""Issue 18, class 11, found by the review: the exit code of ``tgmon state``,
``refresh``, ``validate`` and ``example`` says what happened to the state,
never what happened to the terminal.

A closed pipe, /dev/full or a closed descriptor on stdout or stderr costs the
line, not the exit code, and never sends an error to stdout instead. Ctrl-C
while waiting for the lock or for stdin: one line, exit 130, nothing written,
no traceback.
"""

import os
import signal
import subprocess
import time

import pytest

from .harness import TGMON
from . import writers
from .writers import HARD_LIMIT, assert_line, needs_root, snapshot, state

pytestmark = [pytest.mark.slow, needs_root]

# the corpus' fixture, found by pytest under this name
space = writers.space


class Streams:
    """stdout and stderr for a run: 'pipe' (read by the test), 'full' (/dev/full),
    'gone' (a pipe whose reader went away) or 'closed' (no descriptor at all)."""

    def __init__(self, out, err):
        self.out, self.err = out, err

    def run(self, argv):
        closed = [fd for fd, how in ((1, self.out), (2, self.err)) if how == "closed"]
        cmd = [TGMON] + argv
        if closed:
            cmd = ["sh", "-c", 'exec "$@" %s' % " ".join("%d>&-" % fd for fd in closed),
                   "sh"] + cmd
        kept = []
        given = [self._stream(how, kept) for how in (self.out, self.err)]
        try:
            done = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=given[0],
                                  stderr=given[1], timeout=HARD_LIMIT)
        finally:
            for fd in kept:
                os.close(fd)
        text = [(done.stdout or b"").decode(), (done.stderr or b"").decode()]
        assert "Traceback" not in text[0] + text[1]
        return done.returncode, text[0], text[1]

    @staticmethod
    def _stream(how, kept):
        if how == "pipe":
            return subprocess.PIPE
        if how == "full":
            fd = os.open("/dev/full", os.O_WRONLY)
        elif how == "gone":
            read, fd = os.pipe()
            os.close(read)
        else:
            return None          # closed by the shell in front of it
        kept.append(fd)
        return fd


def generated(target):
    import json
    with open(os.path.join(target, "status.json")) as handle:
        return json.load(handle)["generated"]


def lock_set(target):
    return os.path.exists(os.path.join(target, "update-lock"))


def written_now(target):
    return generated(target) != "2026-11-15T06:00:00+01:00"


NEEDS_WARNING = ["state", "set-flag", "{dir}", "update-lock", "--reason", "a\nb"]
MISSING = ["state", "heartbeat", "{dir}/missing"]

# (id, Streams, argv, exit code, what must hold after; stdout/stderr checked below)
CASES = [
    ("set_flag_warning_to_dev_full", Streams("pipe", "full"), NEEDS_WARNING, 0, lock_set),
    ("set_flag_warning_to_a_gone_reader", Streams("pipe", "gone"), NEEDS_WARNING, 0,
     lock_set),
    ("set_flag_warning_with_stderr_closed", Streams("pipe", "closed"), NEEDS_WARNING, 0,
     lock_set),
    ("set_flag_both_closed", Streams("closed", "closed"), NEEDS_WARNING, 0, lock_set),
    ("refresh_to_a_gone_reader", Streams("gone", "pipe"), ["refresh", "{dir}"], 0,
     written_now),
    ("refresh_to_dev_full", Streams("full", "pipe"), ["refresh", "{dir}"], 0, written_now),
    ("refresh_stdout_closed", Streams("closed", "pipe"), ["refresh", "{dir}"], 0,
     written_now),
    ("validate_to_a_gone_reader", Streams("gone", "pipe"), ["validate", "{dir}", "--max-age",
                                                            "3650d"], 0, None),
    ("example_list_to_a_gone_reader", Streams("gone", "pipe"), ["example", "list"], 0, None),
    ("help_to_a_gone_reader", Streams("gone", "pipe"), ["state", "--help"], 0, None),
    ("error_with_stderr_closed", Streams("pipe", "closed"), MISSING, 2, None),
    ("error_to_dev_full", Streams("pipe", "full"), MISSING, 2, None),
    ("error_to_a_gone_reader", Streams("pipe", "gone"), MISSING, 2, None),
    ("usage_error_with_stderr_closed", Streams("pipe", "closed"),
     ["state", "set-flag", "{dir}", "no-such-flag"], 2, None),
]


@pytest.mark.parametrize("streams, argv, code, after", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_the_exit_code_says_what_happened_to_the_state(space, streams, argv, code, after):
    target = os.path.join(space, "state")
    assert subprocess.run([TGMON, "example", "write", "healthy-single", target]).returncode == 0
    got, out, err = streams.run([a.format(dir=target) for a in argv])
    assert got == code, (got, out, err)
    if streams.out == "pipe":
        assert out == "", out            # an error never goes to stdout instead
    if streams.err == "pipe":
        assert err == "", err
    if after:
        assert after(target)


# ----------------------------------------------------------------- Ctrl-C
def waiting_in(pid, what):
    """True once process ``pid`` waits where ``what`` says ('lock': it has the lock
    file open; 'stdin': it sits in select/poll)."""
    give_up = time.monotonic() + HARD_LIMIT
    while time.monotonic() < give_up:
        try:
            if what == "lock":
                fds = os.listdir("/proc/%d/fd" % pid)
                if any(os.readlink("/proc/%d/fd/%s" % (pid, fd)).endswith(".tgmon-state.lock")
                       for fd in fds):
                    return True
            else:
                with open("/proc/%d/wchan" % pid) as handle:
                    wchan = handle.read()
                if "poll" in wchan or "select" in wchan:
                    return True
        except (FileNotFoundError, ProcessLookupError):
            pass
        time.sleep(0.01)
    return False


def hold_the_lock(target):
    import fcntl
    fd = os.open(os.path.join(target, ".tgmon-state.lock"), os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


# (id, argv, waits for, stdin kept open)
INTERRUPTED = [
    ("heartbeat_waiting_for_the_lock", ["state", "heartbeat", "{dir}"], "lock"),
    ("set_flag_waiting_for_the_lock", ["state", "set-flag", "{dir}", "update-lock"], "lock"),
    ("refresh_waiting_for_the_lock", ["refresh", "{dir}"], "lock"),
    ("update_waiting_for_stdin", ["state", "update", "{dir}", "--json", "-"], "stdin"),
]


@pytest.mark.parametrize("argv, waits", [c[1:] for c in INTERRUPTED],
                         ids=[c[0] for c in INTERRUPTED])
def test_ctrl_c_is_one_line_exit_130_and_nothing_written(space, argv, waits):
    target = state(os.path.join(space, "state"))
    held = hold_the_lock(target) if waits == "lock" else None
    before = snapshot(target)
    read, write = os.pipe()
    try:
        process = subprocess.Popen([TGMON] + [a.format(dir=target) for a in argv], stdin=read,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert waiting_in(process.pid, waits)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=HARD_LIMIT)
    finally:
        os.close(read)
        os.close(write)
        if held is not None:
            os.close(held)
    assert process.returncode == 130, (out, err)
    assert out == b""
    assert_line(err.decode(), "tgmon: interrupted - ")
    assert snapshot(target) == before

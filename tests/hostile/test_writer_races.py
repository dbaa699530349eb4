"""Issue 18, classes 6 and 8, found by the review: writers that race each other.

- ``tgmon refresh`` and ``tgmon example write --force`` read, decide and
  write under the state dir's lock, like ``tgmon state``: a lock that
  ``set-flag`` sets at the same moment survives, every time (200 real races
  each, forked from this process so that both start together; and, to hit
  the window every time, one writer paused right before it writes while
  set-flag runs).
- A lock file an earlier tgmon made 0644 may be open in another user's hands,
  who then holds its flock forever: it is replaced by a new inode (0600), never
  chmodded in place, and every writer goes on.
"""

import json
import os
import random
import select
import subprocess
import sys

import pytest

from tgmon import cli
from tgmon.state import examples, layout
from tgmon.state.lock import LOCK_FILE

from . import writers
from .writers import assert_line, assert_quiet, modes, needs_root, run, state

pytestmark = [pytest.mark.slow, needs_root]

# the corpus' fixtures, found by pytest under these names
other_user, space = writers.other_user, writers.space

ROUNDS = 200


def child(run_it):
    """In a forked child: ``run_it()`` (its output dropped) and exit with its code."""
    code = 99
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        sys.stdout = sys.stderr = open(os.devnull, "w")
        code = run_it()
    finally:
        os._exit(code)


def forked(argv, delay):
    """``tgmon ARGV`` in a child forked from this process, after ``delay`` s; its PID."""
    import time
    pid = os.fork()
    if pid == 0:
        child(lambda: time.sleep(delay) or cli.main(argv))
    return pid


def exit_code(pid):
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def together(*argvs):
    """Run the commands at once, each after a random pause of up to 2 ms (so the
    races fall on every phase of the other writer); their exit codes."""
    pids = [forked(argv, random.uniform(0, 0.002)) for argv in argvs]
    return [exit_code(pid) for pid in pids]


def lock_recorded(target):
    """The update lock is set: its marker exists and status.json expects it."""
    with open(os.path.join(target, "status.json")) as handle:
        expected = json.load(handle)["expected_markers"]["update_lock"]
    return os.path.exists(os.path.join(target, "update-lock")) and expected


def test_refresh_never_writes_over_a_lock_set_meanwhile(space):
    target = os.path.join(space, "state")
    assert_quiet(run("example", "write", "healthy-single", target))
    lost = []
    for round_ in range(ROUNDS):
        assert cli.main(["state", "clear-flag", target, "update-lock"]) == 0
        codes = together(["refresh", target],
                         ["state", "set-flag", target, "update-lock", "--reason", "failed"])
        assert codes == [0, 0], (round_, codes)
        if not lock_recorded(target):
            lost.append(round_)
    assert lost == []


def test_an_example_never_writes_over_a_lock_set_meanwhile(space):
    """example write --force into an example dir while set-flag sets the lock there:
    the example is refused (the lock is set, or tgmon state used the dir), or it is
    written first and the lock set after it - never the lock lost."""
    outcomes = set()
    for round_ in range(ROUNDS):
        target = os.path.join(space, "t%d" % round_)
        assert cli.main(["example", "write", "healthy-single", target]) == 0
        codes = together(["example", "write", "healthy-single", target, "--force"],
                         ["state", "set-flag", target, "update-lock", "--reason", "failed"])
        assert codes[1] == 0 and codes[0] in (0, 2), (round_, codes)
        assert lock_recorded(target), round_
        assert LOCK_FILE in os.listdir(target)      # tgmon state's lock stays: a real state
        outcomes.add(codes[0])
    assert outcomes <= {0, 2}


def paused_before_its_write(argv):
    """``tgmon ARGV`` forked, stopped right before it writes (until ``go`` is closed,
    or 1 s): (PID, a pipe that says it stopped - or closes when it ended - , go)."""
    stopped_r, stopped_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        def pause(write):
            def paused(*args, **kwargs):
                os.write(stopped_w, b"x")
                select.select([go_r], [], [], 1.0)
                return write(*args, **kwargs)
            return paused
        for module in (layout, examples):
            module.write_state_into = pause(module.write_state_into)
        child(lambda: cli.main(argv))
    os.close(stopped_w)
    os.close(go_r)
    return pid, stopped_r, go_w


def refresh_target(space):
    target = os.path.join(space, "state")
    assert cli.main(["state", "init", target, "--node", "tg1", "--role", "single"]) == 0
    return target


def example_target(space):
    target = os.path.join(space, "example")
    assert cli.main(["example", "write", "healthy-single", target]) == 0
    return target


# (id, setup(space) -> dir, the writer paused before its write, its possible exit codes)
PAUSED = [
    ("refresh", refresh_target, ["refresh", "{dir}"], {0}),
    ("example_write_force", example_target,
     ["example", "write", "healthy-single", "{dir}", "--force"], {0}),
    ("example_write_force_other_example", example_target,
     ["example", "write", "reboot-required-single", "{dir}", "--force"], {0}),
]


@pytest.mark.parametrize("setup, argv, codes", [c[1:] for c in PAUSED],
                         ids=[c[0] for c in PAUSED])
def test_set_flag_while_a_writer_is_between_its_check_and_its_write(space, setup, argv,
                                                                     codes):
    """The window of the review's race, hit every time: set-flag waits for the
    paused writer's lock, then sets the lock on what it wrote."""
    target = setup(space)
    pid, stopped, go = paused_before_its_write([a.format(dir=target) for a in argv])
    try:
        assert os.read(stopped, 1) == b"x"
        # set-flag runs to its end while the writer waits (or waits for the writer's
        # lock, which the writer then releases after its pause of 1 s)
        setter = exit_code(forked(["state", "set-flag", target, "update-lock", "--reason",
                                   "failed"], 0))
    finally:
        os.close(go)
        os.close(stopped)
    assert exit_code(pid) in codes
    assert setter == 0
    assert lock_recorded(target)


# ----------------------------------------------------------------- a lock of an earlier tgmon
HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""

OPEN_AS_USER = """
import os, sys
try:
    os.open(sys.argv[1], os.O_RDONLY)
    print("opened")
except PermissionError:
    print("denied")
"""


def as_user(user, script, *args, **kwargs):
    return subprocess.Popen(["setpriv", "--reuid=%d" % user.uid, "--regid=%d" % user.gid,
                             "--clear-groups", sys.executable, "-c", script] + list(args),
                            stdout=subprocess.PIPE, text=True, **kwargs)


SET_LOCK = ["state", "set-flag", "{dir}", "update-lock", "--reason", "failed"]

# (id, the old lock's mode, held by the other user, argv)
LEGACY = [
    ("held_0644_heartbeat", 0o644, True, ["state", "heartbeat", "{dir}"]),
    ("held_0644_set_flag", 0o644, True, SET_LOCK),
    ("held_0604_clear_flag", 0o604, True, ["state", "clear-flag", "{dir}", "update-lock"]),
    ("held_0644_refresh", 0o644, True, ["refresh", "{dir}"]),
    ("free_0644_heartbeat", 0o644, False, ["state", "heartbeat", "{dir}"]),
    ("free_0400_set_flag", 0o400, False, SET_LOCK),
]


@pytest.mark.parametrize("mode, held, argv", [c[1:] for c in LEGACY],
                         ids=[c[0] for c in LEGACY])
def test_a_lock_file_of_an_earlier_tgmon_is_replaced_not_chmodded(space, other_user, mode,
                                                                    held, argv):
    target = state(os.path.join(space, "state"))
    lock = os.path.join(target, LOCK_FILE)
    os.chmod(lock, mode)
    old_inode = os.stat(lock).st_ino
    holder = as_user(other_user, HOLD, lock) if held else None
    try:
        if holder:
            assert holder.stdout.readline() == "held\n"
        done = run(*[a.format(dir=target) for a in argv])
        assert done.code == 0, done
        assert done.err == "", done
        info = os.stat(lock)
        assert info.st_ino != old_inode
        assert modes(target)[LOCK_FILE] == (0o600, 0)
        assert_quiet(run(*[a.format(dir=target) for a in SET_LOCK]))     # and again
        assert os.stat(lock).st_ino == info.st_ino                         # now it stays
        opener = as_user(other_user, OPEN_AS_USER, lock)
        assert opener.communicate(timeout=30)[0] == "denied\n"
    finally:
        if holder:
            holder.kill()
            holder.wait()
    assert os.path.exists(os.path.join(target, "update-lock"))


def test_a_transient_lock_leaves_nothing_and_a_waiting_writer_goes_on(space):
    """refresh in a dir without a lock file makes one and removes it; a set-flag
    waiting on that removed file locks the new one instead (50 real races)."""
    target = os.path.join(space, "copy")
    assert_quiet(run("example", "write", "healthy-single", target))
    lock = os.path.join(target, LOCK_FILE)
    for round_ in range(50):
        assert cli.main(["state", "clear-flag", target, "update-lock"]) == 0
        os.unlink(lock)
        codes = together(["refresh", target], ["state", "set-flag", target, "update-lock"])
        assert codes == [0, 0], (round_, codes)
        assert lock_recorded(target), round_
    os.unlink(lock)
    before = sorted(os.listdir(target))
    done = run("refresh", target)
    assert done.code == 0 and done.err == "", done
    assert_line(done.out, "times moved by")
    assert sorted(os.listdir(target)) == before          # no lock file left behind


def test_a_lock_file_removed_between_open_and_check_is_made_again(space, monkeypatch):
    """Another writer removes its transient lock file right after this one opened it:
    the opened file then has no name (0 links) - make the lock again, never refuse it
    as a file with a wrong number of links (a set-flag failed so, 1 in ~1000 races)."""
    from tgmon.safeio import atomic
    target = os.path.join(space, "unlinked")
    os.mkdir(target)
    real_fstat, calls = os.fstat, []

    def fstat_after_removal(fd):
        if not calls:
            calls.append(fd)
            os.unlink(os.path.join(target, LOCK_FILE))
        return real_fstat(fd)
    with atomic.open_dir(target) as directory:
        os.close(os.open(os.path.join(target, LOCK_FILE), os.O_CREAT | os.O_WRONLY, 0o600))
        monkeypatch.setattr(atomic.os, "fstat", fstat_after_removal)
        fd, made = directory.open_own(LOCK_FILE, 0o600)
        monkeypatch.undo()
        try:
            assert made and calls and os.fstat(fd).st_nlink == 1
        finally:
            os.close(fd)

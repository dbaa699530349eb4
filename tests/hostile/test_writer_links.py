"""Issue 18, class 6: the root writer and links.

``tgmon state`` runs as root in dirs a second, unprivileged user owns or could
have planted links in. Each case sets a trap, runs the installed ``tgmon
state`` as root and asserts the exit code, one clean line, the victim (a
root-owned, passwd-like file) unchanged, and - for a refusal - nothing below
the test's dir changed at all (content, mode, owner, time); for a write, the
modes and owners of what it wrote.
"""

import os
import re
import secrets
import signal
import subprocess
import sys

import pytest

from tgmon.safeio import atomic

from . import writers
from .writers import (Victim, assert_quiet, assert_refused, modes, needs_root, run, snapshot,
                      state)

pytestmark = [pytest.mark.slow, needs_root]

# the corpus' fixtures, found by pytest under these names
other_user, space = writers.other_user, writers.space

WRITTEN = {".": (0o755, 0), "status.json": (0o644, 0), ".tgmon-state.lock": (0o600, 0)}


class Trap:
    """The test's dir, the second user, the victim, and the state dir under attack."""

    def __init__(self, space, user):
        self.space, self.user = space, user
        self.victim = Victim(self.at("passwd"))
        self.dir = self.at("state")

    def at(self, *parts):
        return os.path.join(self.space, *parts)

    def inside(self, name):
        return os.path.join(self.dir, name)

    def plant_symlink(self, name, target=None):
        path = self.inside(name)
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(target or self.victim.path, path)
        self.user.own(path)

    def plant_hardlink(self, name):
        path = self.inside(name)
        if os.path.lexists(path):
            os.unlink(path)
        os.link(self.victim.path, path)

    def plant_fifo(self, name):
        path = self.inside(name)
        if os.path.lexists(path):
            os.unlink(path)
        os.mkfifo(path)
        self.user.own(path)


def dead_pid():
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def temp_name(pid=None):
    return "%s%d.%s" % (atomic.TEMP_PREFIX, pid or dead_pid(), secrets.token_hex(8))


# ----------------------------------------------------------------- setups
def user_dir(*plants):
    """A state made by root, then the dir given to the second user, who plants."""
    def setup(trap):
        state(trap.dir)
        os.chown(trap.dir, trap.user.uid, trap.user.gid)
        for plant in plants:
            plant(trap)
    return setup


def trusted_dir(*plants):
    """A state in a root-owned dir 0755, with something planted in it before."""
    def setup(trap):
        state(trap.dir)
        for plant in plants:
            plant(trap)
    return setup


def symlink(name, target=None):
    return lambda trap: trap.plant_symlink(name, target and trap.at(target))


def hardlink(name):
    return lambda trap: trap.plant_hardlink(name)


def fifo(name):
    return lambda trap: trap.plant_fifo(name if name != "temp" else temp_name())


def owned_file(name):
    def plant(trap):
        with open(trap.inside(name), "w") as handle:
            handle.write("planted\n")
        trap.user.own(trap.inside(name))
    return plant


def directory_at(name):
    def plant(trap):
        if os.path.lexists(trap.inside(name)):
            os.unlink(trap.inside(name))
        os.mkdir(trap.inside(name))
    return plant


def huge(name, size):
    def plant(trap):
        with open(trap.inside(name), "r+b" if os.path.exists(trap.inside(name)) else "wb") \
                as handle:
            handle.truncate(size)
    return plant


def dir_mode(mode, group=False):
    def setup(trap):
        state(trap.dir)
        if group:
            os.chown(trap.dir, 0, trap.user.gid)
        os.chmod(trap.dir, mode)
    return setup


def parent(mode=0o755, owner=False, init_first=True):
    """The state dir below ``parent/``, which has ``mode`` and (``owner``) is the user's."""
    def setup(trap):
        os.mkdir(trap.at("parent"))
        trap.dir = trap.at("parent", "state")
        if init_first:
            state(trap.dir)
        if owner:
            os.chown(trap.at("parent"), trap.user.uid, trap.user.gid)
        os.chmod(trap.at("parent"), mode)
    return setup


def sticky_with_user_link(link_is_parent):
    """/tmp-like parent (1777, root's) in which the user made a symlink to a root dir."""
    def setup(trap):
        os.mkdir(trap.at("sticky"))
        os.chmod(trap.at("sticky"), 0o1777)
        os.mkdir(trap.at("victimdir"))
        os.symlink(trap.at("victimdir"), trap.at("sticky", "link"))
        trap.user.own(trap.at("sticky", "link"))
        trap.dir = trap.at("sticky", "link", "state") if link_is_parent else \
            trap.at("sticky", "link")
    return setup


def symlink_loop(trap):
    os.symlink("loop", trap.at("loop"))
    trap.dir = trap.at("loop")


def regular_file(trap):
    with open(trap.at("file"), "w") as handle:
        handle.write("x\n")
    trap.dir = trap.at("file")


HEARTBEAT = ["state", "heartbeat", "{dir}"]
INIT_FORCE = ["state", "init", "{dir}", "--node", "tg1", "--role", "single", "--force"]
INIT = INIT_FORCE[:-1]
SET_LOCK = ["state", "set-flag", "{dir}", "update-lock", "--reason", "scheduled update failed"]
SET_WARN = ["state", "set-flag", "{dir}", "warn-flag", "--reason", "Update download failed"]
CLEAR_LOCK = ["state", "clear-flag", "{dir}", "update-lock"]
UPDATE = ["state", "update", "{dir}", "--json", "-"]

OWNED = "is owned by"
OPEN = "is writable by other users"
NOT_OURS = "not a file tgmon wrote"

# (id, setup, argv, words of the one-line refusal)
REFUSED = [
    # a dir the second user owns: refused before anything is opened in it
    ("user_dir", user_dir(), HEARTBEAT, [OWNED, "chown root: "]),
    ("user_dir_status_symlink", user_dir(symlink("status.json")), HEARTBEAT, [OWNED]),
    ("user_dir_marker_hardlink", user_dir(hardlink("update-lock")), SET_LOCK, [OWNED]),
    ("user_dir_lock_symlink", user_dir(symlink(".tgmon-state.lock")), HEARTBEAT, [OWNED]),
    ("user_dir_fifo_at_temp_name", user_dir(fifo("temp")), HEARTBEAT, [OWNED]),
    ("user_dir_init_force", user_dir(symlink("status.json")), INIT_FORCE, [OWNED]),
    ("user_dir_update", user_dir(symlink("update-lock")), UPDATE, [OWNED]),
    ("user_dir_clear_flag", user_dir(symlink("update-lock")), CLEAR_LOCK, [OWNED]),
    ("user_parent_new_state", parent(owner=True, init_first=False), INIT,
     ["/parent is owned by", "chown root: "]),
    ("user_parent_existing_state", parent(owner=True), HEARTBEAT, ["/parent is owned by"]),
    # a dir others may write to (group, world, or sticky as the state dir itself)
    ("dir_group_writable", dir_mode(0o775, group=True), HEARTBEAT, [OPEN, "(mode 0775)",
                                                                    "chmod go-w"]),
    ("dir_world_writable", dir_mode(0o777), SET_LOCK, [OPEN, "(mode 0777)"]),
    ("dir_sticky_world_writable", dir_mode(0o1777), HEARTBEAT, [OPEN, "(mode 1777)"]),
    ("parent_world_writable", parent(0o777, init_first=False), INIT, [OPEN, "/parent is"]),
    ("parent_group_writable", parent(0o775), HEARTBEAT, [OPEN, "(mode 0775)"]),
    # links on the way to the dir
    ("user_symlink_as_state_dir", sticky_with_user_link(False), INIT,
     ["is a symlink owned by"]),
    ("user_symlink_as_parent", sticky_with_user_link(True), INIT, ["is a symlink owned by"]),
    ("symlink_loop_as_state_dir", symlink_loop, INIT, ["more than 40 symlinks"]),
    ("state_dir_is_a_file", regular_file, HEARTBEAT, ["/file is a regular file, not a "
                                                      "directory"]),
    ("state_dir_below_a_file", lambda trap: (regular_file(trap), setattr(
        trap, "dir", trap.at("file", "state"))), INIT, ["/file is a regular file"]),
    # planted in a root-owned dir: read as the writer's own files only, never through
    ("status_symlink", trusted_dir(symlink("status.json")), HEARTBEAT,
     ["status.json is a symlink", NOT_OURS]),
    ("status_hardlink", trusted_dir(hardlink("status.json")), HEARTBEAT,
     ["status.json has 2 hard links"]),
    ("status_fifo", trusted_dir(fifo("status.json")), HEARTBEAT, ["is a FIFO", NOT_OURS]),
    ("status_huge", trusted_dir(huge("status.json", 50 * 1024 * 1024)), HEARTBEAT,
     ["status.json is 52428800 bytes, more than the 1048576 allowed"]),
    ("marker_huge", trusted_dir(huge("update-lock", 10 * 1024 * 1024)), SET_WARN,
     ["update-lock is 10485760 bytes, more than the 65536 allowed"]),
    ("status_owned_by_user", trusted_dir(owned_file("status.json")), UPDATE, [OWNED]),
    ("marker_symlink", trusted_dir(symlink("update-lock")), SET_WARN,
     ["update-lock is a symlink"]),
    ("marker_symlink_clear", trusted_dir(symlink("update-warn-flag")), CLEAR_LOCK,
     ["update-warn-flag is a symlink"]),
    ("marker_hardlink", trusted_dir(hardlink("reboot-required")), SET_LOCK,
     ["reboot-required has 2 hard links"]),
    ("marker_owned_by_user", trusted_dir(owned_file("update-lock")), HEARTBEAT, [OWNED]),
    ("marker_fifo", trusted_dir(fifo("update-warn-flag")), HEARTBEAT, ["is a FIFO"]),
    ("marker_directory", trusted_dir(directory_at("update-lock")), HEARTBEAT,
     ["is a directory"]),
    ("lock_symlink", trusted_dir(symlink(".tgmon-state.lock")), HEARTBEAT,
     [".tgmon-state.lock is a symlink"]),
    ("lock_dangling_symlink", trusted_dir(symlink(".tgmon-state.lock", "nowhere")), SET_LOCK,
     [".tgmon-state.lock is a symlink"]),
    ("lock_hardlink", trusted_dir(hardlink(".tgmon-state.lock")), HEARTBEAT,
     ["has 2 hard links"]),
    ("lock_fifo", trusted_dir(fifo(".tgmon-state.lock")), HEARTBEAT, ["is a FIFO"]),
    ("lock_owned_by_user", trusted_dir(owned_file(".tgmon-state.lock")), HEARTBEAT, [OWNED]),
    ("lock_directory", trusted_dir(directory_at(".tgmon-state.lock")), HEARTBEAT,
     ["is a directory"]),
]


@pytest.mark.parametrize("setup, argv, words", [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_a_trap_is_refused_in_one_line_and_nothing_changes(space, other_user, setup, argv,
                                                           words):
    trap = Trap(space, other_user)
    setup(trap)
    before = snapshot(space)
    done = run(*[a.format(dir=trap.dir) for a in argv],
               stdin='{"active_sessions": 3}' if "update" in argv else None)
    assert_refused(done, *words)
    trap.victim.assert_unchanged()
    assert snapshot(space) == before


def replaced_status(trap):
    """A planted status.json was replaced (renamed over), not written through."""
    assert os.path.isfile(trap.inside("status.json"))
    assert not os.path.islink(trap.inside("status.json"))
    assert os.stat(trap.inside("status.json")).st_nlink == 1


def removed(name_of):
    def check(trap):
        assert name_of(trap) not in os.listdir(trap.dir), os.listdir(trap.dir)
    return check


def planted_temp(kind):
    def plant(trap):
        trap.planted = temp_name()
        path = trap.inside(trap.planted)
        if kind == "file":
            with open(path, "w") as handle:
                handle.write('{"half": ')
        elif kind == "fifo":
            os.mkfifo(path)
        else:
            os.symlink(trap.victim.path, path)
    return plant


LOOKALIKE = ".tgmon-tmp.notapid"
TEMP_NAME = re.compile(r"\.tgmon-tmp\.\d+\.[0-9a-f]{16}$")


def kept_lookalike(trap):
    with open(trap.inside(LOOKALIKE), "w") as handle:
        handle.write("x")


def lookalike_kept(trap):
    assert os.path.isfile(trap.inside(LOOKALIKE))


def new_dirs_0755(trap):
    for path in (trap.at("a"), trap.at("a", "b")):
        assert modes(path)["."] == (0o755, 0), path


def sticky_parent(trap):
    os.mkdir(trap.at("tmp"))
    os.chmod(trap.at("tmp"), 0o1777)
    trap.dir = trap.at("tmp", "state")


def root_link_to_dir(trap):
    os.mkdir(trap.at("real"))
    os.symlink(trap.at("real"), trap.at("link"))
    trap.dir = trap.at("link")


def written_through_link(trap):
    assert os.path.isfile(trap.at("real", "status.json"))
    assert os.path.islink(trap.at("link"))


def nested(trap):
    trap.dir = trap.at("a", "b", "c")


# (id, setup, argv, umask, check after): the write happens, safely
WRITES = [
    ("status_symlink_replaced_by_init_force", trusted_dir(symlink("status.json")), INIT_FORCE,
     None, replaced_status),
    ("status_hardlink_replaced_by_init_force", trusted_dir(hardlink("status.json")),
     INIT_FORCE, None, replaced_status),
    ("leftover_temp_of_a_dead_writer", trusted_dir(planted_temp("file")), HEARTBEAT, None,
     removed(lambda trap: trap.planted)),
    ("leftover_fifo_at_a_temp_name", trusted_dir(planted_temp("fifo")), HEARTBEAT, None,
     removed(lambda trap: trap.planted)),
    ("leftover_symlink_at_a_temp_name", trusted_dir(planted_temp("symlink")), SET_LOCK, None,
     removed(lambda trap: trap.planted)),
    ("lookalike_temp_name_kept", trusted_dir(kept_lookalike), HEARTBEAT, None,
     lookalike_kept),
    ("umask_077", lambda trap: None, INIT, 0o077, None),
    ("umask_000", lambda trap: None, INIT, 0o000, None),
    ("umask_077_nested_new_dirs", nested, INIT, 0o077, new_dirs_0755),
    ("umask_000_nested_new_dirs", nested, INIT, 0o000, new_dirs_0755),
    ("sticky_parent_is_fine", sticky_parent, INIT, None, None),
    ("root_symlink_to_the_dir_is_followed", root_link_to_dir, INIT, None,
     written_through_link),
]


@pytest.mark.parametrize("setup, argv, umask, after", [c[1:] for c in WRITES],
                         ids=[c[0] for c in WRITES])
def test_a_write_replaces_by_rename_with_explicit_modes(space, other_user, setup, argv, umask,
                                                        after):
    trap = Trap(space, other_user)
    setup(trap)
    assert_quiet(run(*[a.format(dir=trap.dir) for a in argv], umask=umask))
    again = run("state", "set-flag", trap.dir, "reboot-required", "--line", "linux-image-6.12",
                umask=umask)
    assert_quiet(again)
    got = modes(trap.dir)
    assert {k: v for k, v in got.items() if k in WRITTEN} == WRITTEN
    assert got["reboot-required"] == (0o644, 0)
    assert not [name for name in got if TEMP_NAME.match(name)], got
    trap.victim.assert_unchanged()
    if after:
        after(trap)


def test_the_second_user_writes_its_own_dir_and_root_then_refuses_it(space, other_user):
    """A non-root writer: its own dir is fine (its files, its lock 0600); as root the
    same dir is another user's and refused."""
    home = os.path.join(space, "home")
    os.mkdir(home)
    os.chown(home, other_user.uid, other_user.gid)
    target = os.path.join(home, "state")
    assert_quiet(run("state", "init", target, "--node", "tg1", "--role", "single",
                     user=other_user))
    assert_quiet(run("state", "set-flag", target, "update-lock", user=other_user))
    assert modes(target) == {".": (0o755, other_user.uid),
                             "status.json": (0o644, other_user.uid),
                             "update-lock": (0o644, other_user.uid),
                             ".tgmon-state.lock": (0o600, other_user.uid)}
    before = snapshot(space)
    assert_refused(run("state", "heartbeat", target), OWNED, other_user.name)
    assert snapshot(space) == before


KILLED_WRITER = """
import os, signal, sys
from tgmon.safeio.atomic import open_dir
directory = open_dir(sys.argv[1])
directory.stage("status.json", b'{"schema": "tgmon/1", "half')
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_temp_file_of_a_killed_writer_goes_with_the_next_write(space, other_user):
    trap = Trap(space, other_user)
    state(trap.dir)
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITER, trap.dir], timeout=30)
    assert killed.returncode == -signal.SIGKILL
    left = [n for n in os.listdir(trap.dir) if TEMP_NAME.match(n)]
    assert len(left) == 1, os.listdir(trap.dir)
    assert_quiet(run("state", "heartbeat", trap.dir))
    assert sorted(os.listdir(trap.dir)) == [".tgmon-state.lock", "status.json"]


def test_a_dir_replaced_after_the_check_is_not_followed(space, other_user, monkeypatch):
    """Between the check and the write, the checked dir is moved away and a symlink
    to another dir put in its place: the write still lands in the checked dir
    (it is held open), never in the link's target."""
    from tgmon.state import examples
    from tgmon.state.layout import write_state
    trap = Trap(space, other_user)
    os.mkdir(trap.at("elsewhere"))
    stage = atomic.SafeDir.stage
    swapped = []

    def swap_then_stage(self, *args, **kwargs):
        if not swapped:
            os.rename(trap.dir, trap.at("moved"))
            os.symlink(trap.at("elsewhere"), trap.dir)
            swapped.append(True)
        return stage(self, *args, **kwargs)
    monkeypatch.setattr(atomic.SafeDir, "stage", swap_then_stage)
    write_state(trap.dir, examples.build("update-locked-cluster-node"))
    assert swapped
    assert os.listdir(trap.at("elsewhere")) == []
    assert sorted(os.listdir(trap.at("moved"))) == ["status.json", "update-lock",
                                                     "update-warn-flag"]


def test_a_temp_name_taken_is_skipped_never_opened(space, other_user, monkeypatch):
    """A FIFO (or link) planted at the very temp name the writer draws: O_EXCL fails,
    it draws another name; the FIFO is never opened (a write would block)."""
    from tgmon.state import examples
    from tgmon.state.layout import write_state
    trap = Trap(space, other_user)
    os.mkdir(trap.dir)
    names = iter(["a" * 16, "a" * 16, "b" * 16] + [secrets.token_hex(8) for _ in range(10)])
    monkeypatch.setattr(atomic.secrets, "token_hex", lambda n: next(names))
    planted = trap.inside("%s%d.%s" % (atomic.TEMP_PREFIX, os.getpid(), "a" * 16))
    os.mkfifo(planted)
    write_state(trap.dir, examples.build("healthy-single"))
    assert os.path.exists(planted)        # ours (this PID, young): left alone, never opened
    assert sorted(n for n in os.listdir(trap.dir) if n != os.path.basename(planted)) == [
        "status.json"]

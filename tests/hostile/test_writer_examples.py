"""Issue 18, class 8: never overwrite a real state.

``tgmon example write`` / ``write-all`` write only into a new or empty dir;
``--force`` replaces only a dir that holds an example written before
(its ``.tgmon-example`` stamp and the state files, nothing else), and never
clears a set update lock or warn flag. ``tgmon refresh`` reads and writes only
DIR's own files: a planted link is refused, its target never copied. The
simulator writes through the same safe writer.
"""

import os

import pytest

from tgmon.state import examples
from tgmon.state.layout import write_state

from helpers import ROOT

from .harness import TGMON
from . import writers
from .writers import (Victim, assert_line, assert_quiet, assert_refused, modes, needs_root,
                      run, snapshot, state)

pytestmark = [pytest.mark.slow, needs_root]

# the corpus' fixtures, found by pytest under these names
other_user, space = writers.other_user, writers.space

STAMP = examples.STAMP


def real_state(space):
    """An appliance's state as tgmon state keeps it: lock file, update lock set."""
    target = state(os.path.join(space, "t"))
    assert_quiet(run("state", "set-flag", target, "update-lock", "--reason", "run failed"))
    return target


def real_state_of_another_writer(space):
    """A real state written by a writer of its own (no lock file, no stamp): locked."""
    target = os.path.join(space, "t")
    write_state(target, examples.build("update-locked-cluster-node"))
    return target


def example_dir(name, *extra):
    def setup(space):
        target = os.path.join(space, "t")
        assert_quiet(run("example", "write", name, target))
        for add in extra:
            add(target)
        return target
    return setup


def one_more_file(target):
    with open(os.path.join(target, "notes.txt"), "w") as handle:
        handle.write("mine\n")


def stamp_as_symlink(target):
    os.unlink(os.path.join(target, STAMP))
    os.symlink("/etc/hostname", os.path.join(target, STAMP))


def unrelated_dir(space):
    target = os.path.join(space, "t")
    os.mkdir(target)
    one_more_file(target)
    return target


def state_lock_file(target):
    open(os.path.join(target, ".tgmon-state.lock"), "w").close()


def user_owned_example(user):
    def setup(space):
        target = example_dir("healthy-single")(space)
        os.chown(target, user.uid, user.gid)
        return target
    return setup


WRITE = ["example", "write", "healthy-single", "{dir}"]
FORCE = WRITE + ["--force"]

# (id, setup(space) -> target dir, argv, words)
REFUSED = [
    ("real_state", real_state, WRITE, ["is not empty"]),
    ("real_state_force", real_state, FORCE, ["holds more than an example's files"]),
    ("other_writers_locked_state_force", real_state_of_another_writer, FORCE,
     ["holds more than an example's files", "a real state is never replaced"]),
    ("unrelated_files", unrelated_dir, WRITE, ["is not empty"]),
    ("unrelated_files_force", unrelated_dir, FORCE, ["holds more than an example's files"]),
    ("example_plus_a_file_force", example_dir("healthy-single", one_more_file), FORCE,
     ["holds more than an example's files"]),
    ("example_without_force", example_dir("healthy-single"), WRITE, ["is not empty"]),
    ("example_used_by_tgmon_state_force", example_dir("healthy-single", state_lock_file),
     FORCE, ["holds more than an example's files"]),
    ("lock_set_would_be_cleared", example_dir("update-locked-cluster-node"), FORCE,
     ["has its update-warn-flag and update-lock set; the example would clear them"]),
    ("warn_flag_set_would_be_cleared", example_dir("download-failed-single"), FORCE,
     ["has its update-warn-flag set; the example would clear it"]),
    ("stamp_is_a_symlink", example_dir("healthy-single", stamp_as_symlink), FORCE,
     [".tgmon-example is a symlink"]),
    ("write_all_into_a_real_state", real_state, ["example", "write-all", "{dir}"],
     ["is not empty"]),
    ("write_all_into_unrelated_files", unrelated_dir, ["example", "write-all", "{dir}"],
     ["is not empty"]),
    ("unknown_example", lambda space: os.path.join(space, "t"),
     ["example", "write", "healthy-singel", "{dir}"], ["no example named healthy-singel"]),
]


@pytest.mark.parametrize("setup, argv, words", [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_an_example_never_replaces_what_is_not_an_example(space, setup, argv, words):
    target = setup(space)
    before = snapshot(space)
    assert_refused(run(*[a.format(dir=target) for a in argv]), *words)
    assert snapshot(space) == before


def test_an_example_in_a_dir_of_another_user_is_refused(space, other_user):
    target = user_owned_example(other_user)(space)
    before = snapshot(space)
    assert_refused(run(*[a.format(dir=target) for a in FORCE]), "is owned by")
    assert snapshot(space) == before


def files(target):
    return sorted(os.listdir(target))


# (id, setup(space) -> target, argv, the files after)
WRITTEN = [
    ("new_dir", lambda space: os.path.join(space, "t"), WRITE, [STAMP, "status.json"]),
    ("empty_dir", lambda space: (os.mkdir(os.path.join(space, "t")), os.path.join(
        space, "t"))[1], WRITE, [STAMP, "status.json"]),
    ("same_example_again_force", example_dir("healthy-single"), FORCE, [STAMP, "status.json"]),
    ("locked_example_by_locked_force", example_dir("update-locked-cluster-node"),
     ["example", "write", "update-locked-cluster-node", "{dir}", "--force"],
     [STAMP, "status.json", "update-lock", "update-warn-flag"]),
    ("healthy_by_download_failed_force", example_dir("healthy-single"),
     ["example", "write", "download-failed-single", "{dir}", "--force"],
     [STAMP, "status.json", "update-warn-flag"]),
    ("reboot_marker_may_go", example_dir("reboot-required-single"), FORCE,
     [STAMP, "status.json"]),
]


@pytest.mark.parametrize("setup, argv, after", [c[1:] for c in WRITTEN],
                         ids=[c[0] for c in WRITTEN])
def test_an_example_is_written_where_it_may_be(space, setup, argv, after):
    target = setup(space)
    assert_quiet(run(*[a.format(dir=target) for a in argv], umask=0o077))
    assert files(target) == after
    assert set(modes(target).values()) == {(0o755, 0), (0o644, 0)}
    with open(os.path.join(target, STAMP)) as handle:
        assert handle.read() == argv[2] + "\n"


def test_write_all_refuses_before_it_writes_anything(space):
    """write-all --force over examples written before, one of which became a real
    state meanwhile: refused, and no other example dir changed either."""
    target = os.path.join(space, "all")
    assert_quiet(run("example", "write-all", target))
    assert files(target) == sorted(examples.EXAMPLES)
    state_lock_file(os.path.join(target, "releases-behind-single"))
    before = snapshot(space)
    assert_refused(run("example", "write-all", target, "--force"),
                   "releases-behind-single holds more than an example's files")
    assert snapshot(space) == before
    os.unlink(os.path.join(target, "releases-behind-single", ".tgmon-state.lock"))
    assert_quiet(run("example", "write-all", target, "--force"))


# ----------------------------------------------------------------- refresh
def copied_example(*plants):
    def setup(space, victim):
        target = os.path.join(space, "copy")
        write_state(target, examples.build("download-failed-single"))
        for plant in plants:
            plant(target, victim)
        return target
    return setup


def link(name):
    def plant(target, victim):
        os.unlink(os.path.join(target, name)) if os.path.lexists(os.path.join(target, name)) \
            else None
        os.symlink(victim.path, os.path.join(target, name))
    return plant


def hard(name):
    def plant(target, victim):
        if os.path.lexists(os.path.join(target, name)):
            os.unlink(os.path.join(target, name))
        os.link(victim.path, os.path.join(target, name))
    return plant


def owned_by(user):
    def plant(target, victim):
        os.chown(target, user.uid, user.gid)
    return plant


REFRESH_REFUSED = [
    ("marker_symlink_to_victim", copied_example(link("update-lock")),
     ["update-lock is a symlink"]),
    ("warn_flag_symlink_to_victim", copied_example(link("update-warn-flag")),
     ["update-warn-flag is a symlink"]),
    ("status_symlink_to_victim", copied_example(link("status.json")),
     ["status.json is a symlink"]),
    ("marker_hardlink_to_victim", copied_example(hard("reboot-required")),
     ["reboot-required has 2 hard links"]),
    ("status_hardlink_to_victim", copied_example(hard("status.json")),
     ["status.json has 2 hard links"]),
]


@pytest.mark.parametrize("setup, words", [c[1:] for c in REFRESH_REFUSED],
                         ids=[c[0] for c in REFRESH_REFUSED])
def test_refresh_never_reads_through_a_link(space, setup, words):
    """Root copying the victim's lines into a world-readable marker is what this stops."""
    victim = Victim(os.path.join(space, "shadow"))
    target = setup(space, victim)
    before = snapshot(space)
    assert_refused(run("refresh", target), *words)
    assert snapshot(space) == before
    victim.assert_unchanged()


def test_refresh_in_a_dir_of_another_user_is_refused(space, other_user):
    victim = Victim(os.path.join(space, "shadow"))
    target = copied_example(owned_by(other_user))(space, victim)
    before = snapshot(space)
    assert_refused(run("refresh", target), "is owned by", "chown root: ")
    assert snapshot(space) == before


def test_refresh_moves_a_copied_example_to_now(space):
    target = os.path.join(space, "copy")
    write_state(target, examples.build("download-failed-single"))
    done = run("refresh", target, umask=0o077)
    assert done.code == 0 and done.err == "", done
    assert_line(done.out, "%s: times moved by " % target, "; generated is now ")
    assert files(target) == ["status.json", "update-warn-flag"]
    assert set(modes(target).values()) == {(0o755, 0), (0o644, 0)}
    assert_quiet(run("state", "heartbeat", target))      # a state tgmon state accepts


def test_the_simulator_writes_through_the_safe_writer(space, other_user):
    """tgmon-sim run --state-dir into a dir another user owns: one line, nothing written."""
    sim = os.path.join(os.path.dirname(TGMON), "tgmon-sim")
    target = os.path.join(space, "sim")
    os.mkdir(target)
    os.chown(target, other_user.uid, other_user.gid)
    before = snapshot(space)
    done = run("run", os.path.join(ROOT, "scenarios", "happy-scheduled-single.yml"),
               "--until", "2026-11-17T12:00:00+01:00", "--state-dir", target, command=sim)
    assert done.code == 2 and done.out == "", done
    assert_line(done.err, "tgmon-sim: %s is owned by %s" % (target, other_user.name))
    assert snapshot(space) == before

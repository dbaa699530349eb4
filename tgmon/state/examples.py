"""The example states of ``examples/states/``, built relative to an instant.

One source for the shipped example dirs (written at ``EXAMPLE_INSTANT`` by
``tgmon example write-all``) and for the demo, which writes them relative
to *now* so that they are fresh and the marker files' mtimes tell the truth.
``write_example`` never overwrites a real state (docs/state-format.rst).
"""

import os
from datetime import datetime, timedelta, timezone

from ..safeio.atomic import TEMP_PREFIX, WriteError, explain, open_dir

from .model import (
    ClusterSettings, FailureSwitchOff, Flags, Hotfix, Hotfixes, Maintenance,
    Marker, MARKER_UNSET, Node, Release, Releases, Schedule, ScheduledDownload,
    ScheduledUpdate, SCHEMA, State, UpdateRun, UpdateServer)
from .layout import MARKER_FILES, STATUS_FILE, write_state_into

CET = timezone(timedelta(hours=1), "CET")
# The instant the shipped example dirs are written at (a Sunday morning).
EXAMPLE_INSTANT = datetime(2026, 11, 15, 6, 0, tzinfo=CET)

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def _base(now, name, role):
    """Up to date, no flags, no maintenance: the healthy node."""
    cluster = ClusterSettings(False, 1, True) if role == "cluster-node" else None
    last_run_start = now - 5 * DAY - 3 * HOUR  # last Tuesday 03:00
    return State(
        schema=SCHEMA, generated=now,
        node=Node(name, role, "tgc-berlin" if cluster else None),
        releases=Releases("4.11", now - 40 * DAY, (
            Release("4.11", now - 47 * DAY, True),)),
        update_server=UpdateServer(now - 2 * HOUR, True, now - 2 * HOUR,
                                   last_run_start - HOUR),
        hotfixes=Hotfixes((), (Hotfix("HF-4.11-03", "Firefox ESR 140.5 browser update",
                                      now - 9 * DAY),), True),
        schedule=Schedule(ScheduledDownload(True, "tuesday", "01:30", "02:45"),
                          ScheduledUpdate(True, "tuesday", "03:00"), None),
        cluster=cluster,
        maintenance=Maintenance(False, None, None, False, None),
        vnc_login_disabled=False,
        last_update_run=UpdateRun("scheduled", last_run_start,
                                  last_run_start + 10 * 60 * timedelta(seconds=1),
                                  "no-updates", "no updates available"),
        active_sessions=17,
        flags=Flags(MARKER_UNSET, MARKER_UNSET, MARKER_UNSET),
        origin="example")


def healthy_single(now):
    return _base(now, "tg-single", "single")


def healthy_cluster_node(now):
    return _base(now, "tg-node1", "cluster-node")


def download_failed_single(now):
    """First download round failed (R5): warn flag set, release pending."""
    state = _base(now, "tg-single", "single")
    return state._replace(
        releases=state.releases._replace(available=state.releases.available + (
            Release("4.12", now - 3 * DAY, False),)),
        flags=state.flags._replace(warn_flag=Marker(
            True, now - 4 * HOUR,
            ("10 download attempts failed: update server unreachable (connection timed out)",))))


def releases_behind_single(now):
    """Two releases not installed (R17): must catch up from oldstable."""
    state = _base(now, "tg-single", "single")
    return state._replace(
        releases=Releases("4.10", now - 160 * DAY, (
            Release("4.11", now - 47 * DAY, True),
            Release("4.12", now - 3 * DAY, False))))


def update_locked_cluster_node(now):
    """Both download rounds failed on a cluster node (R6, R7, R9)."""
    state = _base(now, "tg-node2", "cluster-node")
    failed_at = now - 3 * HOUR
    return state._replace(
        releases=state.releases._replace(available=state.releases.available + (
            Release("4.12", now - 3 * DAY, False),)),
        schedule=Schedule(ScheduledDownload(False, "tuesday", "01:30", "02:45"),
                          ScheduledUpdate(False, "tuesday", "03:00"),
                          FailureSwitchOff(failed_at, "download failed in both rounds")),
        cluster=state.cluster._replace(in_load_balancing=False),
        maintenance=Maintenance(True, failed_at, "update download failed",
                                True, None),
        last_update_run=UpdateRun("scheduled", failed_at, failed_at, "failed",
                                  "download of the update files failed (20 attempts)"),
        active_sessions=0,
        flags=state.flags._replace(
            warn_flag=Marker(True, now - 4 * HOUR,
                             ("10 download attempts failed: update server unreachable",)),
            update_lock=Marker(True, failed_at,
                               ("scheduled update failed: download failed in both rounds",))))


def reboot_required_single(now):
    """An Auto-Update installed a kernel update (R13)."""
    state = _base(now, "tg-single", "single")
    run_start = now - 6 * HOUR
    return state._replace(
        releases=Releases("4.12", run_start + HOUR, (
            Release("4.11", now - 47 * DAY, True),
            Release("4.12", now - 3 * DAY, True))),
        last_update_run=UpdateRun("auto-update", run_start, run_start + HOUR, "ok",
                                  "4.12 installed; reboot required"),
        flags=state.flags._replace(reboot_required=Marker(
            True, run_start + HOUR, ("linux-image-6.12.48-tgpro", "linux-headers-6.12.48-tgpro"))))


EXAMPLES = {
    "healthy-single": healthy_single,
    "healthy-cluster-node": healthy_cluster_node,
    "download-failed-single": download_failed_single,
    "releases-behind-single": releases_behind_single,
    "update-locked-cluster-node": update_locked_cluster_node,
    "reboot-required-single": reboot_required_single,
}


def build(name, now=None):
    """Example ``name`` as written at EXAMPLE_INSTANT (a Sunday morning), or moved to
    ``now`` as a whole - its weekly schedule too, so that its last run still fell
    on its scheduled weekday and time."""
    state = EXAMPLES[name](EXAMPLE_INSTANT)
    if now is None or now == EXAMPLE_INSTANT:
        return state
    from .lifecycle import shift_state
    return shift_state(state, now - EXAMPLE_INSTANT)


# ---------------------------------------------------------------- writing them
# Marks a dir as written by ``tgmon example``: only such a dir, holding nothing
# but an example's files, may be replaced (--force). A real state never has it.
STAMP = ".tgmon-example"
# markers no example may clear: an alarm must not turn into an OK
ALARMS = ("warn_flag", "update_lock")


def write_example(name, path, now=None, force=False):
    """Write example ``name`` into ``path`` (created when missing), as of ``now``.

    ``path`` must be new or empty; with ``force`` it may hold an example written
    before, and nothing else. A set update lock or warn flag is never replaced
    by an example without it: no example turns a real alarm into an OK."""
    write_examples({path: name}, now, force)


def write_all(target, force=False):
    """Every example at EXAMPLE_INSTANT into ``target``/NAME; ``target`` must be new or
    empty, or (``force``) hold only example dirs written before."""
    if not force:
        try:
            with open_dir(target) as directory:
                if directory.names():
                    raise WriteError("%s is not empty" % target, "choose a new or empty dir; "
                                     "--force replaces the examples written there before")
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise explain(exc, target) from None
    write_examples({os.path.join(target, name): name for name in EXAMPLES}, None, force)


def write_examples(targets, now, force):
    """{dir: example name}: every dir checked first, then written - so a refusal
    writes nothing."""
    states, opened = {path: build(name, now) for path, name in targets.items()}, []
    try:
        try:
            for path in targets:
                opened.append(open_dir(path, create=True))
                _replaceable(opened[-1], states[path], force)
            for directory, path in zip(opened, targets):
                write_state_into(directory, states[path])
                directory.commit(directory.stage(STAMP, (targets[path] + "\n").encode()), STAMP)
                directory.sync()
        except OSError as exc:
            raise explain(exc, path) from None
    finally:
        for directory in opened:
            directory.close()


def _replaceable(directory, state, force):
    """WriteError unless ``directory`` may receive ``state`` (see write_example)."""
    present = {name for name in directory.names() if not name.startswith(TEMP_PREFIX)}
    if not present:
        return
    if not force:
        raise WriteError("%s is not empty" % directory.path,
                         "choose a new or empty dir; --force replaces an example written "
                         "there before")
    ours = {STATUS_FILE, STAMP} | {filename for _, filename in MARKER_FILES}
    if STAMP not in present or present - ours:
        raise WriteError("%s holds more than an example's files: a real state is never "
                         "replaced by an example" % directory.path, "choose another dir")
    directory.read(STAMP, 256)      # refuses a planted link as the stamp
    cleared = [filename for (field, filename), marker in zip(MARKER_FILES, state.flags)
               if field in ALARMS and directory.lstat(filename) and not marker.is_set]
    if cleared:
        raise WriteError("%s has its %s set; the example would clear %s"
                         % (directory.path, " and ".join(cleared),
                            "them" if len(cleared) > 1 else "it"),
                         "remove the dir first, or choose another one")

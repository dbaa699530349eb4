"""The state dir's format, in one place: its files, how it is written, its remote form.

    STATE_DIR/
      status.json        schema "tgmon/1", replaced atomically, written last
      update-warn-flag   marker: exists = set; mtime = since; lines = reason
      update-lock        marker: exists = set; mtime = since; lines = reason
      reboot-required    marker: exists = set; mtime = since; lines = packages

A state is four files, each replaced atomically. ``write_state`` stages all
of them, renames the markers and then status.json, and records in
status.json's ``expected_markers`` which markers go with it, so a reader
that catches a writer in between can tell (``markers_agree``) and read again.
A state whose status.json would be larger than a reader reads
(``MAX_STATUS_BYTES``) is refused before anything is written.

The remote form (``GET /v1/status``) is status.json plus a ``flags`` object
built from the markers. The documentation is docs/state-format.rst.
"""

import json
import os
import signal
from contextlib import contextmanager

from .fields import MAX_DOCUMENT_BYTES
from .model import record

DEFAULT_STATE_DIR = "/var/lib/tgmon"
STATUS_FILE = "status.json"
# (field of model.Flags, file name)
MARKER_FILES = (("warn_flag", "update-warn-flag"),
                ("update_lock", "update-lock"),
                ("reboot_required", "reboot-required"))


# what a reader reads of a state file is what a writer may write (state/fields.py)
MAX_STATUS_BYTES = MAX_DOCUMENT_BYTES


StatePaths = record("StatePaths", "status " + " ".join(name for name, _ in MARKER_FILES))


def paths_for(state_dir, overrides=None):
    """The four paths of a state dir; ``overrides`` maps names to other paths (--config files:)."""
    overrides = overrides or {}
    paths = {"status": os.path.join(state_dir, STATUS_FILE)}
    for name, filename in MARKER_FILES:
        paths[name] = os.path.join(state_dir, filename)
    paths.update({k: v for k, v in overrides.items() if v})
    return StatePaths(**paths)


# ---------------------------------------------------------------- expected_markers
def expected_markers(flags):
    """The ``expected_markers`` object of status.json: which markers go with it."""
    return {name: marker.is_set for (name, _), marker in zip(MARKER_FILES, flags)}


def markers_agree(document, flags):
    """False when the marker files disagree with status.json's ``expected_markers``
    (a writer is between its renames); True when they agree or it has none."""
    expected = document.get("expected_markers") if isinstance(document, dict) else None
    if not isinstance(expected, dict):
        return True
    return all(expected.get(name) is None or bool(expected.get(name)) == marker.is_set
               for (name, _), marker in zip(MARKER_FILES, flags))


# ---------------------------------------------------------------- writing
def status_bytes(state):
    """status.json's bytes for ``state`` (markers are files, listed in expected_markers)."""
    from .schema import to_document
    document = to_document(state)
    document["expected_markers"] = expected_markers(state.flags)
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def marker_bytes(marker):
    return "".join(line + "\n" for line in marker.lines).encode("utf-8")


def write_state(state_dir, state):
    """Make ``state_dir`` (created when missing) hold ``state``; WriteError when it
    cannot, naming the cause and the fix. The dir is checked and written as
    ``atomic`` does it: no link is ever followed, no other user's dir written."""
    from ..safeio.atomic import open_dir
    from ..safeio.writeerror import explain
    try:
        with open_dir(state_dir, create=True) as directory:
            write_state_into(directory, state)
    except OSError as exc:
        raise explain(exc, state_dir) from None


def write_state_into(directory, state):
    """Write ``state`` into the open ``atomic.SafeDir``: markers set/cleared, then status.json.

    Every file is staged (written and fsynced) first; then the renames run
    back to back, the markers first and status.json, the commit point, last.
    So the moment in which markers and status.json disagree is a few
    microseconds, and readers detect it (``markers_agree``). Temp files a
    killed writer left are removed first. A status.json too large for a
    reader is refused before anything is written (WriteError); a rename that
    fails after a marker changed is ``PartlyWritten``, naming the markers.
    """
    from ..safeio.writeerror import PartlyWritten, WriteError, explain
    status = status_bytes(state)
    if len(status) > MAX_STATUS_BYTES:
        raise WriteError("refused, nothing written: %s would be %d bytes, more than the %d "
                         "a reader reads" % (STATUS_FILE, len(status), MAX_STATUS_BYTES),
                         "send fewer or shorter entries (hotfixes, releases, texts)")
    directory.remove_leftovers()
    staged, removals, changed = [], [], []
    try:
        for (_, filename), marker in zip(MARKER_FILES, state.flags):
            data, mtime = marker_bytes(marker), marker.since.timestamp() if marker.is_set else 0
            if not marker.is_set:
                removals.append(filename)
            elif not _holds(directory, filename, data, mtime):    # as it is: left alone
                staged.append((directory.stage(filename, data, mtime=mtime), filename))
        staged.append((directory.stage(STATUS_FILE, status), STATUS_FILE))
        with _uninterrupted():
            try:
                for tmp, filename in staged[:-1]:
                    was_set = directory.lstat(filename) is not None
                    directory.commit(tmp, filename)
                    changed.append("%s %s" % (filename, "rewritten" if was_set else "set"))
                for filename in removals:
                    if directory.lstat(filename) is not None:
                        directory.remove(filename)
                        changed.append("%s removed" % filename)
                directory.commit(*staged[-1])
            except OSError as exc:
                if not changed:
                    raise
                failed = explain(exc, directory.path)
                raise PartlyWritten("partly written: %s, but not %s: %s"
                                    % (", ".join(changed), STATUS_FILE, failed.cause),
                                    failed.fix) from None
    finally:
        for tmp, _ in staged:
            directory.remove(tmp)     # those not renamed: a failed write leaves no temp file
    directory.sync()


def _holds(directory, filename, data, mtime):
    """The marker file ``filename`` is the writer's own and holds ``data`` since ``mtime``."""
    from ..safeio.writeerror import WriteError
    info = directory.lstat(filename)
    if info is None or info.st_size != len(data) or abs(info.st_mtime - mtime) > 1e-6:
        return False
    try:
        found = directory.read(filename, len(data))
    except WriteError:          # not a file of ours: replaced by rename
        return False
    return found is not None and found[0] == data


def write_marker_into(directory, filename, marker):
    """Set one marker in the open ``atomic.SafeDir``, status.json left as it is
    (for a flag that must be set even where status.json cannot be rewritten)."""
    directory.remove_leftovers()
    tmp = directory.stage(filename, marker_bytes(marker), mtime=marker.since.timestamp())
    try:
        directory.commit(tmp, filename)
    finally:
        directory.remove(tmp)
    directory.sync()


@contextmanager
def _uninterrupted():
    """Ctrl-C, SIGTERM, SIGHUP wait until the renames are done: a state is
    written whole or not at all, never left half-renamed by a signal."""
    signals = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


# ---------------------------------------------------------------- the remote form
def flags_document(flags):
    """The ``flags`` object of the remote form (GET /v1/status)."""
    from ..timeutil import format_timestamp
    return {name: {"set": marker.is_set,
                   "since": format_timestamp(marker.since) if marker.since else None,
                   "lines": list(marker.lines)}
            for (name, _), marker in zip(MARKER_FILES, flags)}


def served_document(document, flags):
    """status.json as read plus the ``flags`` object: what the exporter serves."""
    served = dict(document)
    served["flags"] = flags_document(flags)
    return served


def remote_document(state):
    """A state in the remote form, as if its state dir were served."""
    from .schema import to_document
    document = to_document(state)
    document["expected_markers"] = expected_markers(state.flags)
    return served_document(document, state.flags)

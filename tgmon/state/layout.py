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

The remote form (``GET /v1/status``) is status.json plus a ``flags`` object
built from the markers. The documentation is docs/state-format.rst.
"""

import json
import os

from .model import record

DEFAULT_STATE_DIR = "/var/lib/tgmon"
STATUS_FILE = "status.json"
# (field of model.Flags, file name)
MARKER_FILES = (("warn_flag", "update-warn-flag"),
                ("update_lock", "update-lock"),
                ("reboot_required", "reboot-required"))


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
    from ..safeio.atomic import explain, open_dir
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
    killed writer left are removed first.
    """
    directory.remove_leftovers()
    staged, removals = [], []
    try:
        for (name, filename), marker in zip(MARKER_FILES, state.flags):
            if marker.is_set:
                staged.append((directory.stage(filename, marker_bytes(marker),
                                               mtime=marker.since.timestamp()), filename))
            else:
                removals.append(filename)
        staged.append((directory.stage(STATUS_FILE, status_bytes(state)), STATUS_FILE))
        for tmp, filename in staged[:-1]:
            directory.commit(tmp, filename)
        for filename in removals:
            directory.remove(filename)
        directory.commit(*staged[-1])
    finally:
        for tmp, _ in staged:
            directory.remove(tmp)     # those not renamed: a failed write leaves no temp file
    directory.sync()


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

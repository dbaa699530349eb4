"""Read a state dir: status.json plus the three marker files (SPEC §2).

Only reads. Paths can be moved one by one (``StatePaths``) so that an
appliance's real file locations map without code changes.
"""

import errno
import json
import os
import stat
import time
from datetime import datetime

from ..errors import SourceError
from ..model import Flags, Marker, MARKER_UNSET
from ..schema import SchemaError, parse_status
from ..stateformat import MARKER_FILES, markers_agree
from ..timeutil import UTC

# status.json is a few KB; anything this large is not ours.
MAX_STATUS_BYTES = 4 * 1024 * 1024
MAX_MARKER_BYTES = 64 * 1024
MAX_MARKER_LINES = 50
MAX_LINE_CHARS = 200
CONSISTENT_READ_SECONDS = 0.2

def read_state(paths, origin=None):
    """StatePaths -> State. Raises SourceError with cause and fix."""
    document, flags = read_document(paths)
    return state_from_document(document, flags, paths.status,
                               origin or os.path.dirname(paths.status))


def read_document(paths):
    """StatePaths -> (decoded status.json, Flags): what the exporter serves.

    Each file is replaced atomically by its writer, but a state is four
    files. tgmon's writers replace the markers first and status.json last,
    recording in ``expected_markers`` which markers go with it; a read that
    catches a writer in between (markers disagree) is repeated. A mismatch
    that lasts is no write in progress but a marker changed by someone else
    (the appliance clears its warn flag between two heartbeats): then the
    marker files, which are the truth, count as they are.
    """
    _check_dir(os.path.dirname(paths.status) or ".")
    give_up = time.monotonic() + CONSISTENT_READ_SECONDS
    while True:
        document = decode_status(_read_bytes(paths.status, MAX_STATUS_BYTES,
                                             "the state file"), paths.status)
        flags = Flags(*(read_marker(getattr(paths, name))
                        for name, _ in MARKER_FILES))
        if markers_agree(document, flags) or time.monotonic() > give_up:
            return document, flags
        # a jittered pause, so a reader never falls into step with a writer
        time.sleep((time.monotonic_ns() % 2000) / 1e6)


def decode_status(data, where):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError("%s is not UTF-8 text (binary or corrupted)" % where,
                          "restore it; the writer must emit UTF-8 JSON") from None
    if not text.strip():
        raise SourceError("%s is empty" % where,
                          "the writer died mid-way or never ran; check the exporter/simulator")
    try:
        return json.loads(text)
    except RecursionError:
        raise SourceError("%s is nested too deeply to be a tgmon state" % where,
                          "restore it from the writer") from None
    except ValueError as exc:
        raise SourceError("%s is not valid JSON (%s)" % (where, exc),
                          "restore it; writers replace it atomically, so a "
                          "garbled file means something else wrote it") from None


def state_from_document(document, flags, where, origin):
    try:
        return parse_status(document, flags, origin)
    except SchemaError as exc:
        raise SourceError("%s: %s" % (where, exc),
                          "fix the writer (schema: docs/state-format.rst)") from None
    except RecursionError:
        raise SourceError("%s is nested too deeply" % where, "restore it") from None


def read_marker(path):
    """A marker file -> Marker. Absent = not set; anything odd = SourceError."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return MARKER_UNSET
    except OSError as exc:
        raise _os_error(exc, path, "marker") from None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise SourceError("marker %s is a symlink loop" % path,
                                  "remove the link and let the writer recreate it") from None
            if isinstance(exc, FileNotFoundError):
                raise SourceError("marker %s is a dangling symlink" % path,
                                  "remove the link or restore its target") from None
            raise _os_error(exc, path, "marker") from None
    if not stat.S_ISREG(info.st_mode):
        raise SourceError("marker %s is not a regular file" % path,
                          "remove it; markers are plain files (exists = set)")
    try:
        data = _read_bytes(path, MAX_MARKER_BYTES, "marker", missing_ok=True)
    except FileNotFoundError:   # removed between lstat and open: a writer cleared it
        return MARKER_UNSET
    text = data.decode("utf-8", errors="replace")
    lines = tuple(line.strip()[:MAX_LINE_CHARS] for line in text.splitlines()
                  if line.strip())[:MAX_MARKER_LINES]
    return Marker(True, datetime.fromtimestamp(info.st_mtime, UTC), lines)


def _check_dir(path):
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SourceError("state dir %s does not exist" % path,
                          "check --state-dir, or that the tgmon writer runs on this node") from None
    except OSError as exc:
        raise _os_error(exc, path, "state dir") from None
    if not stat.S_ISDIR(info.st_mode):
        raise SourceError("state dir %s is not a directory" % path,
                          "point --state-dir at the directory holding status.json")


def _read_bytes(path, limit, what, missing_ok=False):
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        if missing_ok:
            raise
        raise SourceError("%s %s does not exist" % (what, path),
                          "check --state-dir, or that the tgmon writer runs on this node") from None
    except OSError as exc:
        raise _os_error(exc, path, what) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SourceError("%s %s is not a regular file" % (what, path),
                              "replace it with the file the writer produces")
        if info.st_size > limit:
            raise SourceError("%s %s is %d bytes, more than the %d a state can be"
                              % (what, path, info.st_size, limit),
                              "something else wrote it; restore it from the writer")
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(65536, remaining))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise SourceError("%s %s grew beyond %d bytes while being read"
                              % (what, path, limit), "restore it from the writer")
        return data
    except OSError as exc:
        raise _os_error(exc, path, what) from None
    finally:
        os.close(fd)


def _os_error(exc, path, what):
    if isinstance(exc, PermissionError):
        return SourceError("permission denied reading %s %s" % (what, path),
                           "let the monitoring user read it (group or ACL), "
                           "or run the check via sudo/agent")
    if exc.errno == errno.ELOOP:
        return SourceError("%s %s is a symlink loop" % (what, path),
                           "remove the link")
    if exc.errno == errno.EISDIR:
        return SourceError("%s %s is a directory" % (what, path),
                           "remove it; the writer recreates the file")
    return SourceError("cannot read %s %s: %s" % (what, path, exc.strerror or exc),
                       "check the file system and the path")

"""Read a state dir: status.json plus the three marker files (SPEC §2).

Only reads, never blocks on a file and never reads more than a state can
be (``safefile``). Paths can be moved one by one (``StatePaths``) so that an
appliance's real file locations map without code changes.
"""

import json
import os
import stat
import time
from datetime import datetime

from ..errors import SourceError
from ..state.model import Flags, Marker, MARKER_UNSET
from ..safeio.files import FileProblem, file_type, problem_of, read_regular
from ..state.schema import MAX_MARKER_LINE, MAX_MARKER_LINES, SchemaError, parse_status
from ..state.layout import MARKER_FILES, marker_lines, markers_agree
from ..timeutil import UTC

# status.json is a few KB; anything this large is not ours.
MAX_STATUS_BYTES = 1024 * 1024
MAX_MARKER_BYTES = 64 * 1024
MAX_JSON_DEPTH = 1000        # the json module's own limit: deeper is a RecursionError
CONSISTENT_READ_SECONDS = 0.2
WRITER_HINT = "check --state-dir and the writer (docs/appliance.rst)"


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
        document = decode_status(read_file(paths.status, MAX_STATUS_BYTES, "the state file"),
                                 paths.status)
        flags = Flags(*(_MARKER_READERS.get(name, read_marker)(getattr(paths, name))
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
                          "restore it from the writer") from None
    if not text.strip():
        raise SourceError("%s is empty" % where,
                          "check the writer on the node")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise SourceError("%s is nested too deeply: more than %d levels, a tgmon state has 5"
                          % (where, MAX_JSON_DEPTH), "restore it from the writer") from None
    except ValueError as exc:
        raise SourceError("%s is not valid JSON (%s)" % (where, _json_problem(exc)),
                          "restore it from the writer") from None


def _json_problem(exc):
    """What the json module says, without quoting the text: where it stopped reading."""
    if "digits" in str(exc):    # Python's limit on converting huge integers
        return "a number has more than %d digits" % _max_digits()
    if isinstance(exc, json.JSONDecodeError):
        if "BOM" in exc.msg:
            return "it starts with a byte order mark"
        return "%s at line %d column %d" % (exc.msg.split(":")[0].lower(), exc.lineno, exc.colno)
    return str(exc)[:60]


def _no_constant(name):
    raise ValueError("%s is not a JSON value" % name)


def _max_digits():
    import sys
    return getattr(sys, "get_int_max_str_digits", lambda: 4300)()


def state_from_document(document, flags, where, origin):
    try:
        return parse_status(document, flags, origin)
    except SchemaError as exc:
        raise SourceError("%s: %s" % (where, exc),
                          "fix the writer") from None
    except RecursionError:
        raise SourceError("%s is nested too deeply" % where, "restore it") from None


def read_marker(path):
    """A marker file -> Marker. Absent = not set; anything odd = SourceError.

    ``since`` is the file's mtime; None when it cannot be a time (beyond the
    calendar), which the checks judge as an unknown age.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return MARKER_UNSET
    except OSError as exc:
        raise _problem(problem_of(exc), path, "marker") from None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except FileNotFoundError:
            raise SourceError("marker %s is a dangling symlink" % path,
                              "remove the link or restore its target") from None
        except OSError as exc:
            raise _problem(problem_of(exc), path, "marker") from None
    if not stat.S_ISREG(info.st_mode):
        raise SourceError("marker %s is %s, not a regular file" % (path, file_type(info.st_mode)),
                          "remove it, markers are plain files")
    try:
        data = read_regular(path, MAX_MARKER_BYTES)
    except FileProblem as exc:
        if exc.kind == "missing":   # removed between lstat and open: a writer cleared it
            return MARKER_UNSET
        raise _problem(exc, path, "marker") from None
    return Marker(True, file_time(info.st_mtime), marker_lines(data))


# Debian's own reboot marker (/var/run/reboot-required, written by the packages'
# postinst scripts) holds this line, not a reason; the packages that asked for
# the reboot are listed in the sibling reboot-required.pkgs.
DEBIAN_REBOOT_BANNER = "*** System restart required ***"


def read_reboot_marker(path):
    """The reboot marker: tgmon's (its lines are packages) or Debian's native one,
    read as Debian writes it: the banner is dropped, the packages come from .pkgs."""
    marker = read_marker(path)
    if not marker.is_set or DEBIAN_REBOOT_BANNER not in marker.lines:
        return marker
    packages = [line for line in marker.lines if line != DEBIAN_REBOOT_BANNER]
    packages += _package_list(path + ".pkgs")
    return marker._replace(lines=tuple(dict.fromkeys(packages))[:MAX_MARKER_LINES])


def _package_list(path):
    """Debian's reboot-required.pkgs: one package a line, each as often as it asked."""
    try:
        data = read_regular(path, MAX_MARKER_BYTES)
    except FileProblem as exc:
        if exc.kind == "missing":
            return []
        raise _problem(exc, path, "package list") from None
    return [line.strip()[:MAX_MARKER_LINE] for line in
            data.decode("utf-8", errors="replace").splitlines() if line.strip()]


_MARKER_READERS = {"reboot_required": read_reboot_marker}


def file_time(mtime):
    """A file's mtime as an aware datetime; None when it is beyond the calendar."""
    try:
        return datetime.fromtimestamp(mtime, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _check_dir(path):
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SourceError("state dir %s does not exist" % path, WRITER_HINT) from None
    except OSError as exc:
        raise _problem(problem_of(exc), path, "state dir") from None
    if not stat.S_ISDIR(info.st_mode):
        raise SourceError("state dir %s is %s, not a directory" % (path, file_type(info.st_mode)),
                          "point --state-dir at the directory holding status.json")


def read_file(path, limit, what):
    """A state file's bytes; SourceError naming it (never its content) and the fix."""
    try:
        return read_regular(path, limit)
    except FileProblem as exc:
        raise _problem(exc, path, what) from None


def _problem(exc, path, what):
    if exc.kind == "missing":
        return SourceError("%s %s %s" % (what, path, exc.words), WRITER_HINT)
    if exc.kind == "permission":
        return SourceError("permission denied reading %s %s" % (what, path),
                           "let the monitoring user read it (group or ACL)")
    if exc.kind == "loop":
        return SourceError("%s %s is a symlink loop" % (what, path), "remove the link")
    if exc.kind == "too-large":
        return SourceError("%s %s %s for a state" % (what, path, exc.words),
                           "restore it from the writer")
    if exc.kind == "not-regular":
        return SourceError("%s %s %s" % (what, path, exc.words),
                           "let the writer replace it")
    return SourceError("%s %s %s" % (what, path, exc.words), "check the file system and the path")

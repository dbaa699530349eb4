"""Read a state dir: status.json plus the three marker files (SPEC §2).

Only reads, never blocks on a file and never reads more than a state can
be (``safefile``). Paths can be moved one by one (``StatePaths``) so that an
appliance's real file locations map without code changes.
"""

import os
import stat
import time

from ..errors import SourceError
from ..state.fields import MAX_DOCUMENT_BYTES, MAX_MARKER_BYTES, MAX_MARKER_LINES
from ..state.model import Flags, MARKER_UNSET
from ..safeio.files import FileProblem, file_type, problem_of, read_regular
from ..state.layout import MARKER_FILES, markers_agree
from .decode import decode_document, file_marker, marker_lines, state_of

CONSISTENT_READ_SECONDS = 0.2
WRITER_HINT = "check --state-dir and the writer (docs/appliance.rst)"


def read_state(paths, origin=None):
    """StatePaths -> State. Raises SourceError with cause and fix."""
    document, flags = read_document(paths)
    return state_of(document, paths.status, origin or os.path.dirname(paths.status), flags)


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
        document = decode_document(read_file(paths.status, MAX_DOCUMENT_BYTES, "the state file"),
                                   paths.status)
        flags = Flags(*(_MARKER_READERS.get(name, read_marker)(getattr(paths, name))
                        for name, _ in MARKER_FILES))
        if markers_agree(document, flags) or time.monotonic() > give_up:
            return document, flags
        # a jittered pause, so a reader never falls into step with a writer
        time.sleep((time.monotonic_ns() % 2000) / 1e6)


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
    return file_marker(data, info.st_mtime)


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
    return list(marker_lines(data, most=None))


_MARKER_READERS = {"reboot_required": read_reboot_marker}


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

"""Atomic file writes: temp file in the same directory, fsync, rename."""

import os
import tempfile


def stage(path, data, mtime=None, mode=0o644):
    """Write ``data`` to a fsynced temp file beside ``path``; return the temp path."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if mtime is not None:
            os.utime(tmp, (mtime, mtime))
    except BaseException:
        discard(tmp)
        raise
    return tmp


def discard(tmp):
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


def atomic_write(path, data, mtime=None, mode=0o644):
    """Replace ``path`` with ``data``; a reader sees the old or the new file, never a part."""
    tmp = stage(path, data, mtime, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        discard(tmp)
        raise
    fsync_dir(os.path.dirname(path) or ".")


def fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

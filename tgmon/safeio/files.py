"""Read a small file without ever blocking on it or reading too much.

Every file tgmon reads - status.json, a marker, --config, --cluster-file,
--token-file, --ca-file - can be anything: a FIFO (opening one for reading
blocks until a writer comes), a device, a directory, a file of gigabytes.
``read_regular`` opens without blocking, refuses what is not a regular file
before reading a byte of it, and reads at most ``limit`` bytes.

Problems come back as ``FileProblem`` with a ``kind`` and words that never
contain the file's content; the caller adds which file it was and the fix.
"""

import errno
import os
import stat

_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0))

_KINDS = ((stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a directory"),
          (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISLNK, "a symlink"))


class FileProblem(Exception):
    """kind: missing | not-regular | too-large | permission | loop | other."""

    def __init__(self, kind, words):
        super().__init__(words)
        self.kind = kind
        self.words = words


def file_type(mode):
    """'a FIFO', 'a directory', 'a regular file', ...: what a file is."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "of an unknown type"


def read_regular(path, limit):
    """The bytes of the regular file ``path`` (at most ``limit``); FileProblem otherwise."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise problem_of(exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem("not-regular", "is %s, not a regular file" % file_type(info.st_mode))
        return read_bounded(fd, info.st_size, limit)
    except OSError as exc:
        raise problem_of(exc) from None
    finally:
        os.close(fd)


def read_bounded(fd, size, limit):
    """The bytes of the open regular file ``fd`` of ``size`` bytes, at most ``limit``:
    FileProblem (too-large) when it is, or grows while being read, larger."""
    if size > limit:
        raise FileProblem("too-large", "is %d bytes, more than the %d allowed" % (size, limit))
    chunks, left = [], limit + 1
    while left > 0:
        chunk = os.read(fd, min(65536, left))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileProblem("too-large", "grew beyond the %d bytes allowed while being read"
                          % limit)
    return data


def check_regular(path):
    """Refuse (FileProblem) what is not an existing, readable regular file, without opening it."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise problem_of(exc) from None
    if not stat.S_ISREG(info.st_mode):
        raise FileProblem("not-regular", "is %s, not a regular file" % file_type(info.st_mode))
    if not os.access(path, os.R_OK):
        raise FileProblem("permission", "is not readable (permission denied)")
    return info


def problem_of(exc):
    if isinstance(exc, FileNotFoundError):
        return FileProblem("missing", "does not exist")
    if isinstance(exc, PermissionError):
        return FileProblem("permission", "is not readable (permission denied)")
    if exc.errno == errno.ELOOP:
        return FileProblem("loop", "is a symlink loop")
    if exc.errno == errno.EISDIR:
        return FileProblem("not-regular", "is a directory, not a regular file")
    if exc.errno == errno.ENOTDIR:
        return FileProblem("missing", "does not exist (a parent is a file)")
    if exc.errno == errno.ENAMETOOLONG:
        return FileProblem("other", "has a name longer than the system allows")
    return FileProblem("other", "cannot be read: %s" % (exc.strerror or type(exc).__name__))


def read_option_file(path, option, limit, error):
    """A file named by ``option`` (e.g. --config): bytes, or ``error`` (UsageError)
    naming the option and the file, never its content."""
    try:
        return read_regular(path, limit)
    except FileProblem as exc:
        raise error("%s %s %s" % (option, path, exc.words), _OPTION_FIX.get(
            exc.kind, "check the file given with %s" % option)) from None


_OPTION_FIX = {
    "missing": "check the path",
    "not-regular": "point it at a regular file",
    "too-large": "point it at the right file",
    "permission": "let the monitoring user read it (owner, group or ACL)",
}

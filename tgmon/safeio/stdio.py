"""Standard streams a caller may have closed, pointed at a full disk, or left unread.

A core, a cron job or a shell can start tgmon with stdout closed (``>&-``), a
pipe whose reader has gone (``| head -c0``: EPIPE), a full device or a file
opened read-only. None of that may change a plugin's exit code or put a
traceback on stderr: the answer simply goes nowhere. And a daemon started
with a standard descriptor closed must not let its first socket take that
number, or its log would go to a client.
"""

import os


def reopen_closed_std_fds():
    """Open /dev/null on each of fds 0, 1 and 2 that is closed."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:      # the lowest free number is fd itself, unless a race
                os.dup2(null, fd)
                os.close(null)


def write_stdout(data):
    """Write ``data`` (bytes, or text) to stdout and flush; the OSError when that
    failed (AttributeError when stdout was closed at start), else None.

    A stdout that failed is replaced by /dev/null, so that nothing written
    later (the interpreter's own flush at exit) can fail again: the caller
    decides alone what the failure means for its exit code.
    """
    import sys
    try:
        stream = sys.stdout.buffer if isinstance(data, bytes) else sys.stdout
        stream.write(data)
        stream.flush()
        return None
    except (AttributeError, OSError, ValueError) as exc:   # None, EPIPE, ENOSPC, EBADF
        _silence("stdout", 1)
        return exc


def settle_stdout():
    """Flush stdout now; when it takes nothing, silence it, so that the interpreter's
    own flush at exit cannot fail (that would be exit 120 and a message on stderr)."""
    import sys
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError):
        _silence("stdout", 1)


def say_stderr(line):
    """One line on stderr, if anyone takes it: a broken stderr is silenced, no error."""
    import sys
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):
        _silence("stderr", 2)


def _silence(name, fd):
    """Point the process's ``fd`` at /dev/null and flush what its stream still holds."""
    import sys
    stream = getattr(sys, name)
    try:
        if stream is not None and stream.fileno() != fd:
            return               # not the process's own stream (a test's capture)
    except (OSError, ValueError, AttributeError):
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except OSError:
        return
    if stream is not None:
        try:   # what the failed flush left in the buffer now goes to /dev/null
            stream.flush()
        except (OSError, ValueError):
            pass

"""What a writer says when a write is refused or fails: one line, cause and fix.

``WriteError``: nothing was written. ``PartlyWritten``: some files were
renamed in (its cause names them), the rest were not. ``explain`` turns an
OSError of a write into words (no space left -> free space, ...);
``user_name`` names an owner.
"""

import errno
import pwd

from ..errors import TgmonError


class WriteError(TgmonError, OSError):
    """Refused or failed: the write did not happen. An OSError too, so that code
    which survives a failed write (a cache, the simulator) survives this one."""


def user_name(uid):
    """Whose a file or directory is, for a message: the user's name, else the uid."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return "uid %d" % uid


class PartlyWritten(WriteError):
    """Some files were renamed in (its cause names them), the rest were not."""

    warnings = ()        # what the writer had to say besides (set-flag: its text made safe)


_CAUSES = {
    errno.ENOSPC: ("no space left on %s", "free space"),
    errno.EDQUOT: ("disk quota exceeded on %s", "free space or raise the quota"),
    errno.EROFS: ("%s is on a read-only file system", "use a writable one"),
    errno.EACCES: ("permission denied writing in %s", "run as its owner (root or the "
                   "writer) or fix its permissions"),
    errno.EPERM: ("operation not permitted in %s", "run as its owner (root or the writer)"),
    errno.ENOENT: ("%s does not exist", "create it, or check the path"),
    errno.ENOTDIR: ("%s is not a directory (a parent is a file)", "check the path"),
    errno.ELOOP: ("%s: a symlink where tgmon expects its own file or directory",
                  "give the real path; remove the link"),
    errno.EISDIR: ("%s holds a directory where tgmon writes a file", "remove it"),
    errno.ENAMETOOLONG: ("%s: a name longer than the system allows", "use a shorter path"),
}


def explain(exc, path):
    """An OSError from a write in ``path`` as a WriteError: the cause and the fix."""
    if isinstance(exc, WriteError):
        return exc
    cause, fix = _CAUSES.get(exc.errno, ("cannot write in %%s: %s"
                                         % (exc.strerror or type(exc).__name__).lower(),
                                         "check the file system"))
    return WriteError(cause % path, fix)

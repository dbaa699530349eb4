"""One writer at a time in a state dir: an flock on DIR/.tgmon-state.lock.

Every writer of a state dir - ``tgmon state``, ``tgmon refresh``, ``tgmon
example`` - reads, decides and writes while it holds the lock, so no writer
can write back a state it read before another writer changed it.

The lock file is the writer's own (``atomic.SafeDir.open_own``), mode 0600:
no other user can open it, so no other user can hold the lock. A lock file an
earlier tgmon made 0644 may be open in anyone's hands; it is replaced by a new
one (a moment's wait for a writer that holds it first), never chmodded in
place. Since a lock file can be replaced or removed (``transient``: the
example tools leave none behind), a writer that got the flock checks that its
file is still the one named ``.tgmon-state.lock``, and locks again if not.
A transient lock file that another writer used meanwhile (the dir changed)
stays: it now marks a dir ``tgmon state`` writes.
"""

import fcntl
import os
import stat
import time
from contextlib import contextmanager

from ..safeio.atomic import TEMP_PREFIX, open_dir
from ..safeio.writeerror import WriteError, explain

LOCK_FILE = ".tgmon-state.lock"
LOCK_MODE = 0o600        # only the writer may open it, so no one else can hold the lock
LOCK_WAIT = 10.0
# how long a lock file of an earlier tgmon (0644) is waited for before it is replaced
LEGACY_LOCK_WAIT = 1.0


class StateLock:
    """An exclusive flock on DIR/.tgmon-state.lock, waited for at most ``wait`` s.
    ``transient``: a lock file this lock made is removed when it is released,
    unless another writer used it meanwhile."""

    def __init__(self, directory, wait=LOCK_WAIT, transient=False):
        self.directory = directory
        self.wait = wait
        self.transient = transient
        self.fd = None
        self.made = False
        self.used = False        # another writer changed the dir while we waited

    @property
    def ours(self):
        """The lock file is one this lock made and no other writer used."""
        return self.made and not self.used

    def __enter__(self):
        give_up = time.monotonic() + self.wait
        before = _contents(self.directory)
        while True:
            fd, self.made = self.directory.open_own(LOCK_FILE, LOCK_MODE)
            try:
                if stat.S_IMODE(os.fstat(fd).st_mode) != LOCK_MODE:
                    self._replace_legacy(fd, give_up)
                elif self._flock(fd, give_up) and self.directory.names_file(fd, LOCK_FILE):
                    self.fd = fd
                    self.used = _contents(self.directory) != before
                    return self
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)         # replaced or removed while we waited: lock the one there now

    def _replace_legacy(self, fd, give_up):
        # held briefly by a writer: wait for it, so two writers never both replace it;
        # held longer: by whoever opened it while it was readable - replace it anyway
        self._flock(fd, min(give_up, time.monotonic() + LEGACY_LOCK_WAIT), quiet=True)
        if self.directory.names_file(fd, LOCK_FILE):    # not replaced by another meanwhile
            tmp = self.directory.stage(LOCK_FILE, b"", LOCK_MODE)
            try:
                self.directory.commit(tmp, LOCK_FILE)
            finally:
                self.directory.remove(tmp)

    def _flock(self, fd, give_up, quiet=False):
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > give_up:
                    if quiet:
                        return False
                    raise WriteError("another writer held the lock %s for %g s"
                                     % (self.directory.shown(LOCK_FILE), self.wait),
                                     "look for a hung tgmon state process") from None
                time.sleep(0.005 + (time.monotonic_ns() % 10000) / 1e6)

    def __exit__(self, *exc):
        try:
            if self.transient and self.ours:
                self.directory.remove(LOCK_FILE)
        finally:
            os.close(self.fd)   # closing releases the flock


def _contents(directory):
    """What the dir holds, each file by inode and mtime (a writer renames new ones in)."""
    found = []
    for name in directory.names():
        info = directory.lstat(name)
        if info is not None and name != LOCK_FILE and not name.startswith(TEMP_PREFIX):
            found.append((name, info.st_ino, info.st_mtime_ns))
    return sorted(found)


@contextmanager
def locked(state_dir, create=False, transient=False, precheck=None):
    """The state dir, open (``atomic.SafeDir``) and locked; every OSError in the
    block becomes a WriteError naming its cause and fix. A dir this call created
    is removed again when the block fails (its lock file with it).

    ``precheck(directory)``, before the lock is taken, refuses what the block
    would refuse anyway, so that a transient lock leaves no trace (not even the
    dir's mtime) on a refusal; the block checks again under the lock."""
    try:
        directory = open_dir(state_dir, create)
    except FileNotFoundError:
        if create:
            raise WriteError("a parent of %s was removed while tgmon created it" % state_dir,
                             "run again; look for what removes it") from None
        raise WriteError("%s is no state dir" % state_dir, "tgmon state init creates it") \
            from None
    except OSError as exc:
        raise explain(exc, state_dir) from None
    failed = True
    try:
        if precheck is not None:
            precheck(directory)
        with StateLock(directory) as lock:
            lock.transient = transient or directory.is_new     # a failure leaves no trace
            yield directory
            lock.transient = transient
        failed = False
    except WriteError:
        raise
    except OSError as exc:
        raise explain(exc, state_dir) from None
    finally:
        if failed:
            directory.remove_made()
        directory.close()

"""Safe writes for everything in tgmon that writes (SPEC §6): one home.

A writer may run as root in a directory other users can reach. So it never
follows a link it did not create, and never writes into a directory another
user could change under it:

- ``open_dir`` walks the path from / one component at a time, each opened
  with ``O_NOFOLLOW`` and checked on the open descriptor (no race between
  check and use): owned by root or the writer, not writable by others - a
  parent may be sticky and world-writable, like /tmp - as sshd's StrictModes
  demands. A symlink on the way is followed only when root or the writer
  owns it. Missing directories are created (mode 0755 whatever the umask)
  and removed again when the write fails. The dir the walk ends in is
  checked as the state dir whatever path led there (a link to ``.`` too).
- Everything after that is relative to the directory's descriptor: temp
  files are created ``O_EXCL | O_NOFOLLOW`` under a fixed, recognisable name
  (``.tgmon-tmp.PID.RANDOM``), their mode set with ``fchmod``, written,
  fsynced and renamed within the directory, which is fsynced last. An
  existing name is only ever replaced by rename or unlinked, never opened
  for writing, so a planted symlink or hard link leads nowhere.
- ``read`` and ``open_own`` accept only the writer's own files: regular,
  one link, owned by root or the writer (``statelock`` opens its lock so).
- Temp files a killed writer left behind are removed by the next write.

Failures are ``writeerror.WriteError``: one line naming the cause and the fix.
"""

import errno
import os
import re
import secrets
import stat
import time

from .files import FileProblem, file_type, read_bounded
from .writeerror import WriteError, user_name

DIR_MODE = 0o755
FILE_MODE = 0o644
TEMP_PREFIX = ".tgmon-tmp."
_TEMP_NAME = re.compile(r"^\.tgmon-tmp\.(\d{1,10})\.[0-9a-f]{16}$")
# a temp file of a live process is left alone unless it is this old (its PID reused)
STALE_TEMP_SECONDS = 3600
MAX_SYMLINKS = 40

_PATH = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def _trusted(uid):
    return uid in (0, os.geteuid())


# ---------------------------------------------------------------- the directory
def open_dir(path, create=False):
    """The directory ``path`` as a ``SafeDir``, every component checked (see above).

    A missing directory is FileNotFoundError, or created when ``create``; the
    dirs created are removed again when this fails, or by ``SafeDir.remove_made``."""
    shown, parts = "/", _parts(os.path.abspath(os.fspath(path)))
    fd = os.open("/", _PATH)
    hops, made = 0, []
    try:
        _check_dir(fd, shown, final=False)
        while parts:
            name = parts.pop(0)
            child_shown = os.path.dirname(shown) if name == ".." else os.path.join(shown, name)
            try:
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                if not create:
                    raise
                info = None
            if info is not None and stat.S_ISLNK(info.st_mode):
                hops += 1
                target = _link_target(fd, name, child_shown, info, hops)
                if target.startswith("/"):
                    os.close(fd)
                    fd, shown = os.open("/", _PATH), "/"
                parts = _parts(target) + parts
                continue
            if info is not None and not stat.S_ISDIR(info.st_mode):
                raise WriteError("%s is %s, not a directory" % (child_shown,
                                                                file_type(info.st_mode)),
                                 "give the path of a directory")
            if info is None:
                child = _made_dir(fd, name, child_shown, made)
            else:
                child = _open_child(fd, name, child_shown)
            os.close(fd)
            fd, shown = child, child_shown or "/"
            _check_dir(fd, shown, final=False)
        # where the walk ended is the state dir, whatever led there: a link to "."
        # ends it in a dir checked as a parent (a sticky /tmp may be a parent only)
        _check_dir(fd, shown, final=True)
        directory = SafeDir(os.open(".", _DIR, dir_fd=fd), shown, made)
    except BaseException:
        _remove_made(made)
        _close_made(made)
        raise
    finally:
        os.close(fd)
    return directory


def _parts(path):
    return [part for part in path.split("/") if part and part != "."]


def _link_target(fd, name, shown, info, hops):
    if hops > MAX_SYMLINKS:
        raise WriteError("%s: more than %d symlinks on the way" % (shown, MAX_SYMLINKS),
                         "give the real path of the directory")
    if not _trusted(info.st_uid):
        raise WriteError("%s is a symlink owned by %s, another user"
                         % (shown, user_name(info.st_uid)),
                         "give the real path of the directory; remove the link")
    return os.readlink(name, dir_fd=fd)


def _made_dir(fd, name, shown, made):
    """Create directory ``name`` (mode 0755 whatever the umask); its O_PATH descriptor.
    What this run created is recorded in ``made`` as (parent descriptor, name)."""
    try:
        os.mkdir(name, 0o700, dir_fd=fd)
    except FileExistsError:      # another writer was first: check it like any other
        return _open_child(fd, name, shown)
    made.append((os.dup(fd), name))
    child = os.open(name, _DIR, dir_fd=fd)
    try:
        os.fchmod(child, DIR_MODE)
        return os.open(".", _PATH, dir_fd=child)
    finally:
        os.close(child)


def _open_child(fd, name, shown):
    """The O_PATH descriptor of the directory ``name``, seen as one a moment ago."""
    try:
        return os.open(name, _PATH, dir_fd=fd)
    except FileNotFoundError:
        raise WriteError("%s was removed while tgmon opened it" % shown,
                         "run again; look for what removes it") from None
    except OSError as exc:
        if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
            raise
        info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        raise WriteError("%s was replaced by %s while tgmon opened it"
                         % (shown, file_type(info.st_mode)),
                         "run again; if it repeats, find who swaps it and remove the link") \
            from None


def _remove_made(made):
    """Remove the dirs this run created, newest first, as far as they are empty."""
    for parent, name in reversed(made):
        try:
            os.rmdir(name, dir_fd=parent)
        except OSError:
            return


def _close_made(made):
    for parent, _ in made:
        os.close(parent)
    made.clear()


def _check_dir(fd, shown, final):
    """StrictModes: owned by root or the writer; writable by no one else (a parent
    may be sticky, like /tmp: no one else can rename or remove what is ours there)."""
    info = os.fstat(fd)
    if not stat.S_ISDIR(info.st_mode):
        raise WriteError("%s is not a directory" % shown, "give the path of a directory")
    owner = "root" if os.geteuid() == 0 else user_name(os.geteuid())
    if not _trusted(info.st_uid):
        raise WriteError("%s is owned by %s, another user, who could plant links in it"
                         % (shown, user_name(info.st_uid)),
                         "chown %s: %s; chmod 755 %s" % (owner, shown, shown))
    sticky_parent = not final and info.st_mode & stat.S_ISVTX
    if info.st_mode & 0o022 and not sticky_parent:
        raise WriteError("%s is writable by other users (mode %04o), who could plant links in it"
                         % (shown, stat.S_IMODE(info.st_mode)), "chmod go-w %s" % shown)


class SafeDir:
    """An open, checked directory: every operation relative to its descriptor."""

    def __init__(self, fd, path, made=()):
        self.fd = fd
        self.path = path
        self._made = list(made)      # (parent descriptor, name) of the dirs open_dir created

    @property
    def is_new(self):
        """This run created the dir itself."""
        return bool(self._made)

    def __enter__(self):
        return self

    def __exit__(self, failed, *exc):
        if failed is not None:
            self.remove_made()
        self.close()

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        _close_made(self._made)

    def remove_made(self):
        """After a failed write: remove the dirs open_dir created, as far as they are empty."""
        _remove_made(self._made)

    def shown(self, name):
        return os.path.join(self.path, name)

    def names(self):
        return os.listdir(self.fd)

    def lstat(self, name):
        """The entry ``name`` itself (a link is not followed), or None."""
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    # ------------------------------------------------------------ reading own files
    def read(self, name, limit):
        """(bytes, stat) of the writer's own file ``name``, or None when absent."""
        try:
            fd, _ = self.open_own(name)
        except FileNotFoundError:
            return None
        try:
            info = os.fstat(fd)
            try:
                return read_bounded(fd, info.st_size, limit), info
            except FileProblem as exc:
                raise WriteError("%s %s" % (self.shown(name), exc.words),
                                 _REMOVE % self.shown(name)) from None
        finally:
            os.close(fd)

    def open_own(self, name, mode=None):
        """(read-only descriptor, made) of the writer's own file ``name``; with
        ``mode``, a missing one is made, empty, with that mode (``made``)."""
        for _ in range(100):
            if mode is not None:
                try:
                    fd = os.open(name, _READ | os.O_CREAT | os.O_EXCL, mode, dir_fd=self.fd)
                except FileExistsError:
                    pass
                except OSError as exc:
                    raise self._not_own(name, exc) from None
                else:
                    os.fchmod(fd, mode)        # whatever the umask
                    return fd, True
            try:
                fd = os.open(name, _READ, dir_fd=self.fd)
            except FileNotFoundError:
                if mode is None:
                    raise
                continue                       # removed in between: make it
            except OSError as exc:
                raise self._not_own(name, exc) from None
            info = os.fstat(fd)
            if info.st_nlink == 0 and mode is not None:   # removed since it was opened
                os.close(fd)
                continue
            try:
                self._own_file(name, info)
            except BaseException:
                os.close(fd)
                raise
            return fd, False
        raise WriteError("%s keeps vanishing" % self.shown(name), "look for what removes it")

    def names_file(self, fd, name):
        """The open file ``fd`` is (still) the one named ``name`` here."""
        info, entry = os.fstat(fd), self.lstat(name)
        return entry is not None and (entry.st_dev, entry.st_ino) == (info.st_dev, info.st_ino)

    def _own_file(self, name, info):
        shown = self.shown(name)
        if not stat.S_ISREG(info.st_mode):
            raise WriteError("%s is %s, not a file tgmon wrote" % (shown, file_type(info.st_mode)),
                             _REMOVE % shown)
        if info.st_nlink != 1:
            raise WriteError("%s has %d hard links, a file tgmon wrote has one"
                             % (shown, info.st_nlink), _REMOVE % shown)
        if not _trusted(info.st_uid):
            raise WriteError("%s is owned by %s, not by the writer"
                             % (shown, user_name(info.st_uid)), _REMOVE % shown)

    def _not_own(self, name, exc):
        if exc.errno == errno.ELOOP:
            return WriteError("%s is a symlink, not a file tgmon wrote" % self.shown(name),
                              _REMOVE % self.shown(name))
        if exc.errno in (errno.EISDIR, errno.ENXIO):
            return WriteError("%s is %s, not a file tgmon wrote"
                              % (self.shown(name), "a directory" if exc.errno == errno.EISDIR
                                 else "a socket or device"), _REMOVE % self.shown(name))
        return exc

    # ------------------------------------------------------------ writing
    def stage(self, name, data, mode=FILE_MODE, mtime=None):
        """A new, fsynced temp file holding ``data`` (mode ``mode``, mtime ``mtime``);
        its name, for ``commit``. ``name`` is the file it will replace."""
        for _ in range(100):
            tmp = "%s%d.%s" % (TEMP_PREFIX, os.getpid(), secrets.token_hex(8))
            try:
                fd = os.open(tmp, _NEW, 0o600, dir_fd=self.fd)
                break
            except FileExistsError:     # taken (planted?): draw another name
                continue
        else:
            raise WriteError("no free temp name in %s" % self.path, "remove its .tgmon-tmp.* files")
        try:
            try:
                os.fchmod(fd, mode)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
                if mtime is not None:
                    os.utime(fd, (mtime, mtime))
            finally:
                os.close(fd)
        except BaseException:
            self.discard(tmp)
            raise
        return tmp

    def commit(self, tmp, name):
        """Rename the staged ``tmp`` over ``name``: whatever ``name`` was, it is replaced."""
        os.rename(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def discard(self, tmp):
        self.remove(tmp)

    def remove(self, name):
        try:
            os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            pass

    def sync(self):
        os.fsync(self.fd)

    def remove_leftovers(self):
        """Remove the temp files of writers that died (killed between stage and rename)."""
        for name in self.names():
            match = _TEMP_NAME.match(name)
            if not match:
                continue
            info = self.lstat(name)    # a live writer's temp too, once it is this old
            if (info is not None and time.time() - info.st_mtime > STALE_TEMP_SECONDS) \
                    or not _alive(int(match.group(1))):
                try:
                    self.remove(name)
                except IsADirectoryError:
                    pass             # no temp file of ours: leave it


def _alive(pid):
    if pid <= 0:                 # kill(0, 0) would ask the process group: no writer's PID
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:      # it exists, as another user
        pass
    return True


_REMOVE = "remove %s: tgmon writes its own files and never follows or writes through a link"


# ---------------------------------------------------------------- one file
def atomic_write(path, data, mtime=None, mode=FILE_MODE):
    """Replace ``path`` with ``data``; a reader sees the old or the new file, never a part."""
    name = os.path.basename(path)
    with open_dir(os.path.dirname(os.path.abspath(path))) as directory:
        directory.remove_leftovers()
        tmp = directory.stage(name, data, mode, mtime)
        try:
            directory.commit(tmp, name)
        except BaseException:
            directory.discard(tmp)
            raise
        directory.sync()

"""--cache-ttl: the checks of one host (one service per check) share one fetch.

One file per URL (and TLS/token settings) in a private per-user directory
(0700, owned by the user, never a symlink). Files are opened with O_NOFOLLOW,
must be regular files owned by the user, and are written atomically.
"""

import hashlib
import os
import stat
import time

from ..safeio.atomic import atomic_write
from ..errors import SourceError


def cache_dir():
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isabs(base):
        return os.path.join(base, "tgmon")
    return os.path.join("/tmp", "tgmon-cache-%d" % os.getuid())


class ResponseCache:
    def __init__(self, settings):
        self.ttl = float(settings.cache_ttl)
        self.directory = cache_dir()
        self.key_material = "\0".join(str(x) for x in (
            settings.token_file, settings.ca_file, settings.insecure, settings.no_proxy))
        self._ensure_private_dir()

    def _ensure_private_dir(self):
        try:
            os.mkdir(self.directory, 0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            raise SourceError("cannot create cache dir %s: %s" % (self.directory, exc.strerror),
                              "drop --cache-ttl or fix the directory") from None
        info = os.lstat(self.directory)
        if (not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid()
                or info.st_mode & 0o077):
            raise SourceError("cache dir %s is not a private directory of this user "
                              "(a symlink, another owner or group/other access)" % self.directory,
                              "remove it; tgmon recreates it with mode 0700")

    def _path(self, url):
        digest = hashlib.sha256((url + "\0" + self.key_material).encode("utf-8")).hexdigest()
        return os.path.join(self.directory, digest[:32] + ".json")

    def get(self, url):
        path = self._path(url)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return None   # absent, or a symlink planted there: fetch instead
        try:
            info = os.fstat(fd)
            if (not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid()
                    or time.time() - info.st_mtime > self.ttl or info.st_mtime > time.time() + 5):
                return None
            chunks = []
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def put(self, url, body):
        try:
            atomic_write(self._path(url), body, mode=0o600)
        except OSError:
            pass  # a cache that cannot be written only costs the next fetch

"""NSCA-ng: Debian's send_nsca (package nsca-ng-client) fed the commands of the one
encoder (nagios.py) on its standard input, in one batch (-C: raw commands, as
the command pipe takes them).

Its config file (-c) holds the server, the identity and the password: the
password is never on a command line, and a config file that others may read
or that is a symlink is refused. Run without a shell and with a minimal
environment, within the deadline; what it says on failure is one cleaned line,
without any part it quotes (its config file's content, a password too).
"""

import os
import re
import stat
import subprocess

from ..errors import UsageError
from ..safeio.text import sanitize
from . import CoreError

SEND_NSCA = "/usr/sbin/send_nsca"
MAX_MESSAGE = 300
# send_nsca quotes what it read from its config file ("Unknown variable name
# `...'", "Unexpected stuff after `...'"): a password too, in a mistyped or
# mistaken file - a quoted part of what it says is never passed on
_QUOTED = re.compile(r"`[^`']*'|\"[^\"]*\"|'[^']*'")


def check_config(path):
    """lstat: a regular file, not a symlink, not readable or writable by others."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise UsageError("--nsca-config %s cannot be used: %s"
                         % (path, (exc.strerror or "").lower()),
                         "give send_nsca's config file (server, identity, password)") from None
    if not stat.S_ISREG(info.st_mode):
        raise UsageError("--nsca-config %s is not a regular file (a symlink?)" % path,
                         "give the config file itself")
    if info.st_mode & 0o006:
        raise UsageError("--nsca-config %s may be read or written by every user, and it "
                         "holds the password" % path, "chmod o-rwx it")
    return path


def send(config, lines, seconds, binary=SEND_NSCA):
    """Send the encoded ``lines`` through send_nsca in one run; CoreError if it fails."""
    if not lines:
        return
    if not os.access(binary, os.X_OK):
        raise CoreError("%s is not installed" % binary, "apt-get install nsca-ng-client")
    timeout = max(1, int(seconds))
    try:
        done = subprocess.run([binary, "-C", "-c", config, "-o", str(timeout)],
                              input=b"".join(lines), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=timeout + 1, close_fds=True,
                              env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"})
    except subprocess.TimeoutExpired:
        raise CoreError("send_nsca did not finish within %d s" % timeout,
                        "check that the NSCA-ng server answers (server, port in "
                        "--nsca-config)") from None
    except OSError as exc:
        raise CoreError("cannot run %s: %s" % (binary, (exc.strerror or "").lower()),
                        "apt-get install nsca-ng-client") from None
    if done.returncode != 0:
        said = _QUOTED.sub("(...)", sanitize(done.stderr[-4096:].decode("utf-8", "replace")))
        said = said[:MAX_MESSAGE]
        raise CoreError("send_nsca failed (exit %d): %s" % (done.returncode, said or "no reason"),
                        "check the server, identity and password in --nsca-config and that "
                        "nsca-ng runs and lets this identity submit")

"""What the writer corpus (tests/hostile/test_writer_*.py) shares: running the
tgmon command (the installed one in CI) as root or as another user, a second,
unprivileged user who owns dirs and plants links, victim files, and snapshots
of a tree (content, mode, owner, time; links not followed) to prove that a
refused run changed nothing.
"""

import os
import pwd
import secrets
import stat
import subprocess

import pytest

from .harness import TGMON

VICTIM_TEXT = "root:x:0:0:VICTIM-S3CRET-4d2a:/root:/bin/bash\n"
# tgmon state/example/refresh never take longer than their lock wait (10 s)
HARD_LIMIT = 30

# The corpus runs real processes as root and as a second user: only root can
# create that user and chown to it. Outside CI a non-root run skips loudly; in
# CI (CI=1) it runs, and fails, rather than hide a missing part.
needs_root = pytest.mark.skipif(
    os.geteuid() != 0 and not os.environ.get("CI"),
    reason="LOUD SKIP: the writer corpus needs root (a second user owns dirs and plants "
           "links); run it as root, as CI does")


class Done:
    def __init__(self, completed):
        self.code = completed.returncode
        self.out = completed.stdout.decode("utf-8", "replace")
        self.err = completed.stderr.decode("utf-8", "replace")

    def __repr__(self):
        return "Done(code=%r, out=%r, err=%r)" % (self.code, self.out[:400], self.err[:400])


def run(*argv, stdin=None, user=None, umask=None, command=TGMON):
    """``tgmon ARGV`` (arguments may be bytes: argv as a shell passes it), as root or
    as ``user``, under ``umask``."""
    cmd = [command] + [a if isinstance(a, bytes) else str(a) for a in argv]
    if umask is not None:
        cmd = ["sh", "-c", 'umask %03o; exec "$@"' % umask, "sh"] + cmd
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user.uid, "--regid=%d" % user.gid,
               "--clear-groups"] + cmd
    data = stdin.encode("utf-8", "surrogatepass") if isinstance(stdin, str) else stdin
    completed = subprocess.run(cmd, input=data if data is not None else b"",
                               capture_output=True, timeout=HARD_LIMIT)
    done = Done(completed)
    assert "Traceback" not in done.err, done
    return done


def assert_line(text, *words):
    """``text`` is one line of printable text (no escape, bidi or line break) with ``words``."""
    assert text.endswith("\n"), text
    lines = text.splitlines()
    assert len(lines) == 1, text
    assert lines[0].isprintable(), text
    for word in words:
        assert word in lines[0], (word, text)


def assert_refused(done, *words):
    """Exit 2, nothing on stdout, one clean line on stderr naming the cause."""
    assert done.code == 2, done
    assert done.out == "", done
    assert_line(done.err, *words)
    assert "VICTIM-S3CRET" not in done.err


def assert_quiet(done):
    """Success: exit 0, nothing printed."""
    assert (done.code, done.out, done.err) == (0, "", ""), done


def snapshot(root):
    """{relative path: (type, mode, uid, gid, mtime_ns, content or link target)} of
    everything below ``root`` (links not followed, FIFOs not opened)."""
    tree = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                content = os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    content = handle.read()
            else:
                content = None
            tree[os.path.relpath(path, root)] = (stat.S_IFMT(info.st_mode),
                                                 stat.S_IMODE(info.st_mode), info.st_uid,
                                                 info.st_gid, info.st_mtime_ns, content)
    return tree


def modes(path):
    """{name: (mode, owner uid)} of a state dir and its entries."""
    result = {".": (stat.S_IMODE(os.stat(path).st_mode), os.stat(path).st_uid)}
    for name in os.listdir(path):
        info = os.lstat(os.path.join(path, name))
        result[name] = (stat.S_IMODE(info.st_mode), info.st_uid)
    return result


class Victim:
    """A root-owned file (mode 0600) the attacks aim at: it must never change."""

    def __init__(self, path):
        self.path = str(path)
        with open(self.path, "w") as handle:
            handle.write(VICTIM_TEXT)
        os.chmod(self.path, 0o600)
        self.before = os.stat(self.path)

    def assert_unchanged(self):
        info = os.stat(self.path)
        with open(self.path) as handle:
            assert handle.read() == VICTIM_TEXT
        assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, info.st_mtime_ns) == (
            0o600, 0, 0, self.before.st_mtime_ns)


class User:
    def __init__(self, name):
        entry = pwd.getpwnam(name)
        self.name, self.uid, self.gid = name, entry.pw_uid, entry.pw_gid

    def own(self, path):
        """``path`` (not what a link points to) now belongs to this user."""
        os.lchown(str(path), self.uid, self.gid)
        return path


@pytest.fixture(scope="session")
def other_user():
    """A second, unprivileged user, created for the run and removed afterwards
    (``nobody`` where useradd is missing)."""
    name = "tgmon-test-%s" % secrets.token_hex(3)
    made = subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                           "/usr/sbin/nologin", name], capture_output=True)
    if made.returncode != 0:
        yield User("nobody")
        return
    try:
        yield User(name)
    finally:
        subprocess.run(["userdel", name], capture_output=True)


def state(path, *args):
    """A state dir made by tgmon state init (its lock file included), as root."""
    assert_quiet(run("state", "init", path, "--node", "tg1", "--role", "single",
                     "--installed", "4.11", *args))
    return path


@pytest.fixture
def space():
    """A fresh dir below /tmp (root's, 0755): the second user can reach what is in it."""
    import shutil
    import tempfile
    path = tempfile.mkdtemp(prefix="tgw-")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)

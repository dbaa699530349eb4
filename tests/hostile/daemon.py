"""``tgmon serve`` as the daemon it is: started by a test on 127.0.0.1 with a port of
its own, its stderr (the log) handled as a hostile host would, stopped by PID.

The log can be read (``log="read"``), left unread in a pipe until it is full
(``"full"``), closed (``"closed"``), a full device (``"dev-full"``) or
/dev/null. ``answers`` reads HTTP answers off a socket the way a client does,
HEAD answers without a body.
"""

import os
import re
import signal
import socket
import subprocess
import threading
import time

from .common import large_document, status_dir
from .harness import PLUGIN_DIR, TGMON

from helpers import VENV_BIN

TGMON_SIM = os.path.join(VENV_BIN, "tgmon-sim") if PLUGIN_DIR == VENV_BIN \
    else "/usr/bin/tgmon-sim"
GET = b"GET /v1/status HTTP/1.1\r\nHost: t\r\n\r\n"
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"


def large_state_dir(tmp):
    """A state dir of ``large_document``, returned two seconds after it was written, so
    that the exporter may keep its answer (it keeps none of files changed just now)."""
    path = status_dir(tmp, large_document())
    time.sleep(2.1)
    return path


class Daemon:
    """``tgmon serve ARGS --port 0``; ``port`` from its first log line, read at once."""

    def __init__(self, *args, log="read", program=TGMON, terminal=False):
        self.lines = []
        self.log_read = None
        self.terminal = None
        command = [program, "serve"] + list(args) + ["--port", "0"]
        stdin = subprocess.DEVNULL
        if terminal:   # a controlling terminal, as when an admin starts it by hand
            self.terminal, stdin = with_terminal(command)
        if log in ("read", "full"):
            read_end, stderr = os.pipe()
        else:   # the port cannot come from the log: pick one
            self.port = _free_port()
            command[-1] = str(self.port)
            stderr = {"dev-full": lambda: os.open("/dev/full", os.O_WRONLY),
                      "devnull": lambda: subprocess.DEVNULL,
                      "closed": lambda: None}[log]()
        if log == "closed":
            command = ["/bin/sh", "-c", 'exec "$0" "$@" 2>&-'] + command
        self.process = subprocess.Popen(command, stdin=stdin,
                                        stdout=subprocess.DEVNULL, stderr=stderr)
        for fd in (stderr, stdin):
            if isinstance(fd, int) and fd >= 0:
                os.close(fd)
        if log not in ("read", "full"):
            wait_for_port(self.port)
            return
        self.reader = os.fdopen(read_end, "rb", buffering=0)
        first = self._line(10)
        match = re.search(rb"listening on https?://[\d.]+:(\d+)", first)
        if not match:
            self.process.kill()
            raise RuntimeError("tgmon serve did not start: %r" % first)
        self.port = int(match.group(1))
        self.lines.append(first.decode("utf-8", "replace"))
        if log == "read":
            self.read_log_now()

    def _line(self, timeout):
        end, data = time.monotonic() + timeout, b""
        while not data.endswith(b"\n") and time.monotonic() < end:
            chunk = self.reader.read(1)
            if not chunk:
                break
            data += chunk
        return data

    def _drain(self):
        for line in self.reader:
            self.lines.append(line.decode("utf-8", "replace"))

    def read_log_now(self):
        """Start reading a log left unread ("full"): what was kept, and what follows."""
        self.log_read = threading.Thread(target=self._drain, daemon=True)
        self.log_read.start()

    def connect(self, rcvbuf=None):
        sock = socket.socket()
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", self.port))
        return sock

    def signal(self, number):
        self.process.send_signal(number)

    def stop(self, within=2.0):
        """SIGTERM by PID: (exit code, seconds it took); killed after ``within`` + 3 s."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(within + 3)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            code = "killed: no stop within %g s" % (within + 3)
        took = time.monotonic() - started
        if self.log_read is not None:
            self.log_read.join(5)
        return code, took

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        if self.terminal is not None:
            os.close(self.terminal)
            self.terminal = None

    def said_on_terminal(self):
        return read_terminal(self.terminal)


def with_terminal(command):
    """Make ``command`` (a list, changed in place) run with a new pseudo-terminal as its
    controlling terminal: (the terminal's master side, its slave side for stdin)."""
    import pty
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    command[:0] = ["setsid", "--ctty"]
    return master, slave


def read_terminal(master):
    """What a process wrote to its terminal so far (the master side of ``with_terminal``)."""
    data = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except (BlockingIOError, OSError):   # EIO: the process has closed it
            return data
        if not chunk:
            return data
        data += chunk


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on port %d" % port)


def answers(sock, methods, timeout=5.0):
    """Read one answer per request method from ``sock``: [(status, headers, body)]; then
    whether the server closed the connection (b"" within 1 s)."""
    sock.settimeout(timeout)
    buffer, found = b"", []
    for method in methods:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                return found, True
            buffer += chunk
        head, buffer = buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        length = 0 if method == "HEAD" else int(headers.get("Content-Length", 0))
        while len(buffer) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            buffer += chunk
        found.append((int(lines[0].split()[1]), headers, buffer[:length]))
        buffer = buffer[length:]
    sock.settimeout(1)
    try:
        closed = not buffer and sock.recv(1) == b""
    except socket.timeout:
        closed = False
    except OSError:
        closed = True
    return found, closed


def legit_request(port, timeout=1.0, path=b"/v1/status"):
    """One client as a check is, on a new connection: (status, seconds, body size)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
    return status, time.monotonic() - started, len(data.split(b"\r\n\r\n", 1)[-1])


def log_is_clean(lines):
    """Every log line one line of printable text, no traceback."""
    text = "".join(lines)
    assert "Traceback" not in text, text[-2000:]
    for line in lines:
        assert line.endswith("\n") and line[:-1].isprintable(), repr(line)

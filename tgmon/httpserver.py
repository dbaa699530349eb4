"""A small HTTP/1.1 server that stays available under abuse: ``tgmon serve``'s engine.

Why not ``http.server`` or a library: a thread per connection lets a few
hundred idle connections hold a few hundred threads, and both the standard
library's TLS server and cheroot (9.x) do the TLS handshake in the thread that
accepts, so one client that connects and sends nothing stops everyone else.
Here:

- one thread (the caller of ``serve_forever``) accepts and watches all
  connections with a selector; an idle connection costs a file descriptor,
  never a thread, and is closed after ``IDLE_TIMEOUT``;
- a connection with bytes to read goes to a fixed pool of ``workers``
  threads, which take what has arrived without waiting for more (the TLS
  handshake too) and hand the connection back until its request head is
  complete; so a client that sends slowly holds no worker, and one whose
  head is not complete ``HEAD_TIMEOUT`` after its first byte gets 408;
  connections wait for a free worker in turn (a burst of clients is served,
  not refused);
- at most ``max_connections`` are open; more are closed on accept;
- requests carry no body (413, then the connection closes: a body is never
  read as a next request); after any error answer the connection closes;
  request lines longer than 2048 bytes get 414, too many or too long
  headers 431, anything malformed 400;
- answers are JSON (ASCII only, so no byte of a state can break one).

``app.route(path) -> (status, dict)`` decides what to answer; a TgmonError
from it is 503, any other exception 500, both with an error JSON.
"""

import hmac
import json
import queue
import selectors
import socket
import ssl
import sys
import threading
import time

from . import __version__
from .errors import TgmonError

MAX_REQUEST_LINE = 2048
MAX_HEAD = 16 * 1024
MAX_HEADERS = 32
HEAD_TIMEOUT = 5.0         # TLS handshake plus the request head, from the first byte
WRITE_TIMEOUT = 5.0
IDLE_TIMEOUT = 15.0        # a connection that sends nothing (new or kept alive)
DEFAULT_WORKERS = 64
DEFAULT_MAX_CONNECTIONS = 1000
REQUESTS_PER_TURN = 100    # pipelined requests one worker serves before it yields

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
           405: "Method Not Allowed", 408: "Request Timeout", 413: "Content Too Large",
           414: "URI Too Long", 431: "Request Header Fields Too Large",
           500: "Internal Server Error", 503: "Service Unavailable",
           505: "HTTP Version Not Supported"}


class _Refuse(Exception):
    """Answer ``status`` with ``message`` and close the connection."""

    def __init__(self, status, message, extra=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra or {}


class _Connection:
    def __init__(self, sock, address, tls):
        self.sock = sock
        self.address = address[0] if isinstance(address, tuple) else str(address)
        self.tls = tls
        self.handshaken = not tls
        self.buffer = b""
        self.expires = 0.0
        self.head_deadline = None     # set by the first byte of a request (or handshake)
        self.eof = False              # the client has closed its side

    def pending(self):
        """Bytes already read (ours or in the TLS layer) that form a next request."""
        return bool(self.buffer) or (self.tls and self.handshaken and self.sock.pending() > 0)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class BoundedServer:
    def __init__(self, address, app, token=None, tls=None, workers=DEFAULT_WORKERS,
                 max_connections=DEFAULT_MAX_CONNECTIONS, log=None):
        self.app = app
        self.token = token
        self.tls = tls
        self.workers = max(1, int(workers))
        self.max_connections = max(1, int(max_connections))
        self.log_stream = log or sys.stderr
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind(address)
            self.socket.listen(512)
        except OSError:
            self.socket.close()
            raise
        self.socket.setblocking(False)
        self.server_address = self.socket.getsockname()
        self._stop = threading.Event()
        # connections with bytes to serve wait here for a worker; there are never
        # more of them than open connections, which max_connections bounds
        self._work = queue.Queue(maxsize=self.max_connections)
        self._returned = queue.Queue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._open = set()
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._log_queue = queue.Queue(maxsize=10000)
        self._log_dropped = 0

    # ------------------------------------------------------------ the acceptor
    def serve_forever(self):
        threads = [threading.Thread(target=self._worker, daemon=True,
                                    name="tgmon-serve-%d" % n) for n in range(self.workers)]
        threading.Thread(target=self._log_writer, daemon=True, name="tgmon-log").start()
        for thread in threads:
            thread.start()
        selector = selectors.DefaultSelector()
        selector.register(self.socket, selectors.EVENT_READ, "accept")
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        idle = {}
        try:
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=0.5):
                    if key.data == "accept":
                        self._accept(selector, idle)
                    elif key.data == "wake":
                        self._drain_wake()
                    else:
                        selector.unregister(key.fileobj)
                        idle.pop(key.data, None)
                        self._dispatch(key.data)
                self._take_back(selector, idle)
                self._expire(selector, idle)
        finally:
            selector.close()
            for _ in threads:
                try:
                    self._work.put_nowait(None)
                except queue.Full:
                    break
            with self._lock:
                for conn in list(self._open):
                    conn.close()
                self._open.clear()
            self.socket.close()
            self._log_queue.put(None)

    def shutdown(self):
        self._stop.set()
        self._wake()

    def _wake(self):
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _drain_wake(self):
        try:
            while self._wake_r.recv(4096):
                pass
        except OSError:
            pass

    def _accept(self, selector, idle):
        for _ in range(64):
            try:
                sock, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:        # e.g. out of file descriptors: try again later
                return
            with self._lock:
                crowded = len(self._open) >= self.max_connections
            if crowded:
                sock.close()
                continue
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                try:   # no handshake here: a worker does it, under a timeout
                    sock = self.tls.wrap_socket(sock, server_side=True,
                                                do_handshake_on_connect=False)
                except OSError:
                    sock.close()
                    continue
            conn = _Connection(sock, address, self.tls is not None)
            with self._lock:
                self._open.add(conn)
            self._watch(selector, idle, conn)

    def _watch(self, selector, idle, conn):
        # a request under way must finish by its head deadline; else the idle limit
        conn.expires = conn.head_deadline or time.monotonic() + IDLE_TIMEOUT
        try:
            selector.register(conn.sock, selectors.EVENT_READ, conn)
        except (ValueError, KeyError, OSError):
            self._close(conn)
            return
        idle[conn] = conn.expires

    def _dispatch(self, conn):
        try:
            self._work.put_nowait(conn)
        except queue.Full:
            if not conn.tls:
                try:   # a canned answer; never wait for a slow client here
                    conn.sock.send(_answer_bytes(503, {"error": "busy; try again"}, False))
                except OSError:
                    pass
            self._close(conn)

    def _take_back(self, selector, idle):
        while True:
            try:
                conn = self._returned.get_nowait()
            except queue.Empty:
                return
            self._watch(selector, idle, conn)

    def _expire(self, selector, idle):
        now = time.monotonic()
        for conn, expires in list(idle.items()):
            if expires <= now:
                del idle[conn]
                try:
                    selector.unregister(conn.sock)
                except (KeyError, ValueError, OSError):
                    pass
                if conn.head_deadline is not None and conn.handshaken:
                    try:   # a started request: say why, without waiting for the client
                        conn.sock.setblocking(False)
                        conn.sock.send(_answer_bytes(408, {"error": "the request head did "
                                                                    "not arrive in time"},
                                                     False))
                    except (OSError, ValueError):
                        pass
                self._close(conn)

    def _close(self, conn):
        conn.close()
        with self._lock:
            self._open.discard(conn)

    # ------------------------------------------------------------ the workers
    def _worker(self):
        while True:
            conn = self._work.get()
            if conn is None:
                return
            keep = False
            try:
                keep = self._serve(conn)
            except Exception as exc:   # never let one connection take a worker down
                self._log(conn.address, "internal error: %s" % type(exc).__name__)
            if keep and not self._stop.is_set():
                self._returned.put(conn)
                self._wake()
            else:
                self._close(conn)

    def _serve(self, conn):
        """Take what the connection has sent, answer every complete request in it.

        Never waits for the client: True hands the connection back to the
        acceptor (to wait for more, or for a next request), False closes it.
        """
        if conn.head_deadline is None:
            conn.head_deadline = time.monotonic() + HEAD_TIMEOUT
        if not conn.handshaken:
            status = self._handshake(conn)
            if status is not None:
                return status
        if not self._take(conn):
            return False
        for _ in range(REQUESTS_PER_TURN):
            try:
                head = self._complete_head(conn)
            except _Refuse as refusal:
                self._answer(conn, {"method": "-", "line": "-"}, refusal.status,
                             {"error": refusal.message}, refusal.extra, False, time.monotonic())
                return False
            if head is None:
                return not conn.eof  # wait for the rest of the head, if it can come
            started = time.monotonic()
            request = {"method": "-", "line": _printable(head.split(b"\r\n", 1)[0]
                                                           .decode("latin-1"))}
            try:
                request = _parse(head)
                status, body, extra = self._respond(request)
                keep = request["keep_alive"] and status < 400
            except _Refuse as refusal:
                status, body, extra, keep = refusal.status, {"error": refusal.message}, \
                    refusal.extra, False
            if not self._answer(conn, request, status, body, extra, keep, started) or not keep:
                return False
            conn.head_deadline = None
            if not conn.pending():
                return True
            conn.head_deadline = time.monotonic() + HEAD_TIMEOUT
            if conn.tls and not self._take(conn):
                return False
        return True

    def _answer(self, conn, request, status, body, extra, keep, started):
        data = _answer_bytes(status, body, keep, extra, request["method"] == "HEAD")
        sent = self._send(conn, data)
        self._log(conn.address, '"%s" %d %d %.1fms' % (
            request["line"], status, len(data), (time.monotonic() - started) * 1000))
        return sent

    def _handshake(self, conn):
        """None when done; True to wait for the client; False when it failed."""
        try:
            conn.sock.setblocking(False)
            conn.sock.do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return True
        except (OSError, ValueError):
            return False
        conn.handshaken = True
        conn.head_deadline = time.monotonic() + HEAD_TIMEOUT   # the request's own time
        return None

    def _take(self, conn):
        """Read what has arrived, without waiting; False when the client has gone."""
        try:
            conn.sock.setblocking(False)
            while len(conn.buffer) <= MAX_HEAD + MAX_REQUEST_LINE:
                chunk = conn.sock.recv(16384)
                if not chunk:
                    conn.eof = True
                    return bool(conn.buffer)   # closed after sending: answer what came
                conn.buffer += chunk
        except (BlockingIOError, InterruptedError, ssl.SSLWantReadError,
                ssl.SSLWantWriteError):
            return True
        except (OSError, ValueError):
            return False
        return True

    def _complete_head(self, conn):
        """The next request head if it has fully arrived, else None; _Refuse if too long."""
        buffer = conn.buffer
        end = buffer.find(b"\r\n\r\n")
        line_end = buffer.find(b"\r\n")
        if (line_end == -1 and len(buffer) > MAX_REQUEST_LINE) or line_end > MAX_REQUEST_LINE:
            raise _Refuse(414, "request line longer than %d bytes" % MAX_REQUEST_LINE)
        if end == -1:
            if len(buffer) > MAX_HEAD:
                raise _Refuse(431, "request head longer than %d bytes" % MAX_HEAD)
            return None
        if end > MAX_HEAD:
            raise _Refuse(431, "request head longer than %d bytes" % MAX_HEAD)
        conn.buffer = buffer[end + 4:]
        return buffer[:end]

    def _send(self, conn, data):
        try:
            conn.sock.settimeout(WRITE_TIMEOUT)
            conn.sock.sendall(data)
            return True
        except (OSError, ValueError):
            return False
        finally:
            try:
                conn.sock.setblocking(False)
            except (OSError, ValueError):
                pass

    def _respond(self, request):
        """(status, body, extra headers) for a parsed request."""
        if request["method"] not in ("GET", "HEAD"):
            raise _Refuse(405, "method not allowed; only GET and HEAD", {"Allow": "GET, HEAD"})
        if request["body"]:
            raise _Refuse(413, "requests carry no body")
        path = request["target"].split("?", 1)[0]
        if path == "/healthz":
            return 200, {"status": "ok"}, {}
        if not self._authorized(request["headers"].get("authorization", "")):
            raise _Refuse(401, "missing or wrong bearer token",
                          {"WWW-Authenticate": 'Bearer realm="tgmon"'})
        try:
            status, body = self.app.route(path)
        except TgmonError as exc:
            status, body = 503, {"error": str(exc)}
        except Exception as exc:  # never a traceback to the client; one log line
            self._log("-", "internal error in the app: %s" % type(exc).__name__)
            status, body = 500, {"error": "internal error in the exporter"}
        return status, body, {}

    def _authorized(self, given):
        if self.token is None:
            return True
        expected = ("Bearer " + self.token).encode("latin-1")
        return hmac.compare_digest(given.encode("latin-1", "replace"), expected)

    def _log(self, address, text):
        """One line per request, written by a thread of its own: a slow log reader (a
        full pipe, a busy journal) must never hold a worker. Lines beyond what the
        queue holds are dropped and counted."""
        line = "%s %s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), address, text)
        try:
            self._log_queue.put_nowait(line)
        except queue.Full:
            with self._log_lock:
                self._log_dropped += 1

    def _log_writer(self):
        while True:
            line = self._log_queue.get()
            if line is None:
                return
            with self._log_lock:
                dropped, self._log_dropped = self._log_dropped, 0
            if dropped:
                line = "%s - %d log lines dropped (the log was not read fast enough)\n%s" % (
                    time.strftime("%Y-%m-%dT%H:%M:%S"), dropped, line)
            try:
                self.log_stream.write(line)
                self.log_stream.flush()
            except (OSError, ValueError):
                pass


def _parse(head):
    """A request head -> dict; _Refuse(400/431/505) for what is not HTTP/1.x."""
    lines = head.split(b"\r\n")
    try:
        line = lines[0].decode("ascii")
    except UnicodeDecodeError:
        raise _Refuse(400, "the request line is not ASCII") from None
    parts = line.split(" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[1]:
        raise _Refuse(400, "malformed request line")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise _Refuse(505, "only HTTP/1.0 and HTTP/1.1")
    if len(lines) - 1 > MAX_HEADERS:
        raise _Refuse(431, "more than %d header fields" % MAX_HEADERS)
    headers = {}
    for raw in lines[1:]:
        name, colon, value = raw.partition(b":")
        if not colon or not name or name != name.strip() or b" " in name:
            raise _Refuse(400, "malformed header field")
        key = name.decode("latin-1").lower()
        if key in ("content-length", "transfer-encoding", "host") and key in headers:
            raise _Refuse(400, "header field %s given twice" % key)
        headers[key] = value.strip().decode("latin-1")
    connection = headers.get("connection", "").lower()
    keep_alive = version == "HTTP/1.1" and "close" not in connection
    body = headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers
    return {"method": method, "target": target, "version": version, "headers": headers,
            "keep_alive": keep_alive, "body": body, "line": _printable(line)}


def _printable(text):
    return "".join(c if " " <= c <= "~" and c != '"' else "?" for c in str(text)[:200])


def _answer_bytes(status, body, keep, extra=None, head_only=False):
    data = json.dumps(body, ensure_ascii=True).encode("ascii") + b"\n"
    lines = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Error")),
             "Server: tgmon/%s" % __version__,
             "Content-Type: application/json",
             "Content-Length: %d" % len(data),
             "Cache-Control: no-store",
             "Connection: %s" % ("keep-alive" if keep else "close")]
    lines.extend("%s: %s" % item for item in (extra or {}).items())
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only else head + data


def raise_file_limit():
    """Allow as many open files as the hard limit does (idle connections are fds)."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY:
            hard = 65536
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, ValueError, OSError):
        return 1024


def fits_file_limit(max_connections):
    """max_connections, lowered to what the open-file limit allows (with room to spare)."""
    limit = raise_file_limit()
    return max(1, min(max_connections, limit - 64))


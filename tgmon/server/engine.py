"""A small HTTP/1.1 server that stays available under abuse: ``tgmon serve``'s engine.

Why not ``http.server`` or a library: a thread per connection, or a TLS handshake
in the accepting thread (stdlib, cheroot 9.x), lets a few idle clients stop the
rest (docs/benchmarks.rst). Here:

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
- answers are written without waiting, too: what the client's socket does
  not take at once stays with the connection, which goes back to the
  selector until it can be written; a client that sends requests and never
  reads the answers holds no worker and is dropped when its answer has not
  gone out ``WRITE_TIMEOUT`` after it was due. Until then nothing more is read
  from it, so it cannot pile up answers either;
- pipelined requests are answered in order, each turn at most
  ``REQUESTS_PER_TURN`` before the connection queues for a worker again;
- at most ``max_connections`` are open; a new one beyond takes the place of
  the connection that waits for a request and would time out first, and is
  closed on accept only when all of them are busy;
- requests and answers' bytes: ``wire``; what a request is answered (methods,
  token, the app's route): ``respond``; the log: a ``ServerLog`` (never blocks).
"""

import queue
import selectors
import socket
import threading
import time

from ..errors import TgmonError
from .connection import HEAD_TIMEOUT, WRITE_TIMEOUT, Connection
from .respond import respond
from .wire import (Refuse, answer_bytes, answer_parts, method_of, parse_head, request_line_of,
                   split_head)

IDLE_TIMEOUT = 15.0        # a connection that sends nothing (new or kept alive)
DEFAULT_WORKERS = 64
DEFAULT_MAX_CONNECTIONS = 1000
REQUESTS_PER_TURN = 8      # pipelined requests served before the connection queues again:
                           # a client with thousands cannot make the others wait long
SEND_BUFFER = 64 * 1024    # the kernel's share of unread answers (autotuned: up to 4 MB)
OUTBOX_BUDGET = 32 * 1024 * 1024   # answers waiting for clients, all together


class BoundedServer:
    def __init__(self, address, app, token=None, tls=None, workers=DEFAULT_WORKERS,
                 max_connections=DEFAULT_MAX_CONNECTIONS, log=None, reload=None,
                 reload_what=None):
        """``log``: a ServerLog (or None: no log); ``reload``: called in the serving
        thread after ``request_reload``, returns (token, tls) or raises TgmonError;
        ``reload_what`` names what it re-reads, for the log (None: nothing)."""
        self.app = app
        self.token = token
        self.tls = tls
        self.workers = max(1, int(workers))
        self.max_connections = max(1, int(max_connections))
        self.log = log
        self._reload = reload
        self._reload_what = reload_what
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
        # plain flags: an Event's lock, held where a signal handler cut in, is never freed
        self._stopping = False
        self._reload_wanted = False
        # connections with bytes to serve wait here for a worker; there are never
        # more of them than open connections, which max_connections bounds
        self._work = queue.Queue(maxsize=self.max_connections)
        self._returned = queue.Queue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._open = set()
        self._lock = threading.Lock()
        self._parked = 0    # bytes of the answers that wait in the selector for their client

    # ------------------------------------------------------------ the acceptor
    def serve_forever(self):
        threads = [threading.Thread(target=self._worker, daemon=True,
                                    name="tgmon-serve-%d" % n) for n in range(self.workers)]
        for thread in threads:
            thread.start()
        selector = selectors.DefaultSelector()
        selector.register(self.socket, selectors.EVENT_READ, "accept")
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        waiting = {}   # connection -> when it expires, for all in the selector
        evict_check = 0.0
        try:
            while not self._stopping:
                for key, _ in selector.select(timeout=0.5):
                    if key.data == "accept":
                        self._accept(selector, waiting)
                    elif key.data == "wake":
                        self._drain_wake()
                    else:
                        selector.unregister(key.fileobj)
                        waiting.pop(key.data, None)
                        self._unpark(key.data)
                        if key.data.outbox:
                            self._send_on(selector, waiting, key.data)
                        else:
                            self._dispatch(key.data)
                if self._reload_wanted:
                    self._reload_wanted = False   # a SIGHUP meanwhile: one reload reads both
                    self._do_reload()
                self._take_back(selector, waiting)
                self._expire(selector, waiting)
                if self._parked > OUTBOX_BUDGET and time.monotonic() > evict_check:
                    self._evict(selector, waiting)
                    evict_check = time.monotonic() + 0.1   # it walks every waiting answer
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

    def shutdown(self):
        """Stop serving (safe from a signal handler): the loop ends within its turn."""
        self._stopping = True
        self._wake()

    def request_reload(self):
        """Re-read the token and TLS files in the serving thread (safe from a signal handler)."""
        self._reload_wanted = True
        self._wake()

    def _do_reload(self):
        if self._reload is None or not self._reload_what:
            self._log("-", "SIGHUP: nothing to re-read (no --token-file, no TLS); serving on")
            return
        try:
            self.token, self.tls = self._reload()
        except TgmonError as exc:
            self._log("-", "SIGHUP: kept %s as read before: %s - %s"
                      % (self._reload_what, exc.cause, exc.fix))
            return
        self._log("-", "SIGHUP: re-read %s" % self._reload_what)

    def _wake(self):
        try:
            self._wake_w.send(b"x")
        except OSError:    # full: a wake-up is pending anyway
            pass

    def _drain_wake(self):
        try:
            while self._wake_r.recv(4096):
                pass
        except OSError:
            pass

    def _accept(self, selector, waiting):
        for _ in range(64):
            try:
                sock, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:        # e.g. out of file descriptors: try again later
                return
            with self._lock:
                crowded = len(self._open) >= self.max_connections
            if crowded and not self._make_room(selector, waiting):
                sock.close()
                continue
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
            tls = self.tls
            if tls is not None:
                try:   # no handshake here: a worker does it, under a timeout
                    sock = tls.wrap_socket(sock, server_side=True,
                                           do_handshake_on_connect=False)
                except OSError:
                    sock.close()
                    continue
            conn = Connection(sock, address, tls is not None)
            with self._lock:
                self._open.add(conn)
            self._watch(selector, waiting, conn)

    def _make_room(self, selector, waiting):
        """At the limit, close the connection that waits for a request and would time out
        first: clients that connect and idle (or trickle a head) cannot lock others out.
        False when every connection is busy."""
        idle = [conn for conn in waiting if not conn.outbox]
        if idle:
            self._drop(selector, waiting, min(idle, key=waiting.get),
                       "it sent no request while all %d connections were open "
                       "(--max-connections); a new client took its place" % self.max_connections)
        return bool(idle)

    def _watch(self, selector, waiting, conn):
        """Wait for the client: to take the outbox, or to send (more of) a request."""
        if conn.outbox:
            events, conn.expires = conn.wants, conn.write_deadline
        else:
            # a request under way must finish by its head deadline; else the idle limit
            events = selectors.EVENT_READ
            conn.expires = conn.head_deadline or time.monotonic() + IDLE_TIMEOUT
        try:
            selector.register(conn.sock, events, conn)
        except (ValueError, KeyError, OSError):
            self._close(conn)
            return
        waiting[conn] = conn.expires
        conn.parked = conn.unsent()
        self._parked += conn.parked

    def _unpark(self, conn):
        self._parked -= conn.parked
        conn.parked = 0

    def _evict(self, selector, waiting):
        """Too many answer bytes wait for clients: drop those that took nothing for the
        longest time. One kept answer sent to many clients is counted once."""
        parked = [c for c in waiting if c.outbox]
        held = sum(len(part) for part in {id(p): p for c in parked for p in c.outbox}.values())
        for conn in sorted(parked, key=lambda c: c.progress):
            if held <= OUTBOX_BUDGET:
                return
            held -= conn.unsent()
            self._drop(selector, waiting, conn, "it took no answer while answers for %d MB "
                       "waited for their clients" % (OUTBOX_BUDGET // (1024 * 1024)))

    def _drop(self, selector, waiting, conn, why):
        del waiting[conn]
        self._unregister(selector, conn)
        self._log(conn.address, "dropped: " + why)
        self._close(conn)

    def _unregister(self, selector, conn):
        try:
            selector.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        self._unpark(conn)

    def _send_on(self, selector, waiting, conn):
        """The client can take more of its outbox: send it here, without waiting."""
        if not conn.flush():
            self._close(conn)
        elif conn.outbox:
            self._watch(selector, waiting, conn)
        else:
            self._next(selector, waiting, conn)

    def _next(self, selector, waiting, conn):
        """A connection whose answers are out: close, serve what it has sent, or wait."""
        if conn.closing or self._stopping:
            self._close(conn)
        elif conn.has_request():   # pipelined, already read: no event will come
            self._dispatch(conn)
        else:
            self._watch(selector, waiting, conn)

    def _dispatch(self, conn):
        try:
            self._work.put_nowait(conn)
        except queue.Full:
            if not conn.tls:
                try:   # a canned answer; never wait for a slow client here
                    conn.sock.send(answer_bytes(503, {"error": "busy; try again"}, False))
                except OSError:
                    pass
            self._close(conn)

    def _take_back(self, selector, waiting):
        while True:
            try:
                conn = self._returned.get_nowait()
            except queue.Empty:
                return
            if conn.outbox:
                self._watch(selector, waiting, conn)
            else:
                self._next(selector, waiting, conn)

    def _expire(self, selector, waiting):
        now = time.monotonic()
        for conn, expires in list(waiting.items()):
            if expires > now:
                continue
            del waiting[conn]
            self._unregister(selector, conn)
            if conn.outbox:
                self._log(conn.address, "dropped: the client took no answer for %g s"
                          % WRITE_TIMEOUT)
            elif conn.head_deadline is not None and conn.handshaken:
                try:   # a started request: say why, without waiting for the client
                    conn.sock.setblocking(False)
                    conn.sock.send(answer_bytes(408, {"error": "the request head did not "
                                                               "arrive in time"}, False,
                                                head_only=method_of(conn.buffer) == "HEAD"))
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
            if keep and not self._stopping:
                self._returned.put(conn)
                self._wake()
            else:
                self._close(conn)

    def _serve(self, conn):
        """Take what the connection has sent, answer the complete requests in it.

        Never waits for the client: True hands the connection back to the
        acceptor (to send the rest of an answer, wait for more of a request, or
        serve the next pipelined one), False closes it.
        """
        if conn.head_deadline is None:
            conn.head_deadline = time.monotonic() + HEAD_TIMEOUT
        if not conn.handshaken:
            status = conn.handshake()
            if status is not None:
                return status
        if not conn.take():
            return False
        for _ in range(REQUESTS_PER_TURN):
            try:
                head, conn.buffer = split_head(conn.buffer)
            except Refuse as refusal:
                return self._answer(conn, {"method": method_of(conn.buffer), "line": "-"},
                                    refusal.status,
                                    {"error": refusal.message}, refusal.extra, False,
                                    time.monotonic())
            if head is None:
                return not conn.eof  # wait for the rest of the head, if it can come
            started = time.monotonic()
            request = {"method": method_of(head), "line": request_line_of(head)}
            try:
                request = parse_head(head)
                status, body, extra = respond(request, self.app, self.token, self._log)
                keep = request["keep_alive"] and status < 400
            except Refuse as refusal:
                status, body, extra, keep = refusal.status, {"error": refusal.message}, \
                    refusal.extra, False
            if not self._answer(conn, request, status, body, extra, keep, started):
                return False
            conn.head_deadline = None
            if conn.outbox or not keep or not conn.pending():
                return True    # the acceptor sends the rest, closes, or waits for more
            conn.head_deadline = time.monotonic() + HEAD_TIMEOUT
            if conn.tls and not conn.take():
                return False
        return True

    def _answer(self, conn, request, status, body, extra, keep, started):
        """Queue the answer and send what goes out now; False when the client is gone."""
        parts = answer_parts(status, body, keep, extra, request["method"] == "HEAD")
        conn.outbox.extend(parts)
        conn.closing = not keep
        sent = conn.flush()
        self._log(conn.address, '"%s" %d %d %.1fms%s' % (
            request["line"], status, sum(map(len, parts)), (time.monotonic() - started) * 1000,
            "" if not conn.outbox else " (%d bytes wait for the client)" % conn.unsent()))
        return sent

    def _log(self, address, text):
        if self.log is not None:
            self.log.event(address, text)

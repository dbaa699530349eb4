"""A client connection of ``tgmon serve``'s engine: bytes in and out, never waiting.

``take`` reads what has arrived, ``handshake`` advances TLS as far as the
client has, ``flush`` sends what the socket takes now and keeps the rest (the
outbox) for when it can take more. ``httpserver`` decides when each runs.
"""

import selectors
import ssl
import time

from .wire import MAX_HEAD, MAX_REQUEST_LINE, Refuse, split_head

HEAD_TIMEOUT = 5.0         # TLS handshake plus the request head, from the first byte
WRITE_TIMEOUT = 5.0        # an answer not taken by the client by then: the connection goes
SEND_CHUNK = 16384         # a TLS record; a retried TLS write repeats the same chunk


class Connection:
    """One client's socket: what it sent, what it has yet to take; never waits for it."""

    def __init__(self, sock, address, tls):
        self.sock = sock
        self.address = address[0] if isinstance(address, tuple) else str(address)
        self.tls = tls
        self.handshaken = not tls
        self.buffer = b""
        self.outbox = []              # answer parts; the client has taken `sent` bytes of
        self.sent = 0                 # the first
        self.parked = 0               # outbox bytes counted in the server's budget
        self.write_deadline = None    # the outbox must be gone by then
        self.progress = 0.0           # when the client last took a byte of it
        self.wants = selectors.EVENT_WRITE   # what a blocked TLS write waits for
        self.closing = False          # close once the outbox is gone
        self.expires = 0.0
        self.head_deadline = None     # set by the first byte of a request (or handshake)
        self.eof = False              # the client has closed its side

    def pending(self):
        """Bytes already read (ours or in the TLS layer) that form a next request."""
        return bool(self.buffer) or (self.tls and self.handshaken and self.sock.pending() > 0)

    def has_request(self):
        """A whole next request (or too much for one) has been read already: no
        selector event will announce it."""
        try:
            if split_head(self.buffer)[0] is not None:
                return True
        except Refuse:
            return True
        return self.tls and self.handshaken and self.sock.pending() > 0

    def unsent(self):
        return sum(len(part) for part in self.outbox) - self.sent

    def flush(self):
        """Send what the socket takes now, never waiting; False when the client is gone."""
        try:
            self.sock.setblocking(False)
            while self.outbox:
                part = self.outbox[0]
                with memoryview(part) as view:
                    self.sent += self.sock.send(view[self.sent:self.sent + SEND_CHUNK])
                self.progress = time.monotonic()
                if self.sent >= len(part):
                    self.outbox.pop(0)
                    self.sent = 0
        except (BlockingIOError, InterruptedError, ssl.SSLWantWriteError):
            self.wants = selectors.EVENT_WRITE
        except ssl.SSLWantReadError:
            self.wants = selectors.EVENT_READ
        except (OSError, ValueError):
            return False
        if not self.outbox:
            self.write_deadline = None
        elif self.write_deadline is None:
            self.write_deadline = time.monotonic() + WRITE_TIMEOUT
        return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def handshake(self):
        """None when done; True to wait for the client; False when it failed."""
        try:
            self.sock.setblocking(False)
            self.sock.do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return True
        except (OSError, ValueError):
            return False
        self.handshaken = True
        self.head_deadline = time.monotonic() + HEAD_TIMEOUT   # the request's own time
        return None

    def take(self):
        """Read what has arrived, without waiting; False when the client has gone."""
        try:
            self.sock.setblocking(False)
            while len(self.buffer) <= MAX_HEAD + MAX_REQUEST_LINE:
                chunk = self.sock.recv(16384)
                if not chunk:
                    self.eof = True
                    return bool(self.buffer)   # closed after sending: answer what came
                self.buffer += chunk
        except (BlockingIOError, InterruptedError, ssl.SSLWantReadError,
                ssl.SSLWantWriteError):
            return True
        except (OSError, ValueError):
            return False
        return True

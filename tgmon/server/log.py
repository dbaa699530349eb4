"""The exporter's log: one line per event, and never a stall.

A daemon's stderr is a pipe or the journal's socket. When nobody reads it, a
plain write blocks - in a worker it holds a request, in the serving loop or at
exit it keeps SIGTERM from stopping the daemon. Here a line only goes into a
bounded queue; a thread of its own writes it to the file descriptor, and only
after poll() says the descriptor takes bytes, a chunk no larger than a pipe
takes at once. So no thread ever blocks in write(), and ``close`` waits for
the queue at most as long as it is told. A line that finds the queue full is
dropped and counted; the count is said in the next line that gets through,
and in the last line at exit.
"""

import collections
import os
import select
import threading
import time

from ..safeio.text import sanitize

MAX_QUEUED = 10000
POLL_MS = 200
CHUNK = 512          # <= PIPE_BUF: a pipe or socket that poll() calls writable takes it


class ServerLog:
    """Lines for ``fd`` (stderr by default), written by a thread of its own."""

    def __init__(self, fd=2):
        self.fd = fd
        self._lines = collections.deque()
        self._ready = threading.Condition()
        self._dropped = 0           # lines not queued since the last one written
        self._dropped_total = 0
        self._closing = False
        self._broken = False        # the descriptor refused a write: nobody reads it
        self._thread = threading.Thread(target=self._run, daemon=True, name="tgmon-log")
        self._thread.start()

    @property
    def dropped(self):
        """How many lines were dropped since the start."""
        with self._ready:
            return self._dropped_total

    def say(self, text):
        """Queue one line (``text`` without its newline); drop and count it when full."""
        with self._ready:
            if self._closing:
                return
            if len(self._lines) >= MAX_QUEUED:
                self._dropped += 1
                self._dropped_total += 1
                return
            self._lines.append(text)
            self._ready.notify()

    def event(self, address, text):
        """A request or server event: time, the client's address (or '-'), what happened
        (one printable line, whatever a file name or an error held)."""
        self.say("%s %s %s" % (time.strftime("%Y-%m-%dT%H:%M:%S"), address, sanitize(text)))

    def close(self, last, timeout):
        """Queue ``last`` (it always fits) and wait at most ``timeout`` seconds for the
        queue to be written; True when it was."""
        with self._ready:
            if self._dropped_total:
                last += "; %d log lines were dropped, the log was not read fast enough" \
                        % self._dropped_total
            self._lines.append(last)
            self._closing = True
            self._ready.notify()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self):
        while True:
            with self._ready:
                while not self._lines and not self._closing:
                    self._ready.wait()
                if not self._lines:
                    return
                text = self._lines.popleft()
                dropped, self._dropped = self._dropped, 0
            if dropped and not self._closing:
                text = "%s - %d log lines dropped (the log was not read fast enough)\n%s" % (
                    time.strftime("%Y-%m-%dT%H:%M:%S"), dropped, text)
            self._write((text + "\n").encode("utf-8", "replace"))

    def _write(self, data):
        poller = select.poll()
        poller.register(self.fd, select.POLLOUT)
        while data and not self._broken:
            try:
                events = poller.poll(POLL_MS)
            except InterruptedError:
                continue
            if not events:
                continue
            if events[0][1] & (select.POLLERR | select.POLLNVAL | select.POLLHUP):
                self._broken = True
                return
            try:
                data = data[os.write(self.fd, data[:CHUNK]):]
            except BlockingIOError:
                continue
            except OSError:      # EPIPE, EBADF, ...: the log is gone; keep serving
                self._broken = True

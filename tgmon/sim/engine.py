"""The simulated clock and its event queue: jump from event to event.

Instants are kept in UTC: arithmetic on aware datetimes of one zone is
wall-clock arithmetic in Python (03:00 CEST - 1 h = a 02:00 that does not
exist on a spring-forward day), so local time is for display only.
"""

import heapq
import itertools

from ..timeutil import UTC


class EventQueue:
    def __init__(self, start):
        self.now = start.astimezone(UTC)
        self._heap = []
        self._seq = itertools.count()

    def at(self, when, action, *args):
        """Run ``action(*args)`` at ``when`` (never in the past)."""
        when = when.astimezone(UTC)
        if when < self.now:
            when = self.now
        heapq.heappush(self._heap, (when, next(self._seq), action, args))

    def next_time(self):
        return self._heap[0][0] if self._heap else None

    def run_until(self, until):
        """Run every event due up to and including ``until``, in order."""
        until = until.astimezone(UTC)
        heap = self._heap
        while heap and heap[0][0] <= until:
            when, _, action, args = heapq.heappop(heap)
            self.now = when
            action(*args)
        if until > self.now:
            self.now = until

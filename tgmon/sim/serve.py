"""``tgmon-sim serve``: every simulated node's live state over HTTP.

    GET /NODE/v1/status   the node's state in the remote form (like tgmon serve)
    GET /v1/nodes         the node names and the simulated instant
    GET /healthz          200 while /v1/nodes is served

Simulated time either stands at one instant (--at) or runs from the
scenario's start at --speed times wall-clock time. Every state is served as
of now (as ``tgmon-sim run --as-of-now`` writes it), so the real checks and
cores that read it judge it fresh; --simulated-times serves the scenario's
own times.
"""

import threading
import time

from ..state.lifecycle import moved_to_now
from ..state.layout import remote_document
from ..timeutil import utcnow


class SimulationApp:
    HEALTH_PATH = "/v1/nodes"

    def __init__(self, scenario, at=None, speed=None, as_of_now=True):
        self.scenario = scenario
        self.sim = scenario.build()
        self.lock = threading.Lock()
        self.speed = speed
        self.as_of_now = as_of_now
        self.origin = at or scenario.start
        self.started = time.monotonic()
        self.sim.run_until(self.origin)

    def now(self):
        """The simulated instant; with --speed it stops where a scenario's span ends."""
        if not self.speed:
            return self.origin
        from datetime import timedelta
        return min(self.origin + timedelta(seconds=(time.monotonic() - self.started) * self.speed),
                   self.scenario.start + self.scenario.max_span)

    def route(self, path):
        parts = [p for p in path.split("/") if p]
        with self.lock:
            self.sim.run_until(self.now())
            if parts == ["v1", "nodes"]:
                return 200, {"nodes": sorted(self.sim.nodes),
                             "instant": self.sim.local(self.sim.now).isoformat(),
                             "as_of_now": self.as_of_now}
            if len(parts) == 3 and parts[1:] == ["v1", "status"] and parts[0] in self.sim.nodes:
                state = self.sim.nodes[parts[0]].snapshot()
                if self.as_of_now:
                    state = moved_to_now(state, self.sim.now, utcnow())
                return 200, remote_document(state)
        return 404, {"error": "not found; nodes are at /NODE/v1/status (list: /v1/nodes)"}

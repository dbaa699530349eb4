"""``tgmon-sim serve``: every simulated node's live state over HTTP.

    GET /NODE/v1/status   the node's state in the remote form (like tgmon serve)
    GET /v1/nodes         the node names and the simulated instant
    GET /healthz

Simulated time either stands at one instant (--at) or runs from the
scenario's start at --speed times wall-clock time.
"""

import threading
import time

from ..stateformat import remote_document


class SimulationApp:
    def __init__(self, scenario, at=None, speed=None):
        self.scenario = scenario
        self.sim = scenario.build()
        self.lock = threading.Lock()
        self.speed = speed
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
                             "instant": self.sim.local(self.sim.now).isoformat()}
            if len(parts) == 3 and parts[1:] == ["v1", "status"] and parts[0] in self.sim.nodes:
                return 200, remote_document(self.sim.nodes[parts[0]].snapshot())
        return 404, {"error": "not found; nodes are at /NODE/v1/status (list: /v1/nodes)"}

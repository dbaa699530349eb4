"""The simulated world: clock, update server, clusters, nodes, and a log.

Simulated time moves in one way only, ``run_until`` (the event queue's
loop); ``walk`` steps it from event to event for those who watch every
change (the timeline, the downtimes), ``tgmon-sim run`` and ``serve`` run it
to the instant they want.
"""

from datetime import timedelta, timezone

from .cluster import SimCluster
from .engine import EventQueue
from .errors import SimError
from .node import SimNode
from .updateserver import SimUpdateServer

SECOND = timedelta(seconds=1)


class Simulation:
    def __init__(self, start, zone, server=None):
        self.zone = zone
        self.queue = EventQueue(start)
        self.server = server or SimUpdateServer()
        self.nodes = {}
        self.clusters = {}
        self.entries = []      # (instant, node or "", text)
        self.listeners = []
        self._started = False

    @property
    def now(self):
        return self.queue.now

    def local(self, instant):
        """An instant as the appliance's wall clock shows it, with a fixed offset
        (what a reader of the state gets; a zone-aware datetime in a repeated
        hour never compares equal to another zone's, PEP 495)."""
        local = instant.astimezone(self.zone)
        return local.replace(tzinfo=timezone(local.utcoffset()))

    def log(self, node, text):
        entry = (self.now, node, text)
        self.entries.append(entry)
        for listener in self.listeners:
            listener(entry)

    def add_cluster(self, name, max_parallel_updates=1, update_lock=False):
        if name in self.clusters:
            raise SimError("cluster %r defined twice" % name)
        cluster = self.clusters[name] = SimCluster(name, max_parallel_updates, update_lock)
        return cluster

    def add_node(self, name, cluster=None, **settings):
        if name in self.nodes:
            raise SimError("node %r defined twice" % name)
        owner = None
        if cluster is not None:
            owner = self.clusters.get(cluster)
            if owner is None:
                raise SimError("node %r: unknown cluster %r" % (name, cluster))
        node = SimNode(self, name, "cluster-node" if owner else "single", owner, **settings)
        if owner is not None:
            owner.nodes.append(node)
        self.nodes[name] = node
        if self._started:
            node.start()
        return node

    def node(self, name):
        try:
            return self.nodes[name]
        except KeyError:
            raise SimError("unknown node %r (known: %s)" % (name, ", ".join(self.nodes))) from None

    def start(self):
        """Arm every node's recurring events; call once, after the setup."""
        if not self._started:
            self._started = True
            for node in self.nodes.values():
                node.start()

    def at(self, when, action, *args):
        self.queue.at(when, action, *args)

    def run_until(self, until):
        self.start()
        self.queue.run_until(until)

    def walk(self, until):
        """Step to ``until`` from event to event: yield (instant, quiet_until) now and
        after the events of each following instant have run; until ``quiet_until``
        (a second before the next event, at most ``until``) only time passes."""
        self.start()
        instant = self.now
        while True:
            following = self.queue.next_time()
            yield instant, until if following is None else min(following - SECOND, until)
            if following is None or following > until:
                return
            instant = following
            self.run_until(instant)

    def states(self):
        """Every node's exported state at the current instant."""
        return {name: node.snapshot() for name, node in self.nodes.items()}

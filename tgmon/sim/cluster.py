"""A TightGate-Pro cluster: its nodes and the cluster-wide settings (R9, R16)."""


class SimCluster:
    def __init__(self, name, max_parallel_updates=1, update_lock=False):
        self.name = name
        self.max_parallel_updates = max_parallel_updates
        self.update_lock = update_lock  # the "Cluster-wide update lock" setting
        self.nodes = []

    def lock_holder(self, exclude=None):
        """Name of a node holding an update lock (R9 halts the cluster), or None."""
        for node in self.nodes:
            if node is not exclude and node.update_lock.is_set:
                return node.name
        return None

    def updating(self):
        """Nodes in an update run now (the simulator lets more than the max happen)."""
        return [n.name for n in self.nodes if n.run is not None]

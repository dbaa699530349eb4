"""Several nodes for the cluster view: state dirs, each read on its own.

A node that cannot be read does not spoil the others: it is reported as
unreachable with its cause, and the check decides what that means.
"""

from ..errors import SourceError, UsageError
from ..freshness import check_freshness
from ..model import record
from ..timeutil import utcnow
from .statedir import paths_for, read_state

ClusterView = record("ClusterView", "nodes failures generated origin")
NodeFailure = record("NodeFailure", "source cause")
MAX_NODES = 1000


def node_sources(opts):
    sources = list(opts.node or [])
    if opts.cluster_file:
        sources.extend(read_cluster_file(opts.cluster_file))
    if not sources:
        raise UsageError("no nodes given", "name each node's state dir with --node DIR "
                         "(repeatable) or list them in --cluster-file FILE")
    if len(sources) > MAX_NODES:
        raise UsageError("%d nodes given, at most %d are read" % (len(sources), MAX_NODES),
                         "split the cluster into several checks")
    return list(dict.fromkeys(sources))  # each node once, in the given order


def read_cluster_file(path):
    """One node source per line; blank lines and '#' comments are ignored."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(1024 * 1024)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError("cannot read cluster file %s: %s" % (path, getattr(exc, "strerror", None) or exc),
                         "check --cluster-file") from None
    return [line.split("#", 1)[0].strip() for line in text.splitlines()
            if line.split("#", 1)[0].strip()]


def read_nodes(opts, now):
    states, failures = [], []
    for source in node_sources(opts):
        try:
            state = read_state(paths_for(source))
            check_freshness(state, now, opts.max_age)
            states.append((source, state))
        except SourceError as exc:
            failures.append(NodeFailure(source, str(exc)))
    if not states:
        raise SourceError("no node of the cluster could be read (%s)"
                          % "; ".join("%s: %s" % (f.source, f.cause) for f in failures[:3]),
                          "check the nodes' state dirs")
    generated = max(state.generated for _, state in states)
    return ClusterView(tuple(states), tuple(failures), generated,
                       ", ".join(source for source, _ in states))

"""Acquisition by scope: one node's state (a state dir or --url), or a cluster's nodes."""

from ..options import http_settings, single_source


def read(definition, opts, now):
    """The State (node, all-in-one) or ClusterView (cluster) a check judges."""
    if definition.scope == "cluster":
        from ..sources.nodes import node_sources, read_nodes
        # no node read is still a verdict: every node's cause in the long output, and perfdata
        return read_nodes(node_sources(opts.node, opts.cluster_file), http_settings(opts),
                          opts.max_age, now, require_one=False)
    from ..sources import read_single_state
    return read_single_state(single_source(opts), now)


def overdue(definition, opts):
    """(cause, fix) when reading the state did not finish within -t."""
    limit = "%g" % opts.timeout
    url = getattr(opts, "url", None)
    if url:
        from ..safeio.urls import redact_url   # urllib: only on this path
        return ("no answer from %s within -t %s s" % (redact_url(url), limit),
                "check DNS, the exporter and the network, or raise -t")
    if definition.scope == "cluster":
        return ("the nodes were not read within -t %s s" % limit,
                "check the nodes' exporters and the network, or raise -t")
    return ("reading the state dir %s took longer than -t %s s"
            % (getattr(opts, "state_dir", "?"), limit),
            "check its file system (a hung mount?)")

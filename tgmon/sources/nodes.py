"""Several nodes for the cluster view: state dirs and exporter URLs.

URLs are fetched concurrently with one pooled session, all within the
check's -t. A node that cannot be read does not spoil the others: it is
reported as unreachable with its cause, and the check decides what that means.
"""

from ..errors import SourceError, UsageError
from ..freshness import check_freshness
from ..model import ClusterView, NodeFailure
from ..stateformat import paths_for
from .statedir import read_state

MAX_NODES = 1000
MAX_WORKERS = 128


def is_url(source):
    return source.startswith(("http://", "https://"))


def node_sources(nodes, cluster_file):
    """--node values and the lines of --cluster-file: each node once, in order."""
    sources = list(nodes or [])
    if cluster_file:
        sources.extend(read_cluster_file(cluster_file))
    if not sources:
        raise UsageError("no nodes given", "name each node's state dir or URL with --node "
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
        raise UsageError("cannot read cluster file %s: %s"
                         % (path, getattr(exc, "strerror", None) or exc),
                         "check --cluster-file") from None
    return [line.split("#", 1)[0].strip() for line in text.splitlines()
            if line.split("#", 1)[0].strip()]


def read_nodes(sources, http, max_age, now):
    """ClusterView of the nodes that could be read; the others as failures."""
    results = {}
    urls = [s for s in sources if is_url(s)]
    if urls:
        results.update(_fetch_all(urls, http))
    for source in sources:
        if not is_url(source):
            results[source] = _guarded(lambda: read_state(paths_for(source)))
    states, failures = [], []
    for source in sources:
        outcome = results[source]
        if isinstance(outcome, NodeFailure):
            failures.append(outcome._replace(source=source))
            continue
        try:
            check_freshness(outcome, now, max_age)
            states.append((source, outcome))
        except SourceError as exc:
            failures.append(NodeFailure(source, str(exc)))
    if not states:
        raise SourceError("no node of the cluster could be read (%s)"
                          % "; ".join("%s: %s" % (f.source, f.cause) for f in failures[:3]),
                          "check the nodes' state dirs or exporters")
    generated = max(state.generated for _, state in states)
    return ClusterView(tuple(states), tuple(failures), generated,
                       ", ".join(source for source, _ in states))


def _guarded(read):
    try:
        return read()
    except SourceError as exc:
        return NodeFailure("", str(exc))


def _fetch_all(urls, http):
    """Fetch every URL concurrently; whatever is not back before -t is unreachable."""
    from concurrent.futures import ThreadPoolExecutor, wait
    from .http import make_session, read_url_state, remaining
    workers = min(MAX_WORKERS, len(urls))
    session = make_session(http, pool_size=workers)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tgmon-fetch")
    try:
        futures = {pool.submit(_guarded, lambda u=u: read_url_state(u, http, session)): u
                   for u in urls}
        done, _ = wait(futures, timeout=remaining(http, margin=0.5))
        results = {}
        for future, url in futures.items():
            if future in done:
                results[url] = future.result()
            else:
                results[url] = NodeFailure(url, "no answer within -t %g s" % http.timeout)
        return results
    finally:
        pool.shutdown(wait=False, cancel_futures=True)

"""Several nodes for the cluster view: state dirs and exporter URLs.

Every node is read at once, each in its own worker (a pool sized to the
number of nodes, up to a cap), all sharing the check's -t: a node that
never answers cannot starve the others. A node that cannot be read does not
spoil the others either: it is reported with its cause (not tried, no
answer, or what went wrong), and the check decides what that means.
"""

import os
import time

from .. import bounded
from ..errors import SourceError, UsageError
from ..freshness import check_freshness
from ..model import ClusterView, NodeFailure
from ..urls import check_url, is_url, redact_url
from ..safefile import read_option_file
from ..stateformat import paths_for
from .statedir import read_state

MAX_NODES = 1000
MAX_WORKERS = 256
MAX_CLUSTER_FILE = 1024 * 1024
MAX_SOURCE_CHARS = 4096


def is_node_source(text):
    """An exporter URL or an absolute state dir path, printable, of sane length."""
    return (0 < len(text) <= MAX_SOURCE_CHARS and text.isprintable()
            and (is_url(text) or os.path.isabs(text)))


def node_sources(nodes, cluster_file):
    """--node values and the lines of --cluster-file: each node once, in order."""
    sources = []
    for node in nodes or []:
        if not is_node_source(node):
            raise UsageError("--node %s is neither a URL nor an absolute state dir path"
                             % redact_url(node)[:100].encode("ascii", "replace").decode(),
                             "give https://HOST:9740/v1/status or /path/to/state-dir")
        sources.append(node)
    if cluster_file:
        sources.extend(read_cluster_file(cluster_file))
    for source in sources:
        if is_url(source):
            check_url(source)
    if not sources:
        raise UsageError("no nodes given", "name each node's state dir or URL with --node "
                         "(repeatable) or list them in --cluster-file FILE")
    if len(sources) > MAX_NODES:
        raise UsageError("%d nodes given, at most %d are read" % (len(sources), MAX_NODES),
                         "split the cluster into several checks")
    return list(dict.fromkeys(sources))  # each node once, in the given order


def read_cluster_file(path):
    """One node source per line; blank lines and '#' comments are ignored.

    A line that is no node source is named by its number, never shown: the
    file may not be what the admin meant to give.
    """
    data = read_option_file(path, "--cluster-file", MAX_CLUSTER_FILE, UsageError)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("--cluster-file %s is not UTF-8 text" % path,
                         "list one state dir or URL per line") from None
    sources = []
    for number, line in enumerate(text.splitlines(), 1):
        source = line.split("#", 1)[0].strip()
        if not source:
            continue
        if not is_node_source(source):
            raise UsageError("--cluster-file %s line %d is no URL or absolute path"
                             % (path, number), "list one state dir or URL per line")
        sources.append(source)
    return sources


def read_nodes(sources, http, max_age, now, require_one=True):
    """ClusterView of the nodes that could be read; the others as failures.
    SourceError when none could be read, unless ``require_one`` is False."""
    urls = [s for s in sources if is_url(s)]
    session = None
    if urls:
        from .http import make_session
        hosts = pool_keys(urls)
        session = make_session(http, pool_size=min(MAX_WORKERS, len(urls)), hosts=len(hosts))
    jobs = [_job(source, http, session) for source in sources]
    deadline = (http.deadline if http.deadline is not None else
                time.monotonic() + http.timeout) - READ_MARGIN
    outcomes = bounded.call_all(jobs, deadline, min(MAX_WORKERS, len(jobs)))
    states, failures = [], []
    for source, (status, value) in zip(sources, outcomes):
        shown = redact_url(source)
        if status == bounded.NOT_STARTED:
            failures.append(NodeFailure(shown, "not tried: -t %g s ran out before a worker was "
                                        "free (%d nodes)" % (http.timeout, len(sources))))
        elif status == bounded.RUNNING:
            failures.append(NodeFailure(shown, "no answer within -t %g s" % http.timeout))
        elif status == bounded.FAILED:
            if not isinstance(value, (SourceError, UsageError)):
                raise value
            failures.append(NodeFailure(shown, value.cause, value.fix))
        else:
            try:
                check_freshness(value, now, max_age, named=False)   # the source names it
                states.append((shown, value))
            except SourceError as exc:
                failures.append(NodeFailure(shown, exc.cause, exc.fix))
    if not states and require_one:
        raise SourceError("no node of the cluster could be read (%s)"
                          % "; ".join("%s: %s" % (f.source, f.cause) for f in failures[:3]),
                          "check the nodes' state dirs or exporters")
    generated = max(state.generated for _, state in states) if states else None
    return ClusterView(tuple(states), tuple(failures), generated,
                       ", ".join(source for source, _ in states))


def pool_keys(urls):
    """The connection pools the URLs need. urllib3 keeps one per scheme, host and port
    and closes the least recently used when it holds more than it was sized for;
    sized by host name alone, a node's pool was closed under its running fetch when
    two nodes shared a host (a false 'unreachable', seen in a real Nagios run)."""
    from urllib.parse import urlsplit
    keys = set()
    for url in urls:
        parts = urlsplit(url)
        keys.add((parts.scheme, (parts.hostname or "").lower(),
                  parts.port or (443 if parts.scheme == "https" else 80)))
    return keys


# the fan-out ends this much before the check's deadline, so the verdict is printed in time
READ_MARGIN = 0.5


def _job(source, http, session):
    if is_url(source):
        from .http import read_url_state
        return lambda: read_url_state(source, http, session)
    return lambda: read_state(paths_for(source))

"""Several nodes for the cluster view: state dirs and exporter URLs.

A node is configured as ``SOURCE`` or ``NAME=SOURCE`` (--node), or as a line
``[NAME] SOURCE [TIMEZONE]`` of --cluster-file. The NAME is who the node is
for whatever writes on its behalf (the downtimes sync): without one, only the
name its source gives it (the URL's host, the dir's name) can stand in, and a
node's own claim (status.json's name) must match either - never the other way
round. The cluster check reads the same sources and ignores the names.

Every node is read at once, each in its own worker (a pool sized to the
number of nodes, up to a cap), all sharing the check's -t: a node that
never answers cannot starve the others. A node that cannot be read does not
spoil the others either: it is reported with its cause (not tried, no
answer, or what went wrong), and the check decides what that means.
"""

import ipaddress
import os
import re
import time

from ..safeio import bounded
from ..errors import SourceError, UsageError
from ..state.freshness import check_freshness
from ..state.model import ClusterView, NodeFailure, record
from ..safeio.urls import check_url, is_url, redact_url
from ..safeio.files import read_option_file
from ..state.layout import paths_for
from .statedir import read_state

MAX_NODES = 1000
MAX_WORKERS = 256
MAX_CLUSTER_FILE = 1024 * 1024
MAX_SOURCE_CHARS = 4096
# A node's NAME as configured: a host name (the core's, through --host-name-format).
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$")

# One configured node: its NAME and time zone (None when not given) and its source.
NodeSource = record("NodeSource", "name source zone")


def is_node_source(text):
    """An exporter URL or an absolute state dir path, printable, of sane length."""
    return (0 < len(text) <= MAX_SOURCE_CHARS and text.isprintable()
            and (is_url(text) or os.path.isabs(text)))


def configured_nodes(nodes, cluster_file):
    """NodeSource of each --node value and --cluster-file line: each node once, in order."""
    configured = []
    for text in nodes or []:
        node = parse_node(text)
        if node is None:
            raise UsageError("--node %s is neither a URL nor an absolute state dir path (nor "
                             "NAME=one of them)" % redact_url(text)[:100].encode(
                                 "ascii", "replace").decode(),
                             "give [NAME=]https://HOST:9740/v1/status or "
                             "[NAME=]/path/to/state-dir")
        configured.append(node)
    if cluster_file:
        configured.extend(read_cluster_file(cluster_file))
    for node in configured:
        if is_url(node.source):
            check_url(node.source)
    if not configured:
        raise UsageError("no nodes given", "name each node's state dir or URL with --node "
                         "(repeatable) or list them in --cluster-file FILE")
    if len(configured) > MAX_NODES:
        raise UsageError("%d nodes given, at most %d are read" % (len(configured), MAX_NODES),
                         "split the cluster into several checks")
    return _once(configured)


def node_sources(nodes, cluster_file):
    """The sources of ``configured_nodes``: what the cluster check reads."""
    return [node.source for node in configured_nodes(nodes, cluster_file)]


def parse_node(text, zone=None):
    """'SOURCE' or 'NAME=SOURCE' -> NodeSource; None when it is neither."""
    if is_node_source(text):
        return NodeSource(None, text, zone)
    name, sep, source = text.partition("=")
    if sep and _NAME.match(name) and is_node_source(source):
        return NodeSource(name, source, zone)
    return None


def _once(configured):
    """Each source once (the first wins); a source or a name under two names refused."""
    by_source, by_name = {}, {}
    for node in configured:
        shown = redact_url(node.source)[:100]
        first = by_source.setdefault(node.source, node)
        if first != node:
            raise UsageError("node %s is given twice, differently (%s, %s)"
                             % (shown, first.name or "no name", node.name or "no name"),
                             "give each node once")
        if node.name is not None and by_name.setdefault(node.name, node) != node:
            raise UsageError("the name %s is given to two nodes" % node.name,
                             "give each node its own name")
    return list(by_source.values())


def read_cluster_file(path):
    """One node per line: SOURCE, NAME=SOURCE or NAME SOURCE [ZONE]; blank lines and
    '#' comments are ignored.

    A line that is no node is named by its number, never shown: the file may not
    be what the admin meant to give.
    """
    data = read_option_file(path, "--cluster-file", MAX_CLUSTER_FILE, UsageError)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("--cluster-file %s is not UTF-8 text" % path,
                         "list one state dir or URL per line") from None
    nodes = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        node, fields = parse_node(line), line.split()
        if (node is None and len(fields) in (2, 3) and _NAME.match(fields[0])
                and is_node_source(fields[1])):
            zone = _zone(fields[2], path, number) if len(fields) == 3 else None
            node = NodeSource(fields[0], fields[1], zone)
        if node is None:
            raise UsageError("--cluster-file %s line %d is no URL or absolute path"
                             % (path, number), "list one node per line: [NAME] SOURCE [TIMEZONE]")
        nodes.append(node)
    return nodes


def _zone(text, path, number):
    from zoneinfo import ZoneInfo
    try:
        return ZoneInfo(text)
    except Exception:   # ZoneInfoNotFoundError, ValueError for odd keys
        raise UsageError("--cluster-file %s line %d names no time zone" % (path, number),
                         "give an IANA time zone, e.g. Europe/Berlin") from None


def derived_names(source):
    """The names a node's own source gives it, without a NAME: an exporter URL's host
    name and its first label (never an IP address), a state dir's last component."""
    if is_url(source):
        from urllib.parse import urlsplit
        host = (urlsplit(source).hostname or "").rstrip(".")
        try:
            ipaddress.ip_address(host)
            return ()
        except ValueError:
            pass
        names = (host, host.split(".", 1)[0])
    else:
        names = (os.path.basename(os.path.normpath(source)),)
    return tuple(name for name in dict.fromkeys(names) if _NAME.match(name))


def node_name(node, claim):
    """The name ``node`` is configured as, checked against the name its state claims:
    (name, None), or (None, why it gets none). The configured NAME, else a name its
    source gives it; either must be the name the node calls itself, ignoring case."""
    claimed = claim.lower() if isinstance(claim, str) else None
    if node.name is not None:
        if node.name.lower() == claimed:
            return node.name, None
        return None, ("is configured as %s but calls itself %s" % (node.name, claim),
                      "check that it is %s's state (a cloned appliance?), or its NAME"
                      % node.name)
    for name in derived_names(node.source):
        if name.lower() == claimed:
            return name, None
    return None, ("calls itself %s, which neither a NAME nor its source names" % claim,
                  "if it is %s, give NAME=SOURCE (--node) or NAME SOURCE (--cluster-file)"
                  % claim)


def read_each(sources, http, max_age, now):
    """Read every source at once, each under the shared -t: per source, in order,
    (shown, state) or (shown, NodeFailure); a stale or future state is a NodeFailure
    unless ``max_age`` is None."""
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
    results = []
    for source, (status, value) in zip(sources, outcomes):
        shown = redact_url(source)
        if status == bounded.NOT_STARTED:
            value = NodeFailure(shown, "not tried: -t %g s ran out before a worker was "
                                "free (%d nodes)" % (http.timeout, len(sources)))
        elif status == bounded.RUNNING:
            value = NodeFailure(shown, "no answer within -t %g s" % http.timeout)
        elif status == bounded.FAILED:
            if not isinstance(value, (SourceError, UsageError)):
                raise value
            value = NodeFailure(shown, value.cause, value.fix)
        elif max_age is not None:      # None: the caller judges freshness itself
            try:
                check_freshness(value, now, max_age, named=False)   # the source names it
            except SourceError as exc:
                value = NodeFailure(shown, exc.cause, exc.fix)
        results.append((shown, value))
    return results


def read_nodes(sources, http, max_age, now, require_one=True):
    """ClusterView of the nodes that could be read; the others as failures.
    SourceError when none could be read, unless ``require_one`` is False."""
    return cluster_view(read_each(sources, http, max_age, now), require_one)


def cluster_view(outcomes, require_one=True):
    """ClusterView of ``read_each``'s outcomes (see ``read_nodes``)."""
    states, failures = [], []
    for shown, value in outcomes:
        if isinstance(value, NodeFailure):
            failures.append(value)
        else:
            states.append((shown, value))
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

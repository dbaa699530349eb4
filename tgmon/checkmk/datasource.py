"""tgmon checkmk --node URL|DIR ... [--cluster-file F]: Checkmk's view of a cluster.

Every node is read at once under one -t (``sources.nodes.read_each``, as
check_cluster_updates reads them). Output: the calling host's local section
with the cluster's verdict (``TightGate cluster updates``), then per node a
piggyback block ``<<<<host>>>>`` holding its local section: ``TightGate
reachable`` and one service per single-node check (check_tightgate's aspects).
A node that cannot be read keeps every service: reachable says why (with its
runbook link), the others are UNKNOWN with the cause. A node's host name is
its configured NAME, else the name its source gives it (the URL's host, the
dir's name), and its state must call itself that: a node never puts services
on another host. A node without one is named on the calling host. Nodes
that go to one host are one block of UNKNOWNs there, never two. What -t
leaves no time to judge is printed UNKNOWN, never left out.

Exit 0 with the output; 2 with one line on stderr for a usage error, an
interrupt, or when -t ran out before anything could be printed.
"""

import sys
import time

from ..checks import cluster_updates, reachable
from ..checks.registry import TIGHTGATE
from ..errors import TgmonError
from ..options import (CLUSTER_SOURCE_ARGS, COMMON_ARGS, HelpOrVersion, PluginArgumentParser,
                       add_args, default_settings, doc_path, http_settings)
from ..render import checkmk
from ..render.nagios import first_line_budget
from ..runtime import Result, evaluate
from ..safeio import bounded
from ..safeio.stdio import say_stderr, write_stdout
from ..safeio.text import sanitize
from ..sources import Unreadable
from ..sources.nodes import cluster_view, configured_nodes, derived_names, node_name, read_each
from ..state.model import NodeFailure, record
from ..timeutil import utcnow
from ..verdict import UNKNOWN, fit

PROG = "tgmon checkmk"
MARGIN = 0.2
# judging stops this long before the deadline: what is left is printed UNKNOWN in time
LATE_MARGIN = 0.05
# what judging and rendering a node's services take, at most, for a state of usual size
# (about 1 ms measured), reserved from -t beyond the reading's own margin
JUDGING_PER_NODE = 0.002
# the calling host's service naming the nodes that have no host name to go to
UNNAMED_SERVICE = "TightGate node names"

# One node's outcome as the datasource places it: the host it goes to (None:
# none known), and its State, or (cause, fix) when it cannot be read or named.
Placed = record("Placed", "host shown state failure")


def build_parser():
    parser = PluginArgumentParser(
        prog=PROG, add_help=False,
        description="A Checkmk datasource program: reads every node of a TightGate-Pro "
                    "cluster at once and prints, per node, a piggyback block with its local "
                    "checks (reachable, and one service per single-node check), plus the "
                    "cluster's verdict on the calling host.",
        epilog="Exit 0 with the output (a node that cannot be read is a service line with "
               "the cause); 2 for a usage error. See %s." % doc_path("checkmk.rst"))
    parser.add_argument("-h", "--help", action="help", help="show this help and exit")
    wanted = {"timeout", "max_age", "runbook_url"}
    add_args(parser, [a for a in COMMON_ARGS if a.dest in wanted] + list(CLUSTER_SOURCE_ARGS))
    parser.add_argument("--no-cluster-service", action="store_true",
                        help="print no cluster verdict on the calling host (single systems)")
    return parser


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    started = time.monotonic()
    try:
        opts = build_parser().parse_args(argv)
    except HelpOrVersion as text:
        write_stdout(str(text))
        return 0
    except TgmonError as exc:
        return _fail(exc)
    opts.deadline = started + opts.timeout - MARGIN
    try:
        output = bounded.call(lambda: collect(opts, utcnow()), opts.deadline)
    except KeyboardInterrupt:   # nothing is printed, nothing was written
        return _fail(TgmonError("interrupted (SIGINT), nothing printed",
                                "Checkmk runs it again at the next check interval"))
    except bounded.Overdue:
        return _fail(TgmonError("did not finish within -t %g s" % opts.timeout,
                                "check the nodes' state dirs and the network, or raise -t"))
    except TgmonError as exc:
        return _fail(exc)
    write_stdout(output)
    return 0


def _fail(exc):
    say_stderr(sanitize("%s: %s - %s" % (PROG, exc.cause, exc.fix or "see %s --help" % PROG)))
    return 2


def collect(opts, now):
    """The datasource's whole output: read every node, judge, render."""
    nodes = configured_nodes(opts.node, opts.cluster_file)
    # judging every node read needs its share of -t too: the reading ends earlier
    judging = min(opts.timeout / 4, JUDGING_PER_NODE * len(nodes))
    http = http_settings(opts)._replace(deadline=opts.deadline - judging)
    outcomes = read_each([node.source for node in nodes], http, opts.max_age, now)
    placed = [place(node, shown, value) for node, (shown, value) in zip(nodes, outcomes)]
    cluster = None if opts.no_cluster_service else cluster_view(outcomes, require_one=False)
    return output(placed, cluster, now, opts.runbook_url, opts.deadline - LATE_MARGIN)


def place(node, shown, value):
    """Where a node's services go, checked against the name its state claims."""
    if isinstance(value, NodeFailure):
        names = derived_names(node.source)
        host = node.name or (names[0] if names else None)
        return Placed(host, shown, None, (value.cause, value.fix))
    host, why = node_name(node, value.node.name)
    if host is None:          # wrong state or no name: never on the host it claims
        names = derived_names(node.source)
        cause, fix = why
        return Placed(node.name or (names[0] if names else None), shown, None,
                      ("node %s %s" % (shown, cause), fix))
    return Placed(host, shown, value, None)


def output(placed, cluster, now, runbook_url, deadline=None):
    """The calling host's section, then a piggyback block per placed node. Past
    ``deadline`` (a monotonic instant) nothing more is judged: the services left are
    UNKNOWN, so that large states and a node that kept the reading to the end of -t
    cannot leave every node without output."""
    placed = one_per_host(placed)

    def late():
        return deadline is not None and time.monotonic() >= deadline

    calling = []
    if cluster is not None:
        result = _late(len(placed)) if late() else evaluate(
            cluster_updates.DEFINITION, cluster, default_settings(cluster_updates.DEFINITION),
            now, 0, runbook_url)
        calling.append(checkmk.render(cluster_updates.DEFINITION, result))
    homeless = [p for p in placed if p.host is None]
    if homeless:
        calling.append(_unnamed(homeless))
    blocks = []
    for node in placed:
        if node.host is not None:
            lines = _late_lines(len(placed)) if late() else node_lines(node, now, runbook_url)
            blocks.append(checkmk.piggyback(node.host, lines))
    return (checkmk.section(calling) if calling else "") + "".join(blocks)


def _late(count):
    """The Result of a service whose judging -t left no time for."""
    cause = "not judged: -t ran out after reading the %d nodes" % count
    return Result(UNKNOWN, "%s - raise -t" % cause, error=(cause, "raise -t"))


def _late_lines(count):
    late = _late(count)
    return [checkmk.render(reachable.DEFINITION, late), checkmk.render(TIGHTGATE, late)]


def one_per_host(placed):
    """Each host one block: nodes that go to the same host (ignoring case: two dirs
    named alike, a NAME given to one and derived for another) are one failure there,
    in the first one's place. Two blocks would give the host each service twice, one
    node's hidden behind the other's."""
    by_host = {}
    for node in placed:
        if node.host is not None:
            by_host.setdefault(node.host.lower(), []).append(node)
    kept, done = [], set()
    for node in placed:
        same = by_host.get(node.host.lower(), [node]) if node.host is not None else [node]
        if len(same) == 1:
            kept.append(node)
        elif node.host.lower() not in done:
            done.add(node.host.lower())
            shown = ", ".join(other.shown for other in same)
            kept.append(Placed(node.host, shown, None, (
                "%d nodes go to host %s: %s" % (len(same), node.host, shown),
                "give each node its own NAME: NAME=SOURCE (--node) or NAME SOURCE "
                "(--cluster-file)")))
    return kept


def node_lines(placed, now, runbook_url):
    """A node's local checks: reachable, then one line per single-node check."""
    if placed.state is not None:
        subject = placed.state
        aspects = evaluate(TIGHTGATE, subject, default_settings(TIGHTGATE), now, 0, runbook_url,
                           parts=True)
    else:
        cause, fix = placed.failure
        subject = Unreadable(placed.shown, cause, fix)
        budget = first_line_budget(TIGHTGATE.name, "UNKNOWN")
        aspects = Result(UNKNOWN, fit(cause, " - %s" % fix if fix else "", budget),
                         error=(cause, fix))
    seen = evaluate(reachable.DEFINITION, subject, default_settings(reachable.DEFINITION), now,
                    0, runbook_url)
    return [checkmk.render(reachable.DEFINITION, seen), checkmk.render(TIGHTGATE, aspects)]


def _unnamed(homeless):
    """One UNKNOWN line on the calling host for the nodes no host name is known for."""
    text = "%d node%s without a host name: give NAME=SOURCE (--node) or NAME SOURCE " \
           "(--cluster-file)" % (len(homeless), "" if len(homeless) == 1 else "s")
    details = tuple("%s: %s" % (p.shown, line_of_failure(p)) for p in homeless)
    return checkmk.local_line(UNNAMED_SERVICE, Result(UNKNOWN, text, details))


def line_of_failure(placed):
    if placed.failure is None:
        return "read, but no name for it is known"
    cause, fix = placed.failure
    return "; ".join(filter(None, (cause, fix)))




"""check_cluster_updates: how many nodes of a cluster update at once (R9, R11, R16)."""

import re
from collections import Counter

from . import hints
from ..state.freshness import known_since, since_detail, since_text
from ..state.lifecycle import RUN_LEAD, UPDATE_DURATION, WEEK_SECONDS as WEEK, week_seconds
from ..state.model import update_running
from .definition import CheckDefinition, Option
from .words import weekly
from ..timeutil import describe_since, format_duration
from ..safeio.urls import is_url
from ..verdict import (CRITICAL, OK, UNKNOWN, WARNING, Condition, Finding, Perf, Verdict, clip,
                       severity_of)

TOO_MANY = Condition("too-many-updating", CRITICAL,
                     "more nodes update at once than max_parallel_updates (R16)")
HALTED = Condition("cluster-halted", CRITICAL,
                   "a node holds the update lock, which halts the cluster's updates (R9)")
COLLISION = Condition("schedule-collision", WARNING,
                      "more nodes' scheduled update windows overlap than max_parallel_updates")
# nodes that are no cluster nodes or of several clusters
NOT_A_CLUSTER_NODE = "not-a-cluster-node"
MIXED_CLUSTERS = "mixed-clusters"
UNREACHABLE = Condition("unreachable", UNKNOWN, "a node's state cannot be read")
RUN_LEAD_SECONDS = int(RUN_LEAD.total_seconds())

OPTIONS = (
    Option("--update-duration", "duration", format_duration(UPDATE_DURATION.total_seconds()),
           "how long an update runs after its start, for the schedule overlap; a node's "
           "window starts 1 h before"),
)


def schedule_overlap(states, update_duration):
    """(largest number of overlapping update windows, the nodes in it)."""
    points = []
    for state in states:
        update = state.schedule.update
        if not update.active:
            continue
        start = (week_seconds(update.weekday, update.start) - RUN_LEAD_SECONDS) % WEEK
        end = start + RUN_LEAD_SECONDS + int(update_duration)
        for begin, finish in ((start, min(end, WEEK)), (0, end - WEEK)):
            if finish > begin:
                points.append((begin, 1, state.node.name))
                points.append((finish, -1, state.node.name))
    points.sort(key=lambda p: (p[0], p[1]))  # an end before a start at the same second
    best, best_nodes, current = 0, (), set()
    for _, step, name in points:
        if step > 0:
            current.add(name)
            if len(current) > best:
                best, best_nodes = len(current), tuple(sorted(current))
        else:
            current.discard(name)
    return best, best_nodes


def judge(view, settings, now):
    states = [state for _, state in view.nodes]
    findings = []
    clusters = sorted({s.node.cluster or "" for s in states})
    named = [c for c in clusters if c]
    singles = [s.node.name for s in states if s.node.role != "cluster-node"]
    if singles:
        findings.append(Finding(NOT_A_CLUSTER_NODE, UNKNOWN, "%s %s a single system, not a "
                                "cluster node" % (clip(", ".join(singles), 60),
                                                  "is" if len(singles) == 1 else "are"),
                                (), "check the node list"))
    if len(clusters) > 1:
        findings.append(Finding(MIXED_CLUSTERS, UNKNOWN, "the nodes belong to different "
                                "clusters: %s" % clip(", ".join(c or "none" for c in clusters), 60),
                                (), "check one cluster per service"))
    limits = sorted({s.cluster.max_parallel_updates for s in states if s.cluster})
    maximum = limits[0] if limits else 1

    if view.failures:
        # no node read is UNKNOWN whatever the option says: never an OK that was not checked
        status = severity_of(settings, UNREACHABLE.name) if states else UNKNOWN
        findings.append(_unreachable(view.failures, len(states) + len(view.failures), status))

    locked = [s for s in states if s.flags.update_lock.is_set]
    for state in locked:
        lock = state.flags.update_lock
        findings.append(Finding(
            HALTED.name, severity_of(settings, HALTED.name),
            "update lock on %s since %s halts %s" % (
                state.node.name, since_text(lock.since, now),
                state.node.cluster or "its updates"),
            ("%s: update lock set %s%s" % (state.node.name, since_detail(lock.since, now),
                                           ": %s" % lock.lines[0] if lock.lines else ""),
             "no node starts a scheduled update while a node holds the lock"),
            "on %s: fix the cause, then %s" % (state.node.name, hints.REMOVE_LOCK),
            since=known_since(lock.since, now), node=state.node.name))
    updating = [s.node.name for s in states if update_running(s)]
    if len(updating) > maximum:
        findings.append(Finding(
            TOO_MANY.name, severity_of(settings, TOO_MANY.name),
            "%d nodes updating at once, max_parallel_updates %d: %s"
            % (len(updating), maximum, _names(updating)),
            ("updating: %s" % ", ".join(updating),
             "the cluster serves its users with fewer nodes meanwhile"),
            "spread update times %s" % hints.SCHEDULED_UPDATE))
    overlap, overlapping = schedule_overlap(states, settings.update_duration)
    if overlap > maximum:
        findings.append(Finding(
            COLLISION.name, severity_of(settings, COLLISION.name),
            "%d update windows overlap, max_parallel_updates %d: %s"
            % (overlap, maximum, _names(overlapping)),
            tuple("%s: %s" % (s.node.name, weekly(s.schedule.update))
                  for s in states if s.node.name in overlapping),
            "spread update times %s" % hints.SCHEDULED_UPDATE))
    out_of_lb = [s.node.name for s in states if s.cluster and not s.cluster.in_load_balancing]
    in_maintenance = [s.node.name for s in states if s.maintenance.active]
    overview = "%s, %d updating (max %d)" % (_nodes_of(len(states), named), len(updating),
                                             maximum)
    if not states:
        overview = "0 of %d nodes read" % len(view.failures)
    if out_of_lb:
        overview += ", out of load balancing: %s" % _names(out_of_lb)
    if in_maintenance:
        overview += ", in maintenance: %s" % _names(in_maintenance)
    details = tuple("%s: %s" % (s.node.name, _node_line(s, now)) for s in states)
    if len(limits) > 1:
        details += ("max_parallel_updates differs between nodes (%s), using %d"
                    % (", ".join(map(str, limits)), maximum),)
    findings.append(Finding("overview", OK, overview, details))
    status, summary = _known_critical_first(findings, len(view.failures))
    return Verdict(tuple(findings), (
        Perf("nodes", len(states) + len(view.failures), "", None, None, 0),
        Perf("nodes_updating", len(updating), "", None, maximum, 0),
        Perf("nodes_locked", len(locked), "", None, 0, 0),
        Perf("nodes_out_of_lb", len(out_of_lb), "", None, None, 0),
        Perf("nodes_in_maintenance", len(in_maintenance), "", None, None, 0),
        Perf("nodes_unreachable", len(view.failures), "", None, None, 0),
        Perf("schedule_overlap", overlap, "", maximum, None, 0),
    ), summary, status)


def _known_critical_first(findings, unreachable):
    """A CRITICAL known from the nodes that answered outranks the UNKNOWN of those that
    did not: a shop paging only on CRITICAL must not miss a halted cluster."""
    critical = [f for f in findings if f.status == CRITICAL]
    unknown = [f for f in findings if f.status == UNKNOWN]
    if not critical or not unknown or any(f.condition != UNREACHABLE.name for f in unknown):
        return None, None
    first = critical[0]
    both = ", %d node%s unreachable" % (unreachable, "" if unreachable == 1 else "s")
    return CRITICAL, (first.text, both + (" - %s" % first.action if first.action else ""))


def _unreachable(failures, total, status):
    """One finding for the nodes that could not be read: how many, and the most common
    cause in words; every node's cause below."""
    groups = Counter(_masked(_words(failure)) for failure in failures).most_common()
    key, count = groups[0]                     # a tie: the first in the node order
    first = next(f for f in failures if _masked(_words(f)) == key)
    if len(failures) == 1:
        text = "node %s unreachable: %s" % (clip(_short_source(first.source), 60), _words(first))
    else:
        which = (": " if count == len(failures) else ", e.g. " if count == groups[1][1]
                 else ", most: ")
        text = "%d of %d nodes unreachable%s%s" % (len(failures), total, which, _words(first))
    return Finding(UNREACHABLE.name, status, text,
                   tuple("%s: %s" % (f.source, "; ".join(filter(None, (_words(f), f.fix))))
                         for f in failures),
                   first.fix or "check the exporters or state dirs of the nodes")


def _words(failure):
    """A node's cause without its own address (it leads the line): 'cannot reach the
    exporter: connection refused', 'state dir does not exist'."""
    source = failure.source
    if is_url(source):
        cause = failure.cause.replace(source, "the exporter")
    else:
        cause = failure.cause.replace(source + "/", "").replace(source + " ", "")
    return " ".join(cause.split())


def _masked(words):
    """Causes that differ only in their numbers (seconds, ports) are one cause."""
    return re.sub(r"\d+", "#", words)


def _nodes_of(count, named):
    """'3 nodes of tgc-berlin'; of several clusters or of none, said so (never '?')."""
    nodes = "%d node%s" % (count, "" if count == 1 else "s")
    if len(named) == 1:
        return "%s of %s" % (nodes, named[0])
    return "%s of %d clusters" % (nodes, len(named)) if named else nodes + " of no cluster"


def _short_source(source):
    """An exporter URL without its scheme and its usual /v1/status; a dir as it is."""
    if is_url(source):
        rest = source.split("://", 1)[1]
        return rest[:-len("/v1/status")] if rest.endswith("/v1/status") else rest
    return source


def _names(names, shown=3):
    return ", ".join(names[:shown]) + (", +%d" % (len(names) - shown) if len(names) > shown else "")


def _node_line(state, now):
    parts = ["release %s" % state.releases.installed]
    if update_running(state):
        parts.append("updating since %s" % describe_since(state.last_update_run.start, now))
    if state.flags.update_lock.is_set:
        parts.append("update lock")
    if state.maintenance.active:
        parts.append("maintenance")
    if state.cluster and not state.cluster.in_load_balancing:
        parts.append("out of load balancing")
    update = state.schedule.update
    parts.append("scheduled update %s" % (weekly(update) if update.active else "off"))
    return ", ".join(parts)


DEFINITION = CheckDefinition(
    name="CLUSTER", prog="check_cluster_updates",
    description="Checks the updates of a TightGate-Pro cluster across its nodes: nodes "
                "updating at once beyond max_parallel_updates, overlapping scheduled update "
                "windows, update locks that halt the cluster (R9), nodes out of load "
                "balancing or in maintenance, and nodes that cannot be read.",
    judge=judge, options=OPTIONS, conditions=(UNREACHABLE, TOO_MANY, HALTED, COLLISION),
    scope="cluster", findings=(NOT_A_CLUSTER_NODE, MIXED_CLUSTERS),
    notes="The updates of the cluster across its nodes: nodes updating at once, "
          "overlapping update windows, update locks that halt it, unreadable nodes.")

"""check_reachable: can the node's state be read at all (exporter, TLS, token,
state dir, writer)?

The node's other services read the same source and depend on this one (the
Icinga 2 Dependency rules, the Nagios sample's servicedependency): when the
source cannot be read they turn UNKNOWN without paging, and this service
pages once, naming the cause. A read that fails is its finding, not an
UNKNOWN, so its long output carries the runbook link.
"""

from ..sources import Unreadable
from ..timeutil import format_duration
from ..verdict import CRITICAL, OK, Condition, Finding, Perf, Verdict, severity_of
from .definition import CheckDefinition

UNREACHABLE = Condition("unreachable", CRITICAL,
                        "the node's state cannot be read (exporter down, TLS or token "
                        "refused, state dir missing, state stale or invalid)")


def judge(subject, settings, now):
    """``subject``: the node's State, or the ``Unreadable`` the runtime read instead
    (scope "reachability")."""
    if isinstance(subject, Unreadable):
        return Verdict((Finding(
            UNREACHABLE.name, severity_of(settings, UNREACHABLE.name), subject.cause,
            ("source: %s" % subject.source,
             "the node's other tgmon services read the same source: they turn UNKNOWN "
             "and wait for this one, which pages for all of them"),
            subject.fix or "check the source"),),
            (Perf("readable", 0, "", None, None, 0, 1),))
    age = max(0, int((now - subject.generated).total_seconds()))
    # the age in the details and perfdata only: a first line that changes every
    # second would read as a new result each time
    return Verdict((Finding(UNREACHABLE.name, OK, "state of %s read, fresh" % subject.node.name,
                            ("source: %s" % subject.origin,
                             "written %s ago" % format_duration(age))),), (
        Perf("readable", 1, "", None, None, 0, 1),
        Perf("state_age", age, "s", None, None, 0)))


DEFINITION = CheckDefinition(
    name="REACHABLE", prog="check_reachable",
    description="Checks that the update state of a TightGate-Pro node can be read: the "
                "exporter answers (TLS, token), the state dir is there, the state is valid "
                "and fresh. A failure is CRITICAL, with the cause: the node's other tgmon "
                "services depend on this one, so one outage pages once.",
    judge=judge, conditions=(UNREACHABLE,), scope="reachability",
    notes="Whether the update state of the node can be read at all: the other tgmon "
          "services of the node depend on it.")


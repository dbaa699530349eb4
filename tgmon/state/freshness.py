"""Stale or future state is not evidence: both are UNKNOWN, never a frozen OK.

``FUTURE_TOLERANCE`` is how far a time may lie ahead (clocks of monitoring
server and appliance differ a little). ``generated`` further ahead makes the
whole state UNKNOWN; any other time of status.json after ``generated`` is
refused by the schema. A marker file's time (its mtime) further ahead gives
an unknown age (``known_age`` is None): the marker counts as set, and the
checks treat the unknown age as over every age limit, so it still escalates.
"""

from ..errors import SourceError
from ..verdict import clip
from ..timeutil import describe_since, format_duration, short_time

FUTURE_TOLERANCE = 300
UNKNOWN_SINCE = "an unknown time"
UNKNOWN_SINCE_DETAIL = ("the marker file's time lies in the future, so its age is unknown and "
                        "counts as over every limit: fix the clock on the node")


def check_freshness(state, now, max_age, named=True):
    """SourceError for a stale or future state; ``named=False`` leaves the node's name
    out of the cause (where its source already names the node)."""
    subject = "state of %s" % clip(state.node.name, 40) if named else "state"
    age = (now - state.generated).total_seconds()
    if age > max_age:
        raise SourceError(
            "%s is stale: generated %s ago, --max-age is %s"
            % (subject, format_duration(age), format_duration(max_age)),
            "check that the writer on the node runs (its heartbeat) and its clock")
    if -age > FUTURE_TOLERANCE:
        raise SourceError(
            "%s was generated in %s, in the future" % (subject, format_duration(-age)),
            "fix the clock (NTP) on the node or the monitoring server")


def known_age(since, now):
    """Seconds since ``since``; None when it is unknown or lies in the future."""
    if since is None:
        return None
    age = (now - since).total_seconds()
    if -age > FUTURE_TOLERANCE:
        return None
    return max(0, int(age))


def known_since(since, now):
    """``since`` when its age is known, else None (never a time from the future)."""
    return since if known_age(since, now) is not None else None


def since_text(since, now):
    """When a marker was set, as an alert line says it: 'Tue 03:20' or 'an unknown time'."""
    if known_age(since, now) is None:
        return UNKNOWN_SINCE
    return short_time(since, now)


def since_detail(since, now):
    """The same for the long output: full time and age, or why it is unknown."""
    if known_age(since, now) is None:
        return UNKNOWN_SINCE_DETAIL
    return describe_since(since, now)

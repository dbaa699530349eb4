"""The downtimes a core should hold for the windows, and the way there.

A downtime is identified by what it is: host, service (None for the host's
own), start, end (whole seconds) and its comment, which names the node, the
kind and the window. A changed window is therefore a different downtime:
the old one goes, the new one comes. Only downtimes by tgmon's author, with
its comment prefix, on the hosts of nodes read in this run are ever
compared (``cores.owned``), so a downtime by anybody else, or of a node that
could not be read, is never touched.
"""

import math

from ..cores import Downtime
from ..cores.nagios import clean_text
from ..state.model import record
from ..timeutil import UTC, offset_text
from .plan import KIND_WORDS

Changes = record("Changes", "add remove keep")

# every comment tgmon writes starts with it; a downtime without it is never tgmon's
COMMENT_PREFIX = "tgmon: "
MAX_REASON = 80


def comment_for(window, zone):
    """'tgmon: planned maintenance of tg1, 2026-11-24 02:00 to 04:00 +01:00: reason'
    (the node's wall clock; a DST change inside the window shows both offsets)."""
    start, end = window.start.astimezone(zone), window.end.astimezone(zone)
    until = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%Y-%m-%d %H:%M")
    if offset_text(end) == offset_text(start):
        span = "%s to %s %s" % (start.strftime("%Y-%m-%d %H:%M"), until, offset_text(start))
    else:
        span = "%s %s to %s %s" % (start.strftime("%Y-%m-%d %H:%M"), offset_text(start), until,
                                   offset_text(end))
    text = "%s%s of %s, %s" % (COMMENT_PREFIX, KIND_WORDS[window.kind],
                               clean_text(window.node, 128), span)
    if window.reason:
        text += ": " + clean_text(window.reason, MAX_REASON)
    return text


def wanted_downtimes(windows, zones, host_of, services_of, host_downtime=True):
    """The downtimes for ``windows``: the node's host (unless host_downtime is False)
    and each of its services in ``services_of[host]``."""
    result = []
    for window in windows:
        host = host_of(window.node)
        comment = comment_for(window, zones[window.node])
        start, end = _seconds(window.start, math.floor), _seconds(window.end, math.ceil)
        if host_downtime:
            result.append(Downtime(host, None, start, end, comment))
        for service in services_of.get(host, ()):
            result.append(Downtime(host, service, start, end, comment))
    return tuple(dict.fromkeys(result))


def changes(wanted, found):
    """What to add, what to remove (Found), what stays as it is."""
    found_keys = {f.downtime for f in found}
    wanted_keys = set(wanted)
    add = tuple(d for d in wanted if d not in found_keys)
    remove = tuple(f for f in found if f.downtime not in wanted_keys)
    keep = tuple(d for d in wanted if d in found_keys)
    # a duplicate of a wanted downtime (two syncs racing) goes too
    seen, duplicates = set(), []
    for f in found:
        if f.downtime in wanted_keys:
            if f.downtime in seen:
                duplicates.append(f)
            seen.add(f.downtime)
    return Changes(add, remove + tuple(duplicates), keep)


def begun_now(wanted, found, now):
    """Wanted and Found as a core holds them that begins nothing in the past
    (Alertmanager starts a silence when it is made): a start before ``now`` is
    ``now``, so a window begun is known by its end and comment."""
    def begun(downtime):
        return downtime._replace(start=now) if downtime.start < now else downtime
    return (tuple(dict.fromkeys(begun(d) for d in wanted)),
            [f._replace(downtime=begun(f.downtime)) for f in found])


def _seconds(stamp, rounding):
    """Whole seconds since the epoch: a window's start rounded down, its end up, so
    the downtime covers all of it."""
    return int(rounding(stamp.astimezone(UTC).timestamp()))

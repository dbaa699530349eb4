"""A node's markers as the appliance is found at a scenario's start (docs/scenarios.rst).

A scenario can start anywhere: with the warn flag, the update lock or a reboot
request already set, as a real node may be found::

    warn_flag: true | "reason" | {since: TIME, reason: TEXT}
    update_lock: true | "reason" | {since: TIME, reason: TEXT}
    reboot_required: true | [packages] | {since: TIME, packages: [...]}

``since`` defaults to the scenario's start and may not lie after it.
"""

from ..state.model import Marker
from .fields import join

SETUP_MARKERS = ("warn_flag", "update_lock", "reboot_required")
_LINES = {"warn_flag": "reason", "update_lock": "reason", "reboot_required": "packages"}


def setup_markers(scenario, node, path):
    """The markers ``node`` (a node's merged setup) sets: keyword arguments of SimNode."""
    return {key: _marker(scenario, node, key, path)
            for key in SETUP_MARKERS if node.get(key) not in (None, False)}


def _marker(scenario, node, key, path):
    fields, lines_key, where = scenario.fields, _LINES[key], join(path, key)
    value = node[key]
    if value is True:
        value = {}
    elif isinstance(value, str) and lines_key == "reason":
        value = {"reason": value}
    elif isinstance(value, list) and lines_key == "packages":
        value = {"packages": value}
    if not isinstance(value, dict):
        raise fields.wrong(node, key, path, "true, %s or {since, %s}" % (
            "a reason" if lines_key == "reason" else "a list of packages", lines_key), value)
    fields.keys(value, where, ("since", lines_key))
    since = scenario.time(value, "since", where, required=False) or scenario.start
    if since > scenario.start:
        raise fields.error(value, join(where, "since"), "lies after the scenario's start (a "
                           "setup is how the node is found; later changes are events)", "since")
    if lines_key == "reason":
        reason = fields.text(value, "reason", where, None)
        lines = [reason] if reason else []
    else:
        lines = fields.identifiers(value, "packages", where)
    return Marker(True, since, tuple(lines))

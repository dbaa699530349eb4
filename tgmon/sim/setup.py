"""A node's markers as the appliance is found at a scenario's start (docs/scenarios.rst).

A scenario can start anywhere: with the warn flag, the update lock or a reboot
request already set, as a real node may be found::

    warn_flag: true | "reason" | {since: TIME, reason: TEXT}
    update_lock: true | "reason" | {since: TIME, reason: TEXT}
    reboot_required: true | [packages] | {since: TIME, packages: [...]}

``since`` defaults to the scenario's start and may not lie after it.
"""

from ..model import Marker

SETUP_MARKERS = ("warn_flag", "update_lock", "reboot_required")
_LINES = {"warn_flag": "reason", "update_lock": "reason", "reboot_required": "packages"}


def setup_markers(scenario, node, where):
    """The markers ``node`` (a node's merged setup) sets: keyword arguments of SimNode."""
    return {key: _marker(scenario, node[key], key, where)
            for key in SETUP_MARKERS if node.get(key) not in (None, False)}


def _marker(scenario, value, key, where):
    lines_key = _LINES[key]
    if value is True:
        value = {}
    elif isinstance(value, str) and lines_key == "reason":
        value = {"reason": value}
    elif isinstance(value, list) and lines_key == "packages":
        value = {"packages": value}
    if not isinstance(value, dict):
        raise scenario._error(where, "%s: expected true, %s or {since, %s}" % (
            key, "a reason" if lines_key == "reason" else "a list of packages", lines_key))
    scenario._keys(value, ("since", lines_key), key)
    since = scenario._time(value, "since", required=False) or scenario.start
    if since > scenario.start:
        raise scenario._error(where, "%s.since: lies after the scenario's start (a setup is "
                                     "how the node is found; later changes are events)" % key)
    lines = value.get(lines_key)
    if lines is None:
        lines = []
    elif lines_key == "reason":
        lines = [lines]
    if not isinstance(lines, list) or not all(isinstance(line, (str, int, float))
                                              for line in lines):
        raise scenario._error(where, "%s.%s: expected %s" % (
            key, lines_key, "a text" if lines_key == "reason" else "a list of package names"))
    return Marker(True, since, tuple(str(line) for line in lines))

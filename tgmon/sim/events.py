"""A scenario's timed events: how each is read from the file, and how it acts.

``read_event`` turns one entry of ``events:`` into (instant, kind, target,
action, arguments, entry), every argument typed by one table
(``_ARGUMENT_READERS``: an argument's name says what it is, whatever the
event); ``apply_event`` performs it on a running simulation.
"""

import inspect
from datetime import timedelta

from ..timeutil import parse_duration
from .admin import ADMIN_ACTIONS
from .errors import Refused
from .fields import join, kind_of, shown

FAULTS = {
    "fail_downloads": ("attempts",),
    "fail_install": (),
    "sessions": ("count",),
}
SERVER_EVENTS = {
    "outage": ("until", "for"),
    "publish_release": ("version", "kernel_update"),
    "publish_hotfix": ("id", "title"),
}
REQUIRED = {"publish_release": "version", "publish_hotfix": "id"}
CLUSTER_SETTINGS = ("update_lock", "max_parallel_updates")
EVENT_KEYS = ("at", "node", "admin", "action", "fault", "server", "cluster", "set", "note")


def read_event(scenario, event, path):
    """One entry of ``events:`` (a mapping), checked and typed."""
    fields = scenario.fields
    when = scenario.time(event, "at", path)
    if when < scenario.start:
        raise fields.error(event, path, "event at %s is before the scenario start (%s)"
                           % (scenario.show(when), scenario.show(scenario.start)))
    if when > scenario.start + scenario.max_span:
        raise fields.error(event, join(path, "at"), "more than %d days after start%s"
                           % (scenario.max_span.days, scenario.span_limit), "at")
    args = {k: v for k, v in event.items() if k not in EVENT_KEYS}
    kinds = [k for k in ("note", "admin", "fault", "server", "cluster") if k in event]
    if len(kinds) != 1:
        raise fields.error(event, path, "an event needs exactly one of admin, fault, server, "
                                        "cluster, note")
    reader = _Reader(scenario, event, path)
    return (when,) + getattr(reader, kinds[0])(args) + (event,)


class _Reader:
    def __init__(self, scenario, event, path):
        self.scenario, self.fields, self.event, self.path = \
            scenario, scenario.fields, event, path

    def note(self, args):
        self.allowed(args, ())
        return "note", None, self.fields.text(self.event, "note", self.path), {}

    def admin(self, args):
        fields, event, path = self.fields, self.event, self.path
        node = self.known_node()
        key = (fields.identifier(event, "admin", path), fields.identifier(event, "action", path))
        method = ADMIN_ACTIONS.get(key)
        if method is None:
            raise fields.error(event, path, "unknown action: admin %s %s (known: %s)" % (
                key[0], key[1], ", ".join(sorted("%s %s" % k for k in ADMIN_ACTIONS))))
        params = list(inspect.signature(method).parameters.values())[1:]
        self.allowed(args, [p.name for p in params])
        self.required(args, [p.name for p in params if p.default is inspect.Parameter.empty])
        return "admin", node, key, self.arguments(args)

    def fault(self, args):
        node = self.known_node()
        fault = self.fields.identifier(self.event, "fault", self.path)
        if fault not in FAULTS:
            raise self.fields.error(self.event, join(self.path, "fault"), "unknown fault %s "
                                    "(known: %s)" % (shown(fault), ", ".join(FAULTS)), "fault")
        self.allowed(args, FAULTS[fault])
        self.required(args, FAULTS[fault])
        return "fault", node, fault, self.arguments(args)

    def server(self, args):
        fields, event, path = self.fields, self.event, self.path
        action = fields.identifier(event, "server", path)
        if action not in SERVER_EVENTS:
            raise fields.error(event, join(path, "server"), "unknown server event %s (known: "
                               "%s)" % (shown(action), ", ".join(SERVER_EVENTS)), "server")
        self.allowed(args, SERVER_EVENTS[action])
        self.required(args, [REQUIRED[action]] if action in REQUIRED else [])
        args = self.arguments(args)
        if action == "outage":
            if "for" in args:
                args["until"] = self.scenario.time(event, "at", path) + args.pop("for")
            if "until" not in args:
                raise fields.error(event, path, "outage needs until: TIME or for: DURATION")
        return "server", None, action, args

    def cluster(self, args):
        fields, event, path = self.fields, self.event, self.path
        name = fields.identifier(event, "cluster", path)
        if name not in self.scenario.cluster_names:
            raise fields.error(event, join(path, "cluster"), "unknown cluster %s"
                               % shown(name), "cluster")
        self.allowed(args, ())
        settings = fields.mapping(event, "set", path, CLUSTER_SETTINGS)
        where = join(path, "set")
        changes = {}
        if "update_lock" in settings:
            changes["update_lock"] = fields.flag(settings, "update_lock", where, False)
        if "max_parallel_updates" in settings:
            changes["max_parallel_updates"] = fields.whole(settings, "max_parallel_updates",
                                                           where, 1, 1)
        return "cluster", name, "set", changes

    def known_node(self):
        name = self.fields.identifier(self.event, "node", self.path)
        if name not in self.scenario.node_names:
            raise self.fields.error(self.event, join(self.path, "node"), "unknown node %s "
                                    "(known: %s)" % (shown(name),
                                                     ", ".join(sorted(self.scenario.node_names))),
                                    "node")
        return name

    def allowed(self, args, allowed):
        unknown = [k for k in args if k not in allowed]
        if unknown:
            raise self.fields.error(self.event, join(self.path, unknown[0]), "unknown argument "
                                    "%s (allowed: %s)" % (shown(unknown[0]),
                                                          ", ".join(allowed) or "none"),
                                    unknown[0])

    def required(self, args, names):
        missing = [name for name in names if name not in args]
        if missing:
            raise self.fields.error(self.event, self.path, "missing argument %s"
                                    % shown(missing[0]))

    def arguments(self, args):
        """Each argument read as its name says."""
        return {name: _ARGUMENT_READERS[name](self, self.fields, self.event, name, self.path)
                for name in args}


def _time(reader, fields, event, name, path):
    return reader.scenario.time(event, name, path)


def _optional_time(reader, fields, event, name, path):
    return None if event[name] is None else reader.scenario.time(event, name, path)


def _duration(reader, fields, event, name, path):
    value = event[name]
    span = reader.scenario.max_span
    try:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError("must be a duration such as 90m or 2h, not %s" % kind_of(value))
        seconds = parse_duration(str(value))
        if seconds > span.total_seconds():
            raise ValueError("at most %d days" % span.days)
    except ValueError as exc:
        raise fields.error(event, join(path, name), str(exc), name) from None
    return timedelta(seconds=seconds)


def _schedule(reader, fields, event, name, path):
    part = fields.mapping(event, name, path, reader.scenario.schedule_keys[name])
    return reader.scenario.schedule_part(part, name, join(path, name), complete=False)


# how each event argument is read: every argument of an admin action, a fault or
# a server event is one of these, whatever the event
_ARGUMENT_READERS = {
    "start": _time,
    "until": _time,
    "end": _optional_time,
    "for": _duration,
    "reason": lambda r, f, e, n, p: f.text(e, n, p, None),
    "title": lambda r, f, e, n, p: f.text(e, n, p, ""),
    "disable_vnc": lambda r, f, e, n, p: f.flag(e, n, p, False),
    "value": lambda r, f, e, n, p: f.flag(e, n, p, False),
    "kernel_update": lambda r, f, e, n, p: f.flag(e, n, p, False),
    "ids": lambda r, f, e, n, p: f.identifiers(e, n, p),
    "id": lambda r, f, e, n, p: f.identifier(e, n, p),
    "version": lambda r, f, e, n, p: r.scenario.version(e, n, p),
    "mode": lambda r, f, e, n, p: f.choice(e, n, p, "full", ("full", "partial")),
    "attempts": lambda r, f, e, n, p: f.whole(e, n, p, 0, 0),
    "count": lambda r, f, e, n, p: f.whole(e, n, p, 0, 0),
    "download": _schedule,
    "update": _schedule,
}


def apply_event(sim, kind, target, action, args):
    """Perform an event read by ``read_event`` at the simulation's current instant."""
    where = target or "server" if kind != "note" else ""
    try:
        if kind == "note":
            sim.log("", "note: %s" % action)
        elif kind == "admin":
            sim.log(target, "admin %s: %s%s" % (action[0], action[1], _args_text(args, sim.local)))
            sim.node(target).admin(action[0], action[1], **args)
        elif kind == "fault":
            sim.log(target, "fault: %s%s" % (action, _args_text(args, sim.local)))
            getattr(sim.node(target), "fault_" + action)(**args)
        elif kind == "server":
            sim.log("", "update server: %s%s" % (action, _args_text(args, sim.local)))
            if action == "outage":
                sim.server.add_outage(sim.now, args["until"])
            elif action == "publish_release":
                sim.server.publish_release(args["version"], sim.now,
                                           args.get("kernel_update", False))
            else:
                sim.server.publish_hotfix(args["id"], args.get("title", ""), sim.now)
        elif kind == "cluster":
            cluster = sim.clusters[target]
            sim.log("", "cluster %s: %s" % (target, _args_text(args, sim.local).strip()))
            for key, value in args.items():
                setattr(cluster, key, value)
    except Refused as exc:
        sim.log(where, "REFUSED: %s" % exc)


def _args_text(args, local):
    """' start=2026-11-17T02:00:00+01:00, reason=x': times on the appliance's clock."""
    if not args:
        return ""
    return " " + ", ".join("%s=%s" % (k, local(v).isoformat() if hasattr(v, "isoformat") else v)
                           for k, v in args.items())

"""Scenario files (YAML): an initial setup plus timed events. See docs/scenarios.rst.

Every error names the file and, where YAML tells it, the line.
"""

import inspect
from datetime import date, datetime, timedelta

import yaml

from ..model import ScheduledDownload, ScheduledUpdate, WEEKDAYS
from ..lifecycle import parse_clock
from ..timeutil import UTC, parse_duration
from .errors import Refused, ScenarioError, SimError
from .setup import SETUP_MARKERS, setup_markers
from .admin import ADMIN_ACTIONS
from .simulation import Simulation
from .updateserver import SimUpdateServer
from .wallclock import resolve_local

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
CLUSTER_SETTINGS = ("update_lock", "max_parallel_updates")
NODE_KEYS = ("name", "installed", "installed_at", "users", "always_install_all_hotfixes",
             "schedule") + SETUP_MARKERS
TOP_KEYS = ("scenario", "description", "timezone", "start", "end", "server",
            "node_defaults", "clusters", "nodes", "events", "show")


class _Map(dict):
    line = None


class _Seq(list):
    line = None


class _Loader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping and sequence, and
    keeps timestamps as text (we parse them with the scenario's time zone)."""


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    result = _Map(loader.construct_pairs(node, deep=True))
    result.line = node.start_mark.line + 1
    return result


def _construct_sequence(loader, node):
    result = _Seq(loader.construct_sequence(node, deep=True))
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


class Scenario:
    """A loaded, validated scenario; ``build()`` makes a fresh Simulation."""

    def __init__(self, path, document):
        self.path = path
        self.doc = document
        self.name = document.get("scenario") or path
        self.description = (document.get("description") or "").strip()
        self.zone = self._zone(document.get("timezone", "Europe/Berlin"))
        self.start = self._time(document, "start", required=True)
        self.end = self._time(document, "end", required=False) or self.start + timedelta(days=7)
        if self.end <= self.start:
            raise self._error(document, "end must be after start")
        self.show = document.get("show")
        self.events = []
        self._validate()

    # ------------------------------------------------------------ helpers
    def _error(self, where, message):
        line = getattr(where, "line", None)
        return ScenarioError("%s:%d" % (self.path, line) if line else self.path, message)

    def _zone(self, name):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            raise self._error(self.doc, "unknown timezone %r (e.g. Europe/Berlin)" % name) from None

    def _time(self, mapping, key, required=True):
        value = mapping.get(key)
        if value is None:
            if required:
                raise self._error(mapping, "%s: required (e.g. 2026-11-17T03:00:00+01:00)" % key)
            return None
        return self.parse_time(value, mapping, key)

    def parse_time(self, value, where, key):
        """ISO-8601 with offset, or local wall-clock time in the scenario's zone."""
        if isinstance(value, datetime):
            value = value.isoformat()
        if isinstance(value, date):
            value = value.isoformat() + "T00:00"
        text = str(value).strip().replace(" ", "T", 1)
        try:
            stamp = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise self._error(where, "%s: %r is not a time (e.g. 2026-11-17T03:00 or "
                                     "2026-11-17T03:00:00+01:00)" % (key, value)) from None
        if stamp.tzinfo is None:
            stamp = resolve_local(stamp.date(), stamp.time(), self.zone)
        return stamp.astimezone(UTC)  # arithmetic in UTC; see engine.py

    def _show(self, instant):
        return instant.astimezone(self.zone).isoformat()

    def _keys(self, mapping, allowed, what):
        if not isinstance(mapping, dict):
            raise self._error(mapping, "%s must be a mapping" % what)
        unknown = [k for k in mapping if k not in allowed]
        if unknown:
            raise self._error(mapping, "%s: unknown key %r (known: %s)"
                              % (what, unknown[0], ", ".join(allowed)))

    def _list(self, mapping, key):
        value = mapping.get(key) or []
        if not isinstance(value, list):
            raise self._error(mapping, "%s must be a list" % key)
        return value

    # ------------------------------------------------------------ validation
    def _validate(self):
        doc = self.doc
        self._keys(doc, TOP_KEYS, "scenario")
        server = doc.get("server") or _Map()
        self._keys(server, ("releases", "hotfixes", "outages"), "server")
        self.releases = []
        for item in self._list(server, "releases"):
            self._keys(item, ("version", "released", "kernel_update"), "release")
            self.releases.append((str(item.get("version")), self._time(item, "released"),
                                  bool(item.get("kernel_update", False))))
        self.hotfixes = []
        for item in self._list(server, "hotfixes"):
            self._keys(item, ("id", "title", "released"), "hotfix")
            self.hotfixes.append((str(item["id"]), str(item.get("title", "")),
                                  self._time(item, "released")))
        self.outages = []
        for item in self._list(server, "outages"):
            self._keys(item, ("start", "end"), "outage")
            self.outages.append((self._time(item, "start"), self._time(item, "end")))

        defaults = doc.get("node_defaults") or _Map()
        self._keys(defaults, NODE_KEYS[1:], "node_defaults")
        self.clusters = []
        names = set()
        for cluster in self._list(doc, "clusters"):
            self._keys(cluster, ("name", "max_parallel_updates", "update_lock", "nodes"), "cluster")
            if "name" not in cluster:
                raise self._error(cluster, "cluster: name is required")
            max_parallel = cluster.get("max_parallel_updates", 1)
            if not isinstance(max_parallel, int) or max_parallel < 1:
                raise self._error(cluster, "max_parallel_updates must be an integer >= 1")
            nodes = [self._node(n, defaults, names) for n in self._list(cluster, "nodes")]
            self.clusters.append((str(cluster["name"]), max_parallel,
                                  bool(cluster.get("update_lock", False)), nodes))
        self.singles = [self._node(n, defaults, names) for n in self._list(doc, "nodes")]
        if not names:
            raise self._error(doc, "no nodes: add nodes or clusters")
        self.node_names = names
        self.cluster_names = {c[0] for c in self.clusters}
        previous = self.start
        for event in self._list(doc, "events"):
            parsed = self._event(event)
            if parsed[0] < previous:
                raise self._error(event, "events out of order: %s is before the previous "
                                         "event (%s)" % (self._show(parsed[0]), self._show(previous)))
            previous = parsed[0]
            self.events.append(parsed)

    def _node(self, item, defaults, names):
        self._keys(item, NODE_KEYS, "node")
        merged = dict(defaults)
        merged.update(item)
        name = merged.get("name")
        if not name:
            raise self._error(item, "node: name is required")
        if name in names:
            raise self._error(item, "node %r defined twice" % name)
        names.add(name)
        schedule = merged.get("schedule") or {}
        base_schedule = defaults.get("schedule") or {}
        settings = {}
        for part, cls, keys in (("download", ScheduledDownload, ("active", "weekday", "start", "end")),
                                ("update", ScheduledUpdate, ("active", "weekday", "start"))):
            values = dict(base_schedule.get(part) or {})
            values.update((schedule.get(part) or {}))
            self._keys(values, keys, "schedule.%s" % part)
            values.setdefault("active", False)
            values.setdefault("weekday", "tuesday")
            values.setdefault("start", "03:00" if part == "update" else "01:30")
            if part == "download":
                values.setdefault("end", None)
            if values["weekday"] not in WEEKDAYS:
                raise self._error(item, "schedule.%s.weekday: %r is not a weekday"
                                  % (part, values["weekday"]))
            for key in ("start", "end"):
                if values.get(key) is not None:
                    values[key] = self._clock(values[key], item, "schedule.%s.%s" % (part, key))
            settings[part] = cls(**values)
        users = merged.get("users", 0)
        if not isinstance(users, int) or users < 0:
            raise self._error(item, "users must be an integer >= 0")
        return dict(name=str(name), installed=str(merged.get("installed", "4.11")),
                    installed_at=self._time(merged, "installed_at", required=False),
                    users=users, always_install_all=bool(
                        merged.get("always_install_all_hotfixes", True)),
                    download=settings["download"], update=settings["update"],
                    **setup_markers(self, merged, item))

    def _clock(self, value, where, key):
        if isinstance(value, int):  # YAML 1.1 reads 03:00 unquoted as a sexagesimal number
            value = "%02d:%02d" % divmod(value, 60)
        parts = str(value).split(":")
        try:
            if len(parts) != 2 or not all(p.isdigit() for p in parts):
                raise ValueError(value)
            return "%02d:%02d" % parse_clock("%02d:%02d" % tuple(map(int, parts)))  # 3:00 too
        except ValueError:
            raise self._error(where, "%s: %r is not HH:MM" % (key, value)) from None

    def _event(self, event):
        if not isinstance(event, dict):
            raise self._error(event, "an event must be a mapping")
        when = self._time(event, "at")
        if when < self.start:
            raise self._error(event, "event at %s is before the scenario start (%s)"
                              % (self._show(when), self._show(self.start)))
        args = {k: v for k, v in event.items() if k not in ("at", "node", "admin", "action",
                                                             "fault", "server", "cluster",
                                                             "set", "note")}
        if "note" in event:
            return when, "note", None, str(event["note"]), {}, event
        if "admin" in event:
            node = self._known_node(event)
            key = (str(event["admin"]), str(event.get("action")))
            method = ADMIN_ACTIONS.get(key)
            if method is None:
                raise self._error(event, "unknown action: admin %s %s (known: %s)" % (
                    key[0], key[1], ", ".join(sorted("%s %s" % k for k in ADMIN_ACTIONS))))
            self._check_args(event, method, args)
            for key_name in ("start", "end"):
                if key_name in args and args[key_name] is not None:
                    args[key_name] = self.parse_time(args[key_name], event, key_name)
            if key == ("update", "set_schedule"):
                for part in ("download", "update"):
                    if part in args:
                        self._keys(args[part], ("active", "weekday", "start", "end")
                                   if part == "download" else ("active", "weekday", "start"),
                                   "set_schedule.%s" % part)
                        for k in ("start", "end"):
                            if args[part].get(k) is not None:
                                args[part][k] = self._clock(args[part][k], event, k)
            return when, "admin", node, key, args, event
        if "fault" in event:
            node = self._known_node(event)
            fault = str(event["fault"])
            if fault not in FAULTS:
                raise self._error(event, "unknown fault %r (known: %s)" % (fault, ", ".join(FAULTS)))
            self._allowed_args(event, args, FAULTS[fault])
            return when, "fault", node, fault, args, event
        if "server" in event:
            action = str(event["server"])
            if action not in SERVER_EVENTS:
                raise self._error(event, "unknown server event %r (known: %s)"
                                  % (action, ", ".join(SERVER_EVENTS)))
            self._allowed_args(event, args, SERVER_EVENTS[action])
            if action == "outage":
                if "until" in args:
                    args["until"] = self.parse_time(args["until"], event, "until")
                elif "for" in args:
                    try:
                        args["until"] = when + timedelta(seconds=parse_duration(args.pop("for")))
                    except ValueError as exc:
                        raise self._error(event, "for: %s" % exc) from None
                else:
                    raise self._error(event, "outage needs until: TIME or for: DURATION")
            return when, "server", None, action, args, event
        if "cluster" in event:
            name = str(event["cluster"])
            if name not in self.cluster_names:
                raise self._error(event, "unknown cluster %r" % name)
            settings = event.get("set") or {}
            self._keys(settings, CLUSTER_SETTINGS, "cluster set")
            return when, "cluster", name, "set", dict(settings), event
        raise self._error(event, "an event needs one of admin, fault, server, cluster, note")

    def _known_node(self, event):
        name = event.get("node")
        if name not in self.node_names:
            raise self._error(event, "unknown node %r (known: %s)"
                              % (name, ", ".join(sorted(self.node_names))))
        return name

    def _allowed_args(self, event, args, allowed):
        unknown = [k for k in args if k not in allowed]
        if unknown:
            raise self._error(event, "unknown argument %r (allowed: %s)"
                              % (unknown[0], ", ".join(allowed) or "none"))

    def _check_args(self, event, method, args):
        params = [p for p in inspect.signature(method).parameters.values()][1:]
        names = [p.name for p in params]
        self._allowed_args(event, args, names)
        missing = [p.name for p in params if p.default is inspect.Parameter.empty
                   and p.name not in args]
        if missing:
            raise self._error(event, "missing argument %r" % missing[0])

    # ------------------------------------------------------------ building
    def build(self):
        server = SimUpdateServer()
        for version, released, kernel in self.releases:
            server.publish_release(version, released, kernel)
        for hotfix_id, title, released in self.hotfixes:
            server.publish_hotfix(hotfix_id, title, released)
        for start, end in self.outages:
            server.add_outage(start, end)
        sim = Simulation(self.start, self.zone, server)
        for name, max_parallel, lock, nodes in self.clusters:
            sim.add_cluster(name, max_parallel, lock)
            for node in nodes:
                sim.add_node(cluster=name, **node)
        for node in self.singles:
            sim.add_node(**node)
        for when, kind, target, action, args, _ in self.events:
            sim.at(when, _apply, sim, kind, target, action, dict(args))
        sim.start()
        return sim


def _apply(sim, kind, target, action, args):
    where = target or "server" if kind != "note" else ""
    try:
        if kind == "note":
            sim.log("", "note: %s" % action)
        elif kind == "admin":
            sim.log(target, "admin %s: %s%s"
                    % (action[0], action[1], _args_text(args, sim.local)))
            sim.node(target).admin(action[0], action[1], **args)
        elif kind == "fault":
            sim.log(target, "fault: %s%s" % (action, _args_text(args, sim.local)))
            getattr(sim.node(target), "fault_" + action)(**args)
        elif kind == "server":
            sim.log("", "update server: %s%s" % (action, _args_text(args, sim.local)))
            if action == "outage":
                sim.server.add_outage(sim.now, args["until"])
            elif action == "publish_release":
                sim.server.publish_release(str(args["version"]), sim.now,
                                           bool(args.get("kernel_update", False)))
            else:
                sim.server.publish_hotfix(str(args["id"]), str(args.get("title", "")), sim.now)
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


def load_scenario(path):
    """Read and validate a scenario file; ScenarioError names file and line."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ScenarioError(path, "cannot read: %s" % (exc.strerror or exc)) from None
    try:
        document = yaml.load(data, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = "%s:%d" % (path, mark.line + 1) if mark else path
        raise ScenarioError(where, "not valid YAML: %s" % (getattr(exc, "problem", None) or exc)) from None
    if not isinstance(document, dict):
        raise ScenarioError(path, "a scenario is a YAML mapping (see docs/scenarios.rst)")
    try:
        return Scenario(path, document)
    except SimError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise ScenarioError(path, "invalid scenario: %s" % exc) from None

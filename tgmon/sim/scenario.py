"""Scenario files (YAML): an initial setup plus timed events. See docs/scenarios.rst.

Read like every YAML file tgmon reads: ``safefile`` (no FIFO or device, at most
MAX_SCENARIO_BYTES) and ``yamlsafe`` (no aliases, bounded nesting). Every
value is taken through ``fields.Fields``: a wrong one is named by file, line
and its path in the document, and free text is cleaned to one printable line.
"""

import re
from datetime import date, datetime, timedelta

from ..state.model import ScheduledDownload, ScheduledUpdate, WEEKDAYS
from ..safeio.text import sanitize
from ..state.lifecycle import parse_clock
from ..state.fields import FIRST_YEAR, LAST_YEAR, MAX_ITEMS
from ..timeutil import UTC
from .errors import ScenarioError
from .events import apply_event, read_event
from .fields import NO_VALUE, Fields, join, kind_of, shown
from .setup import SETUP_MARKERS, setup_markers
from .simulation import Simulation
from .updateserver import SimUpdateServer
from .wallclock import resolve_local

MAX_SCENARIO_BYTES = 1024 * 1024
MAX_SPAN = timedelta(days=731)     # a simulated run covers at most two years
MAX_NODES = 500
MAX_EVENTS = 10000
# What a run may cost: each simulated day judges every node, and every release and
# hotfix of every node, so a run's time grows with nodes x days x (1 + items / 20).
# 15000 such node-days take about 20 s; a scenario may cover fewer days
# the more nodes and items it has (a 4-node cluster with a dozen items: two years).
MAX_NODE_DAYS = 15000
ITEMS_PER_NODE = 20
# the simulated states must fit their schema, whose times lie within these years
LATEST = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)


NODE_KEYS = ("name", "installed", "installed_at", "users", "always_install_all_hotfixes",
             "schedule") + SETUP_MARKERS
TOP_KEYS = ("scenario", "description", "timezone", "start", "end", "server",
            "node_defaults", "clusters", "nodes", "events")
SCHEDULE_KEYS = {"download": ("active", "weekday", "start", "end"),
                 "update": ("active", "weekday", "start")}
_VERSION = re.compile(r"^[0-9]{1,6}(\.[0-9]{1,6}){0,5}$")


class Scenario:
    """A loaded, validated scenario; ``build()`` makes a fresh Simulation."""

    max_span = MAX_SPAN
    schedule_keys = SCHEDULE_KEYS

    def __init__(self, path, document):
        self.path = path
        self.fields = fields = Fields(path)
        self.doc = fields.keys(document, "", TOP_KEYS)
        self.name = fields.text(document, "scenario", "", None) or sanitize(path)
        self.description = fields.text_lines(document, "description", "")
        self.zone = self._zone(document)
        self.start = self.time(document, "start", "", required=True)
        self.end = self.time(document, "end", "", required=False)
        if self.end is not None and self.end <= self.start:
            raise fields.error(document, "end", "must be after start", "end")
        self.events = []
        self._validate()

    # ------------------------------------------------------------ helpers
    def _zone(self, document):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        name = self.fields.identifier(document, "timezone", "", "Europe/Berlin")
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise self.fields.error(document, "timezone", "unknown timezone %s (e.g. "
                                    "Europe/Berlin)" % shown(name), "timezone") from None

    def time(self, mapping, key, path, required=True):
        value = mapping.get(key)
        if value is None:
            if required:
                raise self.fields.error(mapping, join(path, key), "required (e.g. "
                                        "2026-11-17T03:00:00+01:00)", key)
            return None
        return self.parse_time(value, mapping, join(path, key), key)

    def parse_time(self, value, where, path, key=None):
        """ISO-8601 with offset, or local wall-clock time in the scenario's zone."""
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, date):
            value = value.isoformat() + "T00:00"
        if not isinstance(value, str):
            raise self.fields.error(where, path, "must be a time (e.g. 2026-11-17T03:00), "
                                    "not %s" % kind_of(value), key)
        text = value.strip().replace(" ", "T", 1)
        try:
            stamp = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise self.fields.error(where, path, "%s is not a time (e.g. 2026-11-17T03:00 or "
                                    "2026-11-17T03:00:00+01:00)" % shown(value), key) from None
        # the simulated states' times must fit their schema (and no arithmetic on
        # them may leave the calendar)
        if FIRST_YEAR <= stamp.year <= LAST_YEAR:
            if stamp.tzinfo is None:
                stamp = resolve_local(stamp.date(), stamp.time(), self.zone)
            stamp = stamp.astimezone(UTC)  # arithmetic in UTC; see engine.py
        if not FIRST_YEAR <= stamp.year <= LAST_YEAR:
            raise self.fields.error(where, path, "%s lies outside the years %d-%d"
                                    % (shown(value), FIRST_YEAR, LAST_YEAR), key)
        return stamp

    def show(self, instant):
        return instant.astimezone(self.zone).isoformat()

    def version(self, mapping, key, path, default=NO_VALUE):
        value = self.fields.identifier(mapping, key, path, default)
        if value is not None and not _VERSION.match(value):
            raise self.fields.error(mapping, join(path, key), "%s is not a version (e.g. "
                                    '"4.11")' % shown(value), key)
        return value

    # ------------------------------------------------------------ validation
    def _validate(self):
        doc, fields = self.doc, self.fields
        server = fields.mapping(doc, "server", "", ("releases", "hotfixes", "outages"))
        self.releases = []
        for item, path in self._list(server, "releases", "server", MAX_ITEMS):
            fields.item_mapping(item, path, ("version", "released", "kernel_update"), server)
            self.releases.append((self.version(item, "version", path, NO_VALUE),
                                  self.time(item, "released", path),
                                  fields.flag(item, "kernel_update", path, False)))
        self.hotfixes = []
        for item, path in self._list(server, "hotfixes", "server", MAX_ITEMS):
            fields.item_mapping(item, path, ("id", "title", "released"), server)
            self.hotfixes.append((fields.identifier(item, "id", path),
                                  fields.text(item, "title", path, ""),
                                  self.time(item, "released", path)))
        self.outages = []
        for item, path in self._list(server, "outages", "server", MAX_ITEMS):
            fields.item_mapping(item, path, ("start", "end"), server)
            self.outages.append((self.time(item, "start", path), self.time(item, "end", path)))
        self._read_nodes()
        events = self._list(doc, "events", "", MAX_EVENTS)
        self.max_span, self.span_limit = self._affordable_span(events)
        if self.end is None:
            self.end = self.start + min(timedelta(days=7), self.max_span)
        elif self.end - self.start > self.max_span:
            raise fields.error(doc, "end", "at most %d days after start%s"
                               % (self.max_span.days, self.span_limit), "end")
        previous = self.start
        for event, path in events:
            parsed = read_event(self, fields.item_mapping(event, path, None, doc), path)
            if parsed[0] < previous:
                raise fields.error(event, path, "events out of order: %s is before the previous "
                                   "event (%s)" % (self.show(parsed[0]), self.show(previous)))
            previous = parsed[0]
            self.events.append(parsed)

    def _list(self, parent, key, path, most):
        """The items of a list that may hold at most ``most`` (counted before any is read)."""
        found = self.fields.items(parent, key, path)
        if len(found) > most:
            raise self.fields.error(parent, join(path, key), "%d %s; at most %d"
                                    % (len(found), key, most), key)
        return found

    def _read_nodes(self):
        doc, fields = self.doc, self.fields
        clusters = fields.items(doc, "clusters", "")
        singles = fields.items(doc, "nodes", "")
        listed = len(singles) + sum(len(fields.items(cluster, "nodes", path))
                                    for cluster, path in clusters if isinstance(cluster, dict))
        if listed > MAX_NODES:
            raise fields.error(doc, "", "%d nodes; at most %d" % (listed, MAX_NODES))
        defaults = fields.mapping(doc, "node_defaults", "", NODE_KEYS[1:])
        self.clusters = []
        names = set()
        for cluster, path in clusters:
            fields.item_mapping(cluster, path, ("name", "max_parallel_updates", "update_lock",
                                                "nodes"), doc)
            name = fields.identifier(cluster, "name", path)
            if name in {c[0] for c in self.clusters}:
                raise fields.error(cluster, join(path, "name"), "cluster %s defined twice"
                                   % shown(name), "name")
            max_parallel = fields.whole(cluster, "max_parallel_updates", path, 1, 1)
            nodes = [self._node(n, node_path, cluster, defaults, names)
                     for n, node_path in fields.items(cluster, "nodes", path)]
            self.clusters.append((name, max_parallel,
                                  fields.flag(cluster, "update_lock", path, False), nodes))
        self.singles = [self._node(n, path, doc, defaults, names) for n, path in singles]
        if not names:
            raise fields.error(doc, "", "no nodes: add nodes or clusters")
        self.node_names = names
        self.cluster_names = {c[0] for c in self.clusters}

    def _affordable_span(self, events):
        """(how far a run may go, why no further): two years at most, within the work a
        run may cost (MAX_NODE_DAYS) and within the years the states may carry."""
        published = sum(1 for event, _ in events if isinstance(event, dict)
                        and event.get("server") in ("publish_release", "publish_hotfix"))
        items = len(self.releases) + len(self.hotfixes) + published
        weight = len(self.node_names) * (1 + items / ITEMS_PER_NODE)
        limits = [(MAX_SPAN, ""),
                  (timedelta(days=int(MAX_NODE_DAYS / weight)),
                   " for %d node(s) with %d release(s) and hotfix(es) (a run simulates at "
                   "most %d node-days; every %d releases or hotfixes weigh as one node more)"
                   % (len(self.node_names), items, MAX_NODE_DAYS, ITEMS_PER_NODE)),
                  (LATEST - self.start, " (the simulated times must lie before %d)"
                   % LATEST.year)]
        span, why = min(limits, key=lambda limit: limit[0])
        if span < timedelta(days=1):
            raise self.fields.error(self.doc, "", "cannot be simulated for one day%s" % why)
        return span, why

    def _node(self, item, path, where, defaults, names):
        fields = self.fields
        fields.item_mapping(item, path, NODE_KEYS, where)
        merged = _Merged({**defaults, **item}, item, defaults)
        name = fields.identifier(item, "name", path)
        if name in names:
            raise fields.error(item, join(path, "name"), "node %s defined twice" % shown(name),
                               "name")
        names.add(name)
        schedule = fields.mapping(merged, "schedule", path, tuple(SCHEDULE_KEYS))
        base_schedule = fields.mapping(defaults, "schedule", "node_defaults",
                                       tuple(SCHEDULE_KEYS))
        settings = {}
        for part, cls in (("download", ScheduledDownload), ("update", ScheduledUpdate)):
            base = fields.mapping(base_schedule, part, "node_defaults.schedule",
                                  SCHEDULE_KEYS[part])
            own = fields.mapping(schedule, part, join(path, "schedule"), SCHEDULE_KEYS[part])
            settings[part] = cls(**self.schedule_part(_Merged({**base, **own}, own, base), part,
                                                      join(path, "schedule.%s" % part),
                                                      complete=True))
        return dict(name=name, installed=self.version(merged, "installed", path, "4.11"),
                    installed_at=self.time(merged, "installed_at", path, required=False),
                    users=fields.whole(merged, "users", path, 0, 0),
                    always_install_all=fields.flag(merged, "always_install_all_hotfixes", path,
                                                   True),
                    download=settings["download"], update=settings["update"],
                    **setup_markers(self, merged, path))

    def schedule_part(self, values, part, path, complete):
        """The settings of a scheduled download or update; ``complete`` fills the defaults
        (a node's schedule), else only what is given (set_schedule changes those)."""
        fields = self.fields
        defaults = {"active": False, "weekday": "tuesday",
                    "start": "03:00" if part == "update" else "01:30", "end": None}
        found = {}
        for key in SCHEDULE_KEYS[part]:
            if key not in values and not complete:
                continue
            if key == "active":
                found[key] = fields.flag(values, key, path, defaults[key])
            elif key == "weekday":
                found[key] = fields.choice(values, key, path, defaults[key], WEEKDAYS)
            else:
                value = values.get(key, defaults[key])
                found[key] = None if value is None else self._clock(value, values,
                                                                    join(path, key), key)
        return found

    def _clock(self, value, where, path, key):
        if isinstance(value, int) and not isinstance(value, bool):
            value = "%02d:%02d" % divmod(value, 60)   # YAML 1.1 reads 03:00 as 180
        parts = value.split(":") if isinstance(value, str) else ()
        try:
            if len(parts) != 2 or not all(p.isdigit() and len(p) <= 2 for p in parts):
                raise ValueError(value)
            return "%02d:%02d" % parse_clock("%02d:%02d" % tuple(map(int, parts)))  # 3:00 too
        except ValueError:
            raise self.fields.error(where, path, "%s is not HH:MM" % shown(value), key) from None

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
            sim.at(when, apply_event, sim, kind, target, action, dict(args))
        sim.start()
        return sim




class _Merged(dict):
    """A node's settings over node_defaults: each key's line is where it was given."""

    def __init__(self, values, own, defaults):
        super().__init__(values)
        self.own, self.defaults = own, defaults
        self.line = getattr(own, "line", None)

    def line_of(self, key):
        source = self.own if key in self.own else self.defaults
        return source.line_of(key) if hasattr(source, "line_of") else getattr(source, "line",
                                                                                self.line)




def load_scenario(path):
    """Read and validate a scenario file; ScenarioError names the file, line and path."""
    from ..safeio import yaml as yamlsafe
    from ..safeio.files import FileProblem, read_regular
    try:
        data = read_regular(path, MAX_SCENARIO_BYTES)
    except FileProblem as exc:
        raise ScenarioError(path, "%s - %s" % (exc.words, _FILE_FIX.get(
            exc.kind, "check the file"))) from None
    try:
        document = yamlsafe.load(data)
    except yamlsafe.YamlProblem as exc:
        raise ScenarioError("%s:%d" % (path, exc.line) if exc.line else path,
                            "%s - fix the YAML" % exc.words) from None
    if not isinstance(document, dict):
        raise ScenarioError(path, "a scenario is a YAML mapping, not %s (see "
                                  "docs/scenarios.rst)" % kind_of(document))
    return Scenario(path, document)


_FILE_FIX = {
    "missing": "check the path",
    "not-regular": "give a scenario file (a regular file)",
    "too-large": "a scenario is at most %d bytes" % MAX_SCENARIO_BYTES,
    "permission": "make it readable",
}


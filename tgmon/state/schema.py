"""status.json (schema "tgmon/1") <-> the state model, with precise errors.

``parse_status`` turns a decoded JSON document into a ``State``; every
problem names the field path (``releases.available[1].released``) and what
is wrong with it, never more of the file than that. ``to_document`` is the
inverse, used by the simulator, the exporter and the example generator, so
there is one schema in one place.

Every value is bounded (docs/state-format.rst, "Limits"): text lengths, list
lengths, numbers, and times. A time after ``generated`` (beyond
``FUTURE_TOLERANCE``) is refused: a state cannot report what has not
happened yet, and a time from the future must never read as "just now".
The planned maintenance is the one exception: it is a plan.
"""

import re
from datetime import timedelta

from . import model
from .freshness import FUTURE_TOLERANCE
from .lifecycle import parse_clock
from .model import (
    ClusterSettings, FailureSwitchOff, Hotfix, Hotfixes, Maintenance, Node,
    PlannedMaintenance, Release, Releases, Schedule, ScheduledDownload,
    ScheduledUpdate, State, UpdateRun, UpdateServer)
from ..timeutil import UTC, format_timestamp, parse_timestamp

_VERSION = re.compile(r"^\d{1,9}(\.\d{1,9}){0,5}$")

# Limits of a tgmon/1 state (documented in docs/state-format.rst).
MAX_NAME = 128        # node and cluster names, hotfix ids
MAX_TEXT = 1000       # reasons, messages, titles
MAX_ITEMS = 1000      # releases, hotfixes
MAX_SESSIONS = 1000000
MAX_PARALLEL = 1000
FIRST_YEAR, LAST_YEAR = 1970, 2200
# fields that may lie after ``generated``: plans
PLANNED = ("maintenance.planned.",)


class SchemaError(ValueError):
    """A field of status.json is missing or wrong; ``path`` names it."""

    def __init__(self, path, problem):
        super().__init__("%s: %s" % (path, problem) if path else problem)
        self.path = path
        self.problem = problem


class _Fields:
    """Typed access to one JSON object, every error carrying its path.

    ``stamps`` collects (path, time) of every timestamp read, shared by the
    objects of one document, so that the times can be checked against
    ``generated`` at the end.
    """

    def __init__(self, obj, path, stamps=None):
        if not isinstance(obj, dict):
            raise SchemaError(path, "expected an object, got %s" % _kind(obj))
        self.obj = obj
        self.path = path
        self.stamps = stamps if stamps is not None else []

    def sub(self, key):
        return "%s.%s" % (self.path, key) if self.path else key

    def raw(self, key, required=True):
        if key not in self.obj:
            if required:
                raise SchemaError(self.sub(key), "required field is missing")
            return None
        return self.obj[key]

    def _typed(self, key, types, name, required, nullable):
        value = self.raw(key, required)
        if value is None:
            if key in self.obj and not nullable:
                raise SchemaError(self.sub(key), "must not be null")
            return None
        if isinstance(value, bool) and bool not in types:
            raise SchemaError(self.sub(key), "expected %s, got boolean" % name)
        if not isinstance(value, types):
            raise SchemaError(self.sub(key),
                              "expected %s, got %s" % (name, _kind(value)))
        return value

    def boolean(self, key, required=True, nullable=False):
        return self._typed(key, (bool,), "true/false", required, nullable)

    def string(self, key, required=True, nullable=False, limit=MAX_TEXT):
        value = self._typed(key, (str,), "a string", required, nullable)
        if value is not None and len(value) > limit:
            raise SchemaError(self.sub(key), "is %d characters, over the limit %d"
                              % (len(value), limit))
        return value

    def integer(self, key, required=True, nullable=False, minimum=None, maximum=None):
        value = self._typed(key, (int,), "an integer", required, nullable)
        if value is not None and minimum is not None and value < minimum:
            raise SchemaError(self.sub(key), "must be at least %d, got %s"
                              % (minimum, _number(value)))
        if value is not None and maximum is not None and value > maximum:
            raise SchemaError(self.sub(key), "must be at most %d, got %s"
                              % (maximum, _number(value)))
        return value

    def timestamp(self, key, required=True, nullable=True):
        value = self.string(key, required, nullable, limit=64)
        if value is None:
            return None
        try:
            stamp = parse_timestamp(value)
            year = stamp.astimezone(UTC).year
        except OverflowError:
            raise SchemaError(self.sub(key), "beyond the calendar") from None
        except ValueError as exc:
            problem = ("has no UTC offset" if "offset" in str(exc) else
                       "is not an ISO-8601 timestamp (e.g. 2026-11-22T03:00:00+01:00)")
            raise SchemaError(self.sub(key), problem) from None
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise SchemaError(self.sub(key), "%s lies outside the years %d-%d"
                              % (value[:10], FIRST_YEAR, LAST_YEAR))
        self.stamps.append((self.sub(key), stamp))
        return stamp

    def clock(self, key, example, required=True, nullable=False):
        """A time of day 'HH:MM' (a schedule setting)."""
        value = self.string(key, required, nullable, limit=16)
        if value is not None:
            try:
                parse_clock(value)
            except ValueError:
                raise SchemaError(self.sub(key), "expected e.g. %s, got %r"
                                  % (example, value)) from None
        return value

    def choice(self, key, choices, required=True, nullable=False):
        value = self.string(key, required, nullable, limit=MAX_NAME)
        if value is not None and value not in choices:
            listed = ", ".join(choices)
            if len(listed) > 40:
                listed = "%s ... %s" % (choices[0], choices[-1])
            raise SchemaError(self.sub(key), "expected one of %s, got %r"
                              % (listed, value[:40]))
        return value

    def pattern(self, key, regex, example, required=True, nullable=False, limit=32):
        value = self.string(key, required, nullable, limit=limit)
        if value is not None and not regex.match(value):
            raise SchemaError(self.sub(key), "expected e.g. %s, got %r"
                              % (example, value))
        return value

    def obj_field(self, key, required=True, nullable=False):
        value = self.raw(key, required)
        if value is None:
            if key in self.obj and not nullable:
                raise SchemaError(self.sub(key), "must not be null")
            return None
        return _Fields(value, self.sub(key), self.stamps)

    def items(self, key, required=True, limit=MAX_ITEMS):
        value = self.raw(key, required)
        if value is None:
            if key in self.obj:
                raise SchemaError(self.sub(key), "must be a list, not null")
            return []
        if not isinstance(value, list):
            raise SchemaError(self.sub(key),
                              "expected a list, got %s" % _kind(value))
        if len(value) > limit:
            raise SchemaError(self.sub(key), "has %d items, over the limit %d"
                              % (len(value), limit))
        return [_Fields(item, "%s[%d]" % (self.sub(key), index), self.stamps)
                for index, item in enumerate(value)]


def _number(value):
    """An integer for a message: a huge one by its size, not its thousands of digits."""
    text = str(value) if abs(value) < 10 ** 15 else None
    return text or "%d digits" % len(str(abs(value)))


def _kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


def check_schema_tag(document):
    """Refuse what we cannot read rather than guess: an unknown major is fatal."""
    if not isinstance(document, dict):
        raise SchemaError("", "expected a JSON object at the top, got %s"
                          % _kind(document))
    tag = document.get("schema")
    if not isinstance(tag, str) or "/" not in tag:
        raise SchemaError("schema", "expected %r, got %r" % (model.SCHEMA, tag))
    family, _, version = tag.partition("/")
    major = version.split(".")[0]
    if family != model.SCHEMA_FAMILY or not major.isdigit():
        raise SchemaError("schema", "expected %r, got %r" % (model.SCHEMA, tag))
    if int(major) != model.SCHEMA_MAJOR:
        raise SchemaError(
            "schema", "major version %s is not supported by this tgmon (reads %r); "
            "upgrade tgmon or the writer to matching versions" % (major, model.SCHEMA))
    return tag


def parse_status(document, flags=model.NO_FLAGS, origin=""):
    """Decoded status.json -> State. Raises SchemaError naming the field."""
    tag = check_schema_tag(document)
    top = _Fields(document, "")
    generated = top.timestamp("generated", nullable=False)

    node_f = top.obj_field("node")
    role = node_f.choice("role", model.ROLES)
    node = Node(node_f.string("name", limit=MAX_NAME), role,
                node_f.string("cluster", required=False, nullable=True, limit=MAX_NAME))
    if role == "cluster-node" and not node.cluster:
        raise SchemaError("node.cluster", "a cluster-node needs the cluster name")

    rel_f = top.obj_field("releases")
    releases = Releases(
        rel_f.pattern("installed", _VERSION, "4.11"),
        rel_f.timestamp("installed_at", required=False),
        tuple(Release(r.pattern("version", _VERSION, "4.12"),
                      r.timestamp("released", nullable=False),
                      bool(r.boolean("kernel_update", required=False)))
              for r in rel_f.items("available")))

    srv_f = top.obj_field("update_server")
    server = UpdateServer(
        srv_f.timestamp("last_check"),
        srv_f.boolean("last_check_ok", required=False, nullable=True),
        srv_f.timestamp("last_successful_check"),
        srv_f.timestamp("last_complete_download"))

    hf_f = top.obj_field("hotfixes")
    hotfixes = Hotfixes(
        tuple(_hotfix(h) for h in hf_f.items("available")),
        tuple(_hotfix(h) for h in hf_f.items("installed", required=False)),
        hf_f.boolean("always_install_all"))

    sch_f = top.obj_field("schedule")
    dl_f = sch_f.obj_field("download")
    up_f = sch_f.obj_field("update")
    off_f = sch_f.obj_field("disabled_by_failure", required=False, nullable=True)
    schedule = Schedule(
        ScheduledDownload(dl_f.boolean("active"),
                          dl_f.choice("weekday", model.WEEKDAYS),
                          dl_f.clock("start", "01:00"),
                          dl_f.clock("end", "02:45", required=False, nullable=True)),
        ScheduledUpdate(up_f.boolean("active"),
                        up_f.choice("weekday", model.WEEKDAYS),
                        up_f.clock("start", "03:00")),
        FailureSwitchOff(off_f.timestamp("since", nullable=False),
                         off_f.string("reason", required=False, nullable=True))
        if off_f else None)

    cl_f = top.obj_field("cluster", required=False, nullable=True)
    if role == "cluster-node" and cl_f is None:
        raise SchemaError("cluster", "a cluster-node needs the cluster settings")
    cluster = ClusterSettings(
        cl_f.boolean("update_lock"),
        cl_f.integer("max_parallel_updates", minimum=1, maximum=MAX_PARALLEL),
        cl_f.boolean("in_load_balancing")) if cl_f else None

    mt_f = top.obj_field("maintenance")
    plan_f = mt_f.obj_field("planned", required=False, nullable=True)
    maintenance = Maintenance(
        mt_f.boolean("active"),
        mt_f.timestamp("since", required=False),
        mt_f.string("reason", required=False, nullable=True),
        bool(mt_f.boolean("only_maint_may_end", required=False)),
        PlannedMaintenance(plan_f.timestamp("start", nullable=False),
                           plan_f.timestamp("end", required=False),
                           plan_f.string("reason", required=False, nullable=True))
        if plan_f else None)
    if maintenance.active and maintenance.since is None:
        raise SchemaError("maintenance.since", "required while maintenance is active")

    run_f = top.obj_field("last_update_run", required=False, nullable=True)
    run = UpdateRun(
        run_f.choice("kind", model.RUN_KINDS),
        run_f.timestamp("start", nullable=False),
        run_f.timestamp("end", required=False),
        run_f.choice("result", model.RUN_RESULTS, required=False, nullable=True),
        run_f.string("message", required=False, nullable=True)) if run_f else None
    if run is not None and run.end is not None and run.result is None:
        raise SchemaError("last_update_run.result", "required once the run has ended")

    state = State(
        tag, generated, node, releases, server, hotfixes, schedule, cluster, maintenance,
        top.boolean("vnc_login_disabled"), run,
        top.integer("active_sessions", minimum=0, maximum=MAX_SESSIONS), flags, origin,
        bool(top.boolean("new_logins_blocked", required=False)))
    _nothing_after(generated, top.stamps)
    return state


def _nothing_after(generated, stamps):
    """No time may lie after ``generated`` (beyond the tolerance), but a plan."""
    limit = generated + timedelta(seconds=FUTURE_TOLERANCE)
    for path, stamp in stamps:
        if stamp > limit and not path.startswith(PLANNED):
            raise SchemaError(path, "lies after generated (%s)"
                              % format_timestamp(stamp)[:10])


def _hotfix(fields):
    return Hotfix(fields.string("id", limit=MAX_NAME), fields.string("title"),
                  fields.timestamp("released", nullable=False))


def _ts(stamp):
    return format_timestamp(stamp) if stamp is not None else None


def _hotfix_doc(hotfix):
    return {"id": hotfix.id, "title": hotfix.title, "released": _ts(hotfix.released)}


def to_document(state):
    """State -> the status.json document (markers are files, not fields)."""
    sched = state.schedule
    maint = state.maintenance
    run = state.last_update_run
    return {
        "schema": model.SCHEMA,
        "generated": _ts(state.generated),
        "node": dict(state.node._asdict()),
        "releases": {
            "installed": state.releases.installed,
            "installed_at": _ts(state.releases.installed_at),
            "available": [{"version": r.version, "released": _ts(r.released),
                           "kernel_update": r.kernel_update}
                          for r in state.releases.available],
        },
        "update_server": {
            "last_check": _ts(state.update_server.last_check),
            "last_check_ok": state.update_server.last_check_ok,
            "last_successful_check": _ts(state.update_server.last_successful_check),
            "last_complete_download": _ts(state.update_server.last_complete_download),
        },
        "hotfixes": {
            "always_install_all": state.hotfixes.always_install_all,
            "available": [_hotfix_doc(h) for h in state.hotfixes.available],
            "installed": [_hotfix_doc(h) for h in state.hotfixes.installed],
        },
        "schedule": {
            "download": dict(sched.download._asdict()),
            "update": dict(sched.update._asdict()),
            "disabled_by_failure": {
                "since": _ts(sched.disabled_by_failure.since),
                "reason": sched.disabled_by_failure.reason,
            } if sched.disabled_by_failure else None,
        },
        "cluster": dict(state.cluster._asdict()) if state.cluster else None,
        "maintenance": {
            "active": maint.active,
            "since": _ts(maint.since),
            "reason": maint.reason,
            "only_maint_may_end": maint.only_maint_may_end,
            "planned": {"start": _ts(maint.planned.start),
                        "end": _ts(maint.planned.end),
                        "reason": maint.planned.reason} if maint.planned else None,
        },
        "vnc_login_disabled": state.vnc_login_disabled,
        "new_logins_blocked": state.new_logins_blocked,
        "last_update_run": {"kind": run.kind, "start": _ts(run.start),
                            "end": _ts(run.end), "result": run.result,
                            "message": run.message} if run else None,
        "active_sessions": state.active_sessions,
    }


MAX_MARKER_LINES = 50     # what a reader takes of a marker file (the rest is cut)
MAX_MARKER_LINE = 200


def parse_flags(document):
    """The ``flags`` object of the remote form -> Flags (SchemaError naming the field).

    A set marker whose ``since`` is null has an unknown age (its file time was
    beyond the calendar on the node); the checks judge it as such.
    """
    top = _Fields(document, "")
    flags_f = top.obj_field("flags")
    markers = []
    for name in model.Flags._fields:
        marker_f = flags_f.obj_field(name)
        is_set = marker_f.boolean("set")
        since = marker_f.timestamp("since", required=False)
        lines = marker_f.raw("lines", required=False) or []
        if not isinstance(lines, list):
            raise SchemaError(marker_f.sub("lines"), "expected a list, got %s" % _kind(lines))
        if len(lines) > MAX_MARKER_LINES:
            raise SchemaError(marker_f.sub("lines"), "has %d items, over the limit %d"
                              % (len(lines), MAX_MARKER_LINES))
        for index, line in enumerate(lines):
            if not isinstance(line, str):
                raise SchemaError("%s[%d]" % (marker_f.sub("lines"), index),
                                  "expected a string, got %s" % _kind(line))
            if len(line) > MAX_MARKER_LINE:
                raise SchemaError("%s[%d]" % (marker_f.sub("lines"), index),
                                  "is %d characters, over the limit %d"
                                  % (len(line), MAX_MARKER_LINE))
        markers.append(model.Marker(True, since, tuple(line.strip() for line in lines))
                       if is_set else model.MARKER_UNSET)
    return model.Flags(*markers)

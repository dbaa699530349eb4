"""status.json (schema "tgmon/1") <-> the state model, with precise errors.

``parse_status`` turns a decoded JSON document into a ``State``; every
problem names the field path (``releases.available[1].released``) and what
is wrong with it, never more of the file than that. ``to_document`` is the
inverse, used by the simulator, the exporter and the example generator, so
there is one schema in one place. Bytes become a document, and the markers
Flags, in the one decoder (``tgmon.sources.decode``).

Every value is bounded (``fields``; docs/state-format.rst, "Limits"): text
lengths, list lengths, numbers, and times. A time after ``generated`` (beyond
``FUTURE_TOLERANCE``) is refused: a state cannot report what has not
happened yet, and a time from the future must never read as "just now".
The planned maintenance is the one exception: it is a plan.
"""

import re
from datetime import timedelta

from . import model
from .fields import MAX_NAME, MAX_PARALLEL, MAX_SESSIONS, SchemaError, StatusFields, json_kind
from .freshness import FUTURE_TOLERANCE
from .model import (
    ClusterSettings, FailureSwitchOff, Hotfix, Hotfixes, Maintenance, Node,
    PlannedMaintenance, Release, Releases, Schedule, ScheduledDownload,
    ScheduledUpdate, State, UpdateRun, UpdateServer)
from ..timeutil import format_timestamp

_VERSION = re.compile(r"^\d{1,9}(\.\d{1,9}){0,5}$")

# fields that may lie after ``generated``: plans
PLANNED = ("maintenance.planned.",)


def check_schema_tag(document):
    """Refuse what we cannot read rather than guess: an unknown major is fatal."""
    if not isinstance(document, dict):
        raise SchemaError("", "expected a JSON object at the top, got %s"
                          % json_kind(document))
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
    top = StatusFields(document, "")
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
    _listed_once(releases.available, "releases.available", "version",
                 lambda release: model.version_key(release.version))
    _listed_once(hotfixes.available, "hotfixes.available", "id", lambda hotfix: hotfix.id)

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


def _listed_once(items, path, field, key):
    """A release or hotfix offered twice would be counted twice (2 releases behind)."""
    seen = set()
    for index, item in enumerate(items):
        if key(item) in seen:
            raise SchemaError("%s[%d].%s" % (path, index, field),
                              "%s is listed twice" % getattr(item, field))
        seen.add(key(item))


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

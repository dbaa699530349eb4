"""Every metric tgmon exports, in one place: name, type, help, labels and how its
samples come from a node's state.

``tgmon serve``'s /metrics and ``tgmon textfile`` write these (``collect``),
docs/prometheus.rst lists them, the alert rules and the Grafana dashboard are
generated from them (tools/prometheus.py). Names follow Prometheus' habits:
``tgmon_`` first, base units, ``_timestamp_seconds`` for an instant (never an
age: an age exported goes stale between two scrapes, an instant does not),
0/1 for a yes/no that is always there, ``_info`` = 1 for a text worth a label.

Every sample of a node carries ``BASE_LABELS`` (node, cluster, role); a metric's
``labels`` are the ones it adds. ``samples(view)`` returns [(label values,
value)] for the metric's own labels; a ``view`` is the state as read
(``Judged``): the State, or None when it could not be read, and the checks'
Results (None where they could not judge).
"""

from ..state.freshness import FUTURE_TOLERANCE, known_since
from ..state.lifecycle import WEEK_SECONDS, download_lead, download_length, week_seconds
from ..state.model import record, releases_ahead, update_running

# name: tgmon_...; kind: "gauge" (every metric here: a value that can go up and down);
# help: one line; labels: the labels it adds to BASE_LABELS; samples: view -> [(values, value)];
# per_node: False for the label-free metrics that are there even when no state was read
Metric = record("Metric", "name kind help labels samples per_node", (True,))

BASE_LABELS = ("node", "cluster", "role")
FLAGS = ("warn_flag", "update_lock", "reboot_required")
SCHEDULES = ("download", "update")

# the state as collect() read and judged it: state (None: not readable), the cause
# when not, results {check: Result} of every node check, findings [((check, finding),
# status)] of every finding a check that judged can report (0 when it did not), and
# the instant it was judged at
Judged = record("Judged", "state cause results findings now")


def _stamp(value):
    return None if value is None else value.timestamp()


def _one(getter):
    """samples() of a metric without labels of its own: getter(state) -> value or None."""
    def samples(view):
        if view.state is None:
            return []
        value = getter(view.state)
        return [] if value is None else [((), _number(value))]
    return samples


def _number(value):
    return int(value) if isinstance(value, bool) else value


def _flags(view):
    if view.state is None:
        return []
    return [((name,), int(marker.is_set)) for name, marker in zip(FLAGS, view.state.flags)]


def _flag_times(view):
    """A marker's time as the checks take it: none from the future (a wrong clock)."""
    if view.state is None:
        return []
    sinces = [(name, known_since(marker.since, view.now) if marker.is_set else None)
              for name, marker in zip(FLAGS, view.state.flags)]
    return [((name,), since.timestamp()) for name, since in sinces if since is not None]


def _installed(view):
    return [] if view.state is None else [((view.state.releases.installed,), 1)]


def _offered(view):
    if view.state is None:
        return []
    return [((release.version,), release.released.timestamp())
            for release in view.state.releases.available]


def _oldest_hotfix(state):
    pending = state.hotfixes.available
    return min(hotfix.released for hotfix in pending).timestamp() if pending else None


def _maintenance_reasons(view):
    if view.state is None:
        return []
    maintenance = view.state.maintenance
    found = []
    if maintenance.active and maintenance.reason:
        found.append((("active", maintenance.reason), 1))
    if maintenance.planned is not None and maintenance.planned.reason:
        found.append((("planned", maintenance.planned.reason), 1))
    return found


def _planned(field):
    def getter(state):
        planned = state.maintenance.planned
        return None if planned is None else _stamp(getattr(planned, field))
    return getter


def _schedule(getter):
    def samples(view):
        if view.state is None:
            return []
        schedule = view.state.schedule
        return [((name,), _number(getter(setting)))
                for name, setting in zip(SCHEDULES, (schedule.download, schedule.update))]
    return samples


def _download_end(state):
    download = state.schedule.download
    if download.end is None:
        return None
    return (week_seconds(download.weekday, download.start) + download_length(download)) \
        % WEEK_SECONDS


def _cluster(field):
    def getter(state):
        return None if state.cluster is None else getattr(state.cluster, field)
    return getter


def _run(getter):
    def samples(state):
        run = state.last_update_run
        return None if run is None else getter(run)
    return samples


def _run_info(view):
    run = view.state.last_update_run if view.state is not None else None
    if run is None:
        return []
    return [((run.kind, run.result or "running"), 1)]


def _check_status(view):
    return [((check,), result.code) for check, result in sorted(view.results.items())]


def _finding_status(view):
    return list(view.findings)


def _up(view):
    return [((), int(view.state is not None))]


def _cause(view):
    return [] if view.cause is None else [((view.cause,), 1)]


METRICS = (
    # -- whether there is a state at all
    Metric("tgmon_up", "gauge", "1 when the state could be read, 0 when not "
           "(tgmon_state_error_info says why); without labels, so it is there either way",
           (), _up, per_node=False),
    Metric("tgmon_state_error_info", "gauge", "1 with the cause why the state could not "
           "be read; absent while it can", ("cause",), _cause, per_node=False),
    Metric("tgmon_state_generated_timestamp_seconds", "gauge", "when the state was written "
           "(the writer's heartbeat refreshes it at least every 15 minutes)",
           (), _one(lambda s: _stamp(s.generated))),
    # -- releases
    Metric("tgmon_release_installed_info", "gauge", "1 for the installed release",
           ("version",), _installed),
    Metric("tgmon_release_installed_timestamp_seconds", "gauge", "when the installed "
           "release was installed; absent when unknown", (),
           _one(lambda s: _stamp(s.releases.installed_at))),
    Metric("tgmon_release_offered_timestamp_seconds", "gauge", "when each release the "
           "update server offers was released", ("version",), _offered),
    Metric("tgmon_releases_behind", "gauge", "offered releases newer than the installed "
           "one (2 or more: catch up from oldstable)", (),
           _one(lambda s: len(releases_ahead(s.releases.installed, s.releases.available)))),
    # -- the update server
    Metric("tgmon_update_server_last_check_timestamp_seconds", "gauge", "the last check of "
           "the update server, successful or not", (),
           _one(lambda s: _stamp(s.update_server.last_check))),
    Metric("tgmon_update_server_last_check_ok", "gauge", "1 when the last check of the update "
           "server succeeded, 0 when it failed; absent when unknown", (),
           _one(lambda s: s.update_server.last_check_ok)),
    Metric("tgmon_update_server_last_successful_check_timestamp_seconds", "gauge",
           "the last successful check of the update server", (),
           _one(lambda s: _stamp(s.update_server.last_successful_check))),
    Metric("tgmon_last_complete_download_timestamp_seconds", "gauge", "the last complete "
           "download of update files (it clears the warn flag)", (),
           _one(lambda s: _stamp(s.update_server.last_complete_download))),
    # -- the three markers
    Metric("tgmon_flag_set", "gauge", "1 while the marker is set, 0 while not: warn_flag "
           "(Update download failed), update_lock, reboot_required", ("flag",), _flags),
    Metric("tgmon_flag_set_timestamp_seconds", "gauge", "since when the marker is set; absent "
           "while it is not, or its time lies over %d s ahead (a wrong clock: since an "
           "unknown time, as the checks say)" % FUTURE_TOLERANCE, ("flag",), _flag_times),
    # -- hotfixes
    Metric("tgmon_hotfixes_pending", "gauge", "hotfixes available and not installed", (),
           _one(lambda s: len(s.hotfixes.available))),
    Metric("tgmon_hotfix_oldest_pending_timestamp_seconds", "gauge", "when the oldest pending "
           "hotfix was released; absent when none is pending", (), _one(_oldest_hotfix)),
    Metric("tgmon_hotfixes_installed", "gauge", "hotfixes installed", (),
           _one(lambda s: len(s.hotfixes.installed))),
    Metric("tgmon_hotfixes_always_install_all", "gauge", "1 when Always install all hotfixes "
           "is yes", (), _one(lambda s: s.hotfixes.always_install_all)),
    # -- maintenance, logins, load balancing
    Metric("tgmon_maintenance_active", "gauge", "1 while maintenance mode is active", (),
           _one(lambda s: s.maintenance.active)),
    Metric("tgmon_maintenance_since_timestamp_seconds", "gauge", "since when maintenance mode "
           "is active; absent while it is not", (),
           _one(lambda s: _stamp(s.maintenance.since) if s.maintenance.active else None)),
    Metric("tgmon_maintenance_only_maint_may_end", "gauge", "1 while the maintenance mode is "
           "one only admin maint can end (a definitively failed download)", (),
           _one(lambda s: s.maintenance.active and s.maintenance.only_maint_may_end)),
    Metric("tgmon_maintenance_planned_start_timestamp_seconds", "gauge", "the start of the "
           "maintenance planned with admin maint; absent when none is planned", (),
           _one(_planned("start"))),
    Metric("tgmon_maintenance_planned_end_timestamp_seconds", "gauge", "the end of the planned "
           "maintenance; absent when none is planned or it has no end", (), _one(_planned("end"))),
    Metric("tgmon_maintenance_info", "gauge", "1 with the reason of the active (kind=active) "
           "or planned (kind=planned) maintenance, as users are shown it", ("kind", "reason"),
           _maintenance_reasons),
    Metric("tgmon_vnc_login_disabled", "gauge", "1 while VNC login is disabled", (),
           _one(lambda s: s.vnc_login_disabled)),
    Metric("tgmon_new_logins_blocked", "gauge", "1 while the node takes no new client logins "
           "(a single system right before its update)", (), _one(lambda s: s.new_logins_blocked)),
    Metric("tgmon_load_balancing_member", "gauge", "1 while the cluster node is in load "
           "balancing; absent on a single system", (), _one(_cluster("in_load_balancing"))),
    Metric("tgmon_cluster_update_lock_setting", "gauge", "1 when the cluster setting "
           "Cluster-wide update lock is yes (no scheduled update runs); absent on a single "
           "system", (), _one(_cluster("update_lock"))),
    Metric("tgmon_cluster_max_parallel_updates", "gauge", "how many nodes of the cluster may "
           "update at once; absent on a single system", (),
           _one(_cluster("max_parallel_updates"))),
    # -- the schedule (weekly settings, not instants)
    Metric("tgmon_schedule_active", "gauge", "1 when the scheduled download or update is "
           "active", ("schedule",), _schedule(lambda setting: setting.active)),
    Metric("tgmon_schedule_weekly_start_seconds", "gauge", "the scheduled start as seconds "
           "after Monday 00:00 of the node's local time", ("schedule",),
           _schedule(lambda setting: week_seconds(setting.weekday, setting.start))),
    Metric("tgmon_schedule_download_weekly_end_seconds", "gauge", "the scheduled download's "
           "end time (an unfinished download is aborted then) as seconds after Monday 00:00; "
           "absent when it has none", (), _one(_download_end)),
    Metric("tgmon_schedule_download_lead_seconds", "gauge", "from the scheduled download's "
           "start to the scheduled update's start (1 h at least, 2 h recommended)", (),
           _one(lambda s: download_lead(s.schedule.download, s.schedule.update))),
    Metric("tgmon_schedule_switched_off_by_failure", "gauge", "1 while a failure has switched "
           "scheduled download and update off", (),
           _one(lambda s: s.schedule.disabled_by_failure is not None)),
    # -- the last update run
    Metric("tgmon_last_update_run_info", "gauge", "1 with the last update run's kind "
           "(scheduled, auto-update) and result (ok, no-updates, failed; running while it "
           "runs)", ("kind", "result"), _run_info),
    Metric("tgmon_last_update_run_start_timestamp_seconds", "gauge", "when the last update "
           "run started", (), _one(_run(lambda run: _stamp(run.start)))),
    Metric("tgmon_last_update_run_end_timestamp_seconds", "gauge", "when the last update run "
           "ended; absent while it runs", (), _one(_run(lambda run: _stamp(run.end)))),
    Metric("tgmon_update_running", "gauge", "1 while an update run is in progress", (),
           _one(update_running)),
    Metric("tgmon_active_sessions", "gauge", "user sessions active on the node", (),
           _one(lambda s: s.active_sessions)),
    # -- the verdicts, as the plugins say them with their default options
    Metric("tgmon_check_status", "gauge", "the plugin's status: 0 OK, 1 WARNING, 2 CRITICAL, "
           "3 UNKNOWN (a stale state is UNKNOWN, as the plugins say)", ("check",), _check_status),
    Metric("tgmon_finding_status", "gauge", "the status of each finding the check can report "
           "(0 when it does not): one alert rule each", ("check", "finding"), _finding_status),
)


def by_name(name):
    """The Metric named ``name``; KeyError if none."""
    for metric in METRICS:
        if metric.name == name:
            return metric
    raise KeyError(name)

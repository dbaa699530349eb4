"""The Grafana dashboard of tgmon's metrics, built from the metric registry
(tgmon/metrics/registry.py) and the checks (tgmon/checks/registry.py):
tools/prometheus.py writes it to grafana/tgmon-dashboard.json.

Every metric name goes through ``metric()``, which fails on a name the registry
does not have, so a renamed metric cannot leave a panel querying nothing.
Panels: the fleet at a glance, the fleet table (one row per node: every
check's status, release, flags), per cluster the nodes updating and locked
against the cluster's maximum, and the release skew.
"""

from tgmon.metrics.collect import NODE_CHECKS
from tgmon.metrics.registry import by_name

TITLE = "tgmon: TightGate-Pro updates"
UID = "tgmon-updates"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SELECT = 'cluster=~"$cluster"'      # the dashboard's cluster variable
# the checks' statuses as Grafana shows them
STATUS_MAPPINGS = [{"type": "value", "options": {
    str(value): {"text": text, "color": color, "index": value}
    for value, (text, color) in enumerate((("OK", "green"), ("WARNING", "orange"),
                                            ("CRITICAL", "red"), ("UNKNOWN", "purple")))}}]


def metric(name, labels=SELECT):
    """``name{labels}``, ``name`` checked against the registry."""
    by_name(name)
    return "%s{%s}" % (name, labels) if labels else name


def target(expr, ref, legend=None, table=False):
    found = {"datasource": DATASOURCE, "expr": expr, "refId": ref}
    if legend:
        found["legendFormat"] = legend
    if table:
        found.update(format="table", instant=True)
    return found


def panel(kind, title, targets, x, y, w, h, description, **extra):
    found = {"type": kind, "title": title, "description": description,
             "datasource": DATASOURCE, "gridPos": {"x": x, "y": y, "w": w, "h": h},
             "targets": targets}
    found.update(extra)
    return found


def stat(title, expr, x, description, red=1):
    return panel("stat", title, [target(expr, "A")], x, 0, 4, 4, description, fieldConfig={
        "defaults": {"thresholds": {"mode": "absolute", "steps": [
            {"color": "green", "value": None}, {"color": "red", "value": red}]},
            "noValue": "0"}, "overrides": []},
        options={"colorMode": "background", "graphMode": "none", "reduceOptions": {
            "calcs": ["lastNotNull"], "fields": "", "values": False}})


def fleet_stats():
    state = metric("tgmon_state_generated_timestamp_seconds")
    status = "tgmon_check_status{check=\"tightgate\",%s}" % SELECT
    flag = "tgmon_flag_set{flag=\"%%s\",%s}" % SELECT
    by_name("tgmon_check_status")
    by_name("tgmon_flag_set")
    return [
        stat("Nodes", "count(%s)" % state, 0, "nodes whose state was read", red=1e9),
        stat("Nodes with a problem", "count(%s > 0) or vector(0)" % status, 4,
             "nodes check_tightgate would not call OK"),
        stat("Update locks", "sum(%s)" % (flag % "update_lock"), 8,
             "nodes whose update lock is set: in a cluster no node updates"),
        stat("Download failed", "sum(%s)" % (flag % "warn_flag"), 12,
             "nodes with the warn flag Update download failed"),
        stat("Reboots required", "sum(%s)" % (flag % "reboot_required"), 16,
             "nodes waiting for a reboot after a kernel update"),
        stat("Unreadable", "count(%s == 0) or vector(0)" % metric("tgmon_up", ""), 20,
             "scrape targets whose state cannot be read (tgmon_up 0)"),
    ]


def fleet_table():
    """One row per node: each check's status (a query each, merged by node), the
    installed release, releases behind, the state's age."""
    by_name("tgmon_check_status")
    checks = [d.short_name for d in NODE_CHECKS]
    targets = [target('max by (node, cluster) (tgmon_check_status{check="%s",%s})'
                      % (check, SELECT), check, table=True) for check in checks]
    targets += [target("max by (node, cluster, version) (%s)"
                       % metric("tgmon_release_installed_info"), "release", table=True),
                target("max by (node, cluster) (%s)" % metric("tgmon_releases_behind"),
                       "behind", table=True),
                target("time() - max by (node, cluster) (%s)"
                       % metric("tgmon_state_generated_timestamp_seconds"), "age", table=True)]
    overrides = [{"matcher": {"id": "byName", "options": "Value #%s" % check}, "properties": [
        {"id": "displayName", "value": check}, {"id": "mappings", "value": STATUS_MAPPINGS},
        {"id": "custom.cellOptions", "value": {"type": "color-background"}}]}
        for check in checks]
    overrides += [{"matcher": {"id": "byName", "options": "Value #behind"}, "properties": [
        {"id": "displayName", "value": "releases behind"}]},
        {"matcher": {"id": "byName", "options": "Value #age"}, "properties": [
            {"id": "displayName", "value": "state age"}, {"id": "unit", "value": "s"}]}]
    return panel("table", "Fleet", targets, 0, 4, 24, 10,
                 "every node: each check's status as its plugin says it, the installed "
                 "release, releases behind, how old its state is",
                 transformations=[
                     {"id": "merge", "options": {}},
                     {"id": "organize", "options": {"excludeByName": {
                         "Time": True, "Value #release": True}}}],
                 fieldConfig={"defaults": {}, "overrides": overrides})


def cluster_panel():
    running = metric("tgmon_update_running", 'role="cluster-node",%s' % SELECT)
    locked = "tgmon_flag_set{flag=\"update_lock\",role=\"cluster-node\",%s}" % SELECT
    most = metric("tgmon_cluster_max_parallel_updates")
    return panel("timeseries", "Per cluster: nodes updating and locked",
                 [target("sum by (cluster) (%s)" % running, "A", "{{cluster}} updating"),
                  target("sum by (cluster) (%s)" % locked, "B", "{{cluster}} locked"),
                  # the lowest, as check_cluster_updates and TgmonTooManyUpdating take it
                  target("min by (cluster) (%s)" % most, "C", "{{cluster}} max parallel")],
                 0, 14, 12, 8, "nodes of each cluster updating now and holding the update "
                 "lock (one halts the cluster), against the cluster's max_parallel_updates",
                 fieldConfig={"defaults": {"decimals": 0, "min": 0}, "overrides": []})


def skew_panels():
    installed = metric("tgmon_release_installed_info")
    behind = metric("tgmon_releases_behind")
    return [
        panel("bargauge", "Release skew: nodes per installed release",
              [target("count by (version) (%s)" % installed, "A", "{{version}}")],
              12, 14, 6, 8, "how many nodes run each release",
              fieldConfig={"defaults": {"decimals": 0, "min": 0}, "overrides": []}),
        panel("bargauge", "Releases behind, per cluster (worst node)",
              [target("max by (cluster) (%s)" % behind, "A", "{{cluster}}")],
              18, 14, 6, 8, "the most releases any node of the cluster is behind: 2 or more "
              "must catch up from oldstable",
              fieldConfig={"defaults": {"decimals": 0, "min": 0, "thresholds": {
                  "mode": "absolute", "steps": [{"color": "green", "value": None},
                                                {"color": "orange", "value": 1},
                                                {"color": "red", "value": 2}]}},
                  "overrides": []}),
    ]


def dashboard():
    panels = fleet_stats() + [fleet_table(), cluster_panel()] + skew_panels()
    for number, each in enumerate(panels, 1):
        each["id"] = number
    cluster_values = "label_values(%s, cluster)" % metric(
        "tgmon_state_generated_timestamp_seconds", "")
    return {
        "title": TITLE, "uid": UID, "tags": ["tgmon", "tightgate"], "editable": True,
        "schemaVersion": 38, "version": 1, "time": {"from": "now-24h", "to": "now"},
        "refresh": "1m", "timezone": "", "panels": panels, "annotations": {"list": []},
        "description": "TightGate-Pro update state from tgmon (docs/prometheus.rst)",
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus",
             "label": "Data source"},
            {"name": "cluster", "type": "query", "label": "Cluster", "datasource": DATASOURCE,
             "query": {"query": cluster_values, "refId": "cluster"}, "definition": cluster_values,
             "includeAll": True, "multi": True, "allValue": ".*", "refresh": 2,
             "current": {"selected": True, "text": "All", "value": "$__all"}}]},
    }

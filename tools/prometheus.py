"""Prometheus and Grafana files from the metric registry (tgmon/metrics/registry.py)
and the checks' declarations (tgmon/checks/registry.py).

    python tools/prometheus.py          rewrite them
    python tools/prometheus.py --check  exit 1 if one is out of date

Writes the metric list in docs/prometheus.rst (between '.. BEGIN METRICS' and
'.. END METRICS') and the alert rules prometheus/tgmon-rules.yml: one rule per
finding of every check of one node (its runbook anchor), on
tgmon_finding_status, the severity the value the judge gave (so a condition's is
its default severity), the texts from the check's declaration and its runbook
entry (docs/checks/), runbook_url pointing there; and the Grafana dashboard
grafana/tgmon-dashboard.json (tools/dashboard.py).
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tgmon.checks import cluster_updates  # noqa: E402
from tgmon.checks.runbook import anchor_url  # noqa: E402
from tgmon.checks import reachable  # noqa: E402
from tgmon.metrics.collect import MAX_AGE, NODE_CHECKS  # noqa: E402
from tgmon.metrics.registry import BASE_LABELS, METRICS  # noqa: E402
from tgmon.render.nagios import NOTIFICATION_SAFE  # noqa: E402
from tgmon.safeio.text import sanitize  # noqa: E402
from tgmon.verdict import STATUS_NAMES  # noqa: E402
from dashboard import dashboard  # noqa: E402
from generated import sync  # noqa: E402

DOC = os.path.join(ROOT, "docs", "prometheus.rst")
RULES = os.path.join(ROOT, "prometheus", "tgmon-rules.yml")
DASHBOARD = os.path.join(ROOT, "grafana", "tgmon-dashboard.json")
GROUP = "tgmon"
CLUSTER_GROUP = "tgmon-cluster"
# the node an alert is about; the scrape target when the state could not be read
# (a node name is any text of up to 128 characters: shown as letters, digits and
# harmless punctuation, at most 60 of them, so a summary stays notification-safe and
# within 160 characters)
NODE = ('{{ or $labels.node $labels.instance | reReplaceAll "[^\\\\pL\\\\pN ._:/@()+,;=-]" ""'
        ' | reReplaceAll "^(.{60}).+" "${1}..." }}')
# the judge's value as the severity label: a condition's default severity, or what
# an age or count threshold gave (WARNING or CRITICAL)
SEVERITY = ("{{ if eq $value 1.0 }}warning{{ else if eq $value 2.0 }}critical"
            "{{ else }}unknown{{ end }}")
# how long a finding must hold before its alert fires: as long as the Nagios sample's
# services take to turn HARD (3 attempts, retried every minute), so that what one
# scrape or one evaluation shows (a node counted updating twice across two scrapes,
# a state rewritten in place by hand) pages nobody
FOR = "2m"
# check_reachable's finding as the plugin would judge it now, also where the metrics
# cannot say it: a tgmon textfile that no timer rewrites any more keeps its last
# verdict (OK, say) while its state grows older than --max-age; a target that served
# tgmon_up within a day and no longer answers at all (its series are gone). Where the
# metrics have no node (a state that cannot be read, a target gone) the alert takes
# the node its target served last within a day, so that it keeps its labels and a
# silence on the node holds (a reboot in a planned window); else the target names it.
FINDING = 'tgmon_finding_status{check="%s",finding="%s"%s} > 0'
LAST_NODE = ("on (instance, job) group_left (node, cluster, role) (0 * topk by (instance, job)"
             " (1, last_over_time(tgmon_state_generated_timestamp_seconds[1d])) + 1)")
GONE = "(up == 0) * 0 + 2"


def unreachable_expr(check, finding):
    """TgmonUnreachable's expression (see above), its finding first."""
    unknown = FINDING % (check, finding, ',node=""')
    return " or ".join((
        FINDING % (check, finding, ',node!=""'),
        "(%s) * %s" % (unknown, LAST_NODE),
        "on (instance, job) %s" % unknown,
        "on (instance, job, node) (time() - tgmon_state_generated_timestamp_seconds > %d)"
        " * 0 + 2" % MAX_AGE,
        "on (instance, job) (%s) * %s" % (GONE, LAST_NODE),
        "on (instance, job) (%s and on (instance, job) max_over_time(tgmon_up[1d]))" % GONE))


# a rule id in a condition's words: "(R9)" or ", R8)" in "(..., R8)"
RULE_ID = re.compile(r"\s*\(R\d+\)|,\s*R\d+(?=\))")
METRICS_BLOCK = re.compile(r"^\.\. BEGIN METRICS\n.*?^\.\. END METRICS$", re.S | re.M)
ALERTS_BLOCK = re.compile(r"^\.\. BEGIN ALERTS\n.*?^\.\. END ALERTS$", re.S | re.M)


def metrics_list():
    """The definition list of every metric: name and labels, then its help."""
    lines = []
    for metric in METRICS:
        labels = (BASE_LABELS if metric.per_node else ()) + metric.labels
        lines.append("``%s%s``" % (metric.name, "{%s}" % ", ".join(labels) if labels else ""))
        lines.append("    %s: %s." % (metric.kind, metric.help))
    return "\n".join(lines) + "\n"


def alerts_table():
    """The table of the alert rules: name, finding, default severity."""
    rows = [("alert", "fires when (severity)")]
    cluster = [(cluster_updates.DEFINITION, c.name, runbook_entry(
        cluster_updates.DEFINITION.prog, c.name)[0]) for c, _ in CLUSTER_RULES]
    for definition, finding, title in findings() + cluster:
        default = {c.name: c.default for c in definition.conditions}.get(finding)
        rows.append(("``%s``" % alert_name(finding), "%s (%s)" % (
            title, STATUS_NAMES[default].lower() if default is not None
            else "by the check's threshold")))
    widths = [max(len(row[column]) for row in rows) for column in (0, 1)]
    rule = "  ".join("=" * width for width in widths)
    lines = [rule, "  ".join(c.ljust(w) for c, w in zip(rows[0], widths)).rstrip(), rule]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows[1:]]
    return "\n".join(lines + [rule]) + "\n"


def docs_page():
    with open(DOC, encoding="utf-8") as handle:
        text = handle.read()
    for block, name, make in ((METRICS_BLOCK, "METRICS", metrics_list),
                              (ALERTS_BLOCK, "ALERTS", alerts_table)):
        if not block.search(text):
            raise SystemExit("docs/prometheus.rst has no '.. BEGIN %s' / '.. END %s' block - "
                             "add an empty one where it belongs" % (name, name))
        made = ".. BEGIN %s\n\n%s\n.. END %s" % (name, make(), name)
        text = block.sub(lambda m, made=made: made, text)
    return text


def alert_name(finding):
    """'TgmonUpdateLock' for the finding update-lock."""
    return "Tgmon" + "".join(part.capitalize() for part in finding.split("-"))


def alert_text(text):
    """Annotation text as the checks word theirs: one line, no rule id, none of the
    characters a notification must not carry."""
    return sanitize(RULE_ID.sub("", text)).replace("``", "").translate(NOTIFICATION_SAFE)


def runbook_entry(prog, anchor):
    """(title, Do now) of a finding's runbook entry on its check's page."""
    with open(os.path.join(ROOT, "docs", "checks", prog + ".rst"), encoding="utf-8") as handle:
        page = handle.read()
    entry = re.search(r"^\.\. _%s:\n\n%s: ([^\n]+)\n~+\n(.*?)(?=^\.\. _|\Z)"
                      % (re.escape(anchor), re.escape(anchor)), page, re.S | re.M)
    if entry is None:
        raise SystemExit("docs/checks/%s.rst has no runbook entry %s - write it first "
                         "(HACKING.rst, Adding a check)" % (prog, anchor))
    do_now = re.search(r"^Do now\n((?:    .*\n)+)", entry.group(2), re.M)
    return entry.group(1), " ".join(do_now.group(1).split()) if do_now else ""


def findings():
    """(definition, finding, runbook title) of every finding of each check of one node."""
    return [(definition, finding, runbook_entry(definition.prog, finding)[0])
            for definition in NODE_CHECKS if definition.scope != "all-in-one"   # its aspects'
            for finding in definition.runbook_ids]


def rules():
    """Every alert rule: one per finding of each check of one node."""
    found, names = [], set()
    for definition, finding, title in findings():
        when = {c.name: c.when for c in definition.conditions}
        do_now = runbook_entry(definition.prog, finding)[1]
        name = alert_name(finding)
        if name in names:
            raise SystemExit("two findings make the alert %s: rename one" % name)
        names.add(name)
        expr = FINDING % (definition.short_name, finding, "")
        if (definition, finding) == (reachable.DEFINITION, reachable.UNREACHABLE.name):
            expr = unreachable_expr(definition.short_name, finding)
        found.append({
            "alert": name, "expr": expr, "for": FOR,
            "labels": {"severity": SEVERITY},
            "annotations": {
                "summary": "%s: %s" % (NODE, alert_text(title)),
                "description": alert_text("%s (%s): %s. Do now: %s" % (
                    definition.name, definition.prog, when.get(finding, title), do_now)),
                "runbook_url": anchor_url(None, definition.prog, finding)}})
    return found


# check_cluster_updates judges several nodes at once, which no exporter sees: its
# conditions that one query over the fleet can tell, as PromQL (the cluster check
# takes the lowest max_parallel_updates of the nodes, as min by does here). Its
# schedule-collision (weekly windows) and unreachable (each node's TgmonUnreachable)
# are left to the plugin. Like the plugin they count only the nodes whose state is
# judged now: a stale state's facts are still exported (its lock, its run that never
# ended), but the plugin counts such a node unreachable, not locked or updating.
JUDGED_NOW = (' and on (instance, job, node) tgmon_check_status{check="reachable"} == 0'
              ' and on (instance, job, node) time() - tgmon_state_generated_timestamp_seconds'
              ' <= %d' % MAX_AGE)
CLUSTER_RULES = (
    (cluster_updates.HALTED, 'count by (cluster) (tgmon_flag_set{flag="update_lock",'
                             'role="cluster-node"} == 1%s) > 0' % JUDGED_NOW),
    (cluster_updates.TOO_MANY, 'count by (cluster) (tgmon_update_running{role="cluster-node"} '
                               '== 1%s) > on (cluster) min by (cluster) '
                               '(tgmon_cluster_max_parallel_updates{role="cluster-node"}%s)'
                               % (JUDGED_NOW, JUDGED_NOW)),
)


def cluster_rules():
    """The cluster check's conditions one query can tell, per cluster, at their default
    severity."""
    definition = cluster_updates.DEFINITION
    found = []
    for condition, expr in CLUSTER_RULES:
        title, do_now = runbook_entry(definition.prog, condition.name)
        found.append({
            "alert": alert_name(condition.name), "expr": expr, "for": FOR,
            "labels": {"severity": STATUS_NAMES[condition.default].lower()},
            "annotations": {
                "summary": "{{ $labels.cluster }}: %s" % alert_text(title),
                "description": alert_text("%s (%s): %s. Do now: %s" % (
                    definition.name, definition.prog, condition.when, do_now)),
                "runbook_url": anchor_url(None, definition.prog, condition.name)}})
    return found


def rules_file():
    import yaml
    head = ("# Prometheus alert rules for tgmon: one per finding of the checks, as the plugins\n"
            "# judge (docs/prometheus.rst). Generated by make generate (tools/prometheus.py)\n"
            "# from tgmon's checks and runbooks: do not edit. runbook_url points at the\n"
            "# default docs URL (http://localhost/tgmon-docs): replace it with yours.\n")
    return head + yaml.safe_dump({"groups": [{"name": GROUP, "rules": rules()},
                                             {"name": CLUSTER_GROUP, "rules": cluster_rules()}]},
                                 sort_keys=False, width=1000, allow_unicode=True)


def dashboard_file():
    import json
    return json.dumps(dashboard(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv):
    return sync({DOC: docs_page(), RULES: rules_file(), DASHBOARD: dashboard_file()}, argv,
                "make generate")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

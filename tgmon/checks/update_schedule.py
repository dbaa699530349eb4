"""check_update_schedule: the scheduled download/update settings (R3, R4, R6, R15, R16)."""

from . import hints
from ..state.lifecycle import (MINIMUM_DOWNLOAD_LEAD, RECOMMENDED_DOWNLOAD_LEAD, download_lead,
                         download_length)
from .definition import CheckDefinition
from .words import weekly
from ..timeutil import describe_since, format_duration, short_time
from ..verdict import CRITICAL, OK, WARNING, Condition, Finding, Perf, Verdict, severity_of

SWITCHED_OFF = Condition("switched-off", CRITICAL,
                         "a failed download switched scheduled operation off (R6)")
SHORT_LEAD = Condition("download-timing", WARNING,
                       "the scheduled download starts less than 1 h before the update or may "
                       "still run when the update starts (R3)")
CLUSTER_LOCK = Condition("cluster-lock", WARNING,
                         'the "Cluster-wide update lock" is yes while scheduled updates are '
                         "active (R16)")
NOT_ALL_HOTFIXES = Condition("always-install-all-off", WARNING,
                             '"Always install all hotfixes" is no (R15)')

MINIMUM_LEAD = int(MINIMUM_DOWNLOAD_LEAD.total_seconds())
RECOMMENDED_LEAD = int(RECOMMENDED_DOWNLOAD_LEAD.total_seconds())


def judge(state, settings, now):
    schedule = state.schedule
    download, update = schedule.download, schedule.update
    findings = []
    off = schedule.disabled_by_failure
    if off is not None:
        findings.append(Finding(
            SWITCHED_OFF.name, severity_of(settings, SWITCHED_OFF.name),
            "schedule switched off since %s by a failed download" % short_time(off.since, now),
            ("switched off %s%s" % (describe_since(off.since, now),
                                    ": %s" % off.reason if off.reason else ""),
             "no update runs until the scheduled update is switched on again (%s) or an "
             "Auto-Update is started" % hints.SCHEDULED_UPDATE),
            "fix the download, remove the update lock, switch the schedule on",
            since=off.since))
    lead = download_lead(download, update) if download.active and update.active else 0
    notes = ()
    if download.active and update.active:
        if lead < MINIMUM_LEAD:
            findings.append(Finding(
                SHORT_LEAD.name, severity_of(settings, SHORT_LEAD.name),
                "download %s starts only %s before the update %s"
                % (weekly(download), format_duration(lead), weekly(update)),
                ("the vendor recommends starting the download %s before the update"
                 % format_duration(RECOMMENDED_LEAD),),
                "move it %s earlier %s" % (format_duration(RECOMMENDED_LEAD - lead),
                                          hints.SCHEDULED_UPDATE)))
        elif download.end is not None and download_length(download) >= lead:
            findings.append(Finding(
                SHORT_LEAD.name, severity_of(settings, SHORT_LEAD.name),
                "download may run until %s, past the update start %s"
                % (download.end, weekly(update)), (),
                "end it before the update %s" % hints.SCHEDULED_UPDATE))
        elif lead < RECOMMENDED_LEAD:
            notes = ("the download starts %s before the update; the vendor recommends %s"
                     % (format_duration(lead), format_duration(RECOMMENDED_LEAD)),)
    if update.active and state.cluster is not None and state.cluster.update_lock:
        findings.append(Finding(
            CLUSTER_LOCK.name, severity_of(settings, CLUSTER_LOCK.name),
            "Cluster-wide update lock is yes, the scheduled update %s will not run"
            % weekly(update), (), "set it to no in the cluster settings"))
    if not state.hotfixes.always_install_all:
        findings.append(Finding(
            NOT_ALL_HOTFIXES.name, severity_of(settings, NOT_ALL_HOTFIXES.name),
            "Always install all hotfixes is no, update runs skip unselected hotfixes", (),
            hints.ALWAYS_ALL_HOTFIXES))
    if not any(f.status != OK for f in findings):
        findings.append(Finding("schedule", OK, _describe(download, update, lead), notes))
    return Verdict(tuple(findings), (
        Perf("scheduled_update_active", 1 if update.active else 0, "", None, None, 0, 1),
        Perf("scheduled_download_active", 1 if download.active else 0, "", None, None, 0, 1),
        Perf("download_lead", lead, "s", "%d:" % MINIMUM_LEAD if lead else None, None, 0),
        Perf("switched_off_by_failure", 1 if off is not None else 0, "", None, 0, 0, 1),
    ))


def _describe(download, update, lead):
    if not update.active:
        return "no scheduled update, Auto-Update only"
    text = "scheduled update %s" % weekly(update)
    if download.active:
        text += ", download %s (%s before)" % (weekly(download), format_duration(lead))
    else:
        text += ", download 1h before it"
    return text


DEFINITION = CheckDefinition(
    name="SCHEDULE", prog="check_update_schedule",
    description="Checks the scheduled download and update settings of a TightGate-Pro node: "
                "switched off by a failed download (R6), download timing (R3), the "
                'cluster-wide update lock (R16) and "Always install all hotfixes" (R15).',
    judge=judge, conditions=(SWITCHED_OFF, SHORT_LEAD, CLUSTER_LOCK, NOT_ALL_HOTFIXES),
    notes="The scheduled download and update settings of the node: switched off by a "
          "failure, download timing, cluster-wide update lock, hotfix setting.")

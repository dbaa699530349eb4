"""check_versions: release state, the warn flag, skipped releases (R8, R17)."""

from . import hints
from ..state.freshness import known_since, since_detail, since_text
from ..state.lifecycle import OLDSTABLE_GAP
from ..state.model import releases_ahead
from .definition import CheckDefinition, Option
from ..timeutil import describe_since, format_duration
from ..verdict import (CRITICAL, OK, WARNING, Condition, Finding, Perf, Verdict, age_status,
                       severity_of)

WARN_FLAG = Condition("warn-flag", WARNING,
                      'the warn flag is set ("Update download failed", R8)')
SKIPPED_RELEASE = Condition("skipped-release", CRITICAL,
                            "two or more releases are not installed (R17)")
STALE_SERVER_CHECK = Condition(
    "stale-server-check", WARNING,
    "the update server has not been checked successfully within --check-age")

# a newer release not installed (--warning-age/--critical-age)
PENDING_RELEASE = "pending-release"


INSTALL_HINT = "install it: %s" % hints.AUTO_UPDATE

OPTIONS = (
    Option("--warning-age", "age", "7d", "WARNING when a newer release has been available"),
    Option("--critical-age", "age", "30d", "CRITICAL when a newer release has been available"),
    Option("--check-age", "age", "2d", "--stale-server-check-severity when the last "
           "successful update-server check is"),
)


def judge(state, settings, now):
    findings = []
    flag = state.flags.warn_flag
    if flag.is_set:
        findings.append(Finding(
            WARN_FLAG.name, severity_of(settings, WARN_FLAG.name),
            "Update download failed since %s" % since_text(flag.since, now),
            ("set %s" % since_detail(flag.since, now),) + flag.lines
            + ("the flag clears itself after a complete download",),
            "%s, then %s" % (hints.SERVER_ACCESS, hints.DOWNLOAD),
            since=known_since(flag.since, now)))

    installed = state.releases.installed
    ahead = releases_ahead(installed, state.releases.available)
    pending_age = max(0, (now - ahead[0].released).total_seconds()) if ahead else 0
    released = tuple("release %s released %s%s" % (
        r.version, describe_since(r.released, now), ", kernel update" if r.kernel_update else "")
        for r in ahead)
    if len(ahead) >= OLDSTABLE_GAP:
        findings.append(Finding(
            SKIPPED_RELEASE.name, severity_of(settings, SKIPPED_RELEASE.name),
            "%d releases behind, %s installed, %s newest" % (len(ahead), installed,
                                                              ahead[-1].version),
            released + ("skipping a release breaks later updates: catch up from oldstable",),
            hints.OLDSTABLE, since=ahead[OLDSTABLE_GAP - 1].released))
    elif ahead:
        release = ahead[0]
        text = "release %s available for %s, %s installed" % (
            release.version, format_duration(pending_age), installed)
        status, limit = age_status(pending_age, settings.warning_age, settings.critical_age)
        if limit is not None:
            text += ", longer than %s" % format_duration(limit)
        findings.append(Finding(PENDING_RELEASE, status, text,
                                released + ("or let the scheduled update install it",),
                                INSTALL_HINT if limit is not None else None,
                                since=release.released))
    else:
        findings.append(Finding(PENDING_RELEASE, OK,
                                "release %s installed, up to date" % installed))

    last_check = state.update_server.last_successful_check
    if last_check is None:
        # never checked: no check for as long as the release is installed, if that is known
        installed_at = state.releases.installed_at
        check_age = (now - installed_at).total_seconds() if installed_at else None
        findings.append(Finding(
            STALE_SERVER_CHECK.name, severity_of(settings, STALE_SERVER_CHECK.name),
            "update server never checked successfully", (), hints.SERVER_ACCESS))
    else:
        check_age = (now - last_check).total_seconds()
        if check_age > settings.check_age:
            findings.append(Finding(
                STALE_SERVER_CHECK.name, severity_of(settings, STALE_SERVER_CHECK.name),
                "no successful update-server check for %s, limit %s"
                % (format_duration(check_age), format_duration(settings.check_age)),
                ("last successful check %s" % describe_since(last_check, now),),
                hints.SERVER_ACCESS, since=last_check))
        else:
            findings.append(Finding(STALE_SERVER_CHECK.name, OK,
                                    "update server checked %s ago"
                                    % format_duration(check_age)))

    perfdata = (
        Perf("releases_behind", len(ahead), "", None, 1, 0),
        Perf("pending_release_age", int(pending_age), "s",
             int(settings.warning_age), int(settings.critical_age), 0),
        Perf("warn_flag", 1 if flag.is_set else 0, "", None, None, 0, 1),
    )
    if check_age is not None:   # an unknown age is left out: 0 would read as just checked
        perfdata += (Perf("last_check_age", int(max(0, check_age)), "s", int(settings.check_age),
                          None, 0),)
    return Verdict(tuple(findings), perfdata)


DEFINITION = CheckDefinition(
    name="VERSIONS", prog="check_versions",
    description="Checks the release state of a TightGate-Pro node: the warn flag "
                '("Update download failed"), releases available but not installed, '
                "skipped releases and the last update-server check.",
    judge=judge, options=OPTIONS, conditions=(WARN_FLAG, SKIPPED_RELEASE, STALE_SERVER_CHECK),
    findings=(PENDING_RELEASE,),
    notes="Release state of the node: the warn flag Update download failed, releases "
          "offered but not installed or skipped, and the last update-server check.")


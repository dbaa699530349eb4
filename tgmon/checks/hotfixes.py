"""check_hotfixes: hotfixes available but not installed (R15)."""

from . import hints
from .definition import CheckDefinition, Option
from ..timeutil import describe_since, format_duration
from ..verdict import CRITICAL, OK, WARNING, Finding, Perf, Verdict, age_status

# pending hotfixes against -w/-c, the oldest one's age against --warning/critical-age
PENDING_COUNT = "pending-count"
PENDING_AGE = "pending-age"
INSTALL_HINT = "install: %s, then start Auto-Update" % hints.AVAILABLE_HOTFIXES

OPTIONS = (
    Option("--warning", "range", "0", "WARNING when the number of pending hotfixes is outside "
           "this Nagios range; hotfixes are announced only through monitoring (R15), so by "
           "default the first pending one warns", short="-w"),
    Option("--critical", "range", None, "CRITICAL when the number of pending hotfixes is "
           "outside this Nagios range", short="-c"),
    Option("--warning-age", "age", "7d", "WARNING when the oldest pending hotfix has been out"),
    Option("--critical-age", "age", "30d", "CRITICAL when the oldest pending hotfix has been out"),
)


def judge(state, settings, now):
    pending = sorted(state.hotfixes.available, key=lambda h: h.released)
    count = len(pending)
    oldest_age = max(0, int((now - pending[0].released).total_seconds())) if pending else 0
    findings = []
    details = tuple("%s %s, released %s" % (h.id, h.title, describe_since(h.released, now))
                    for h in pending)
    if not state.hotfixes.always_install_all:
        details += ("Always install all hotfixes is no: an update run installs only the "
                    "hotfixes selected in Available hotfixes",)
    if count:
        what = "%d hotfix%s pending: %s" % (count, "es" if count > 1 else "",
                                          ", ".join(h.id for h in pending[:3])
                                          + (", ..." if count > 3 else ""))
        if settings.critical is not None and not settings.critical.match(count):
            status = CRITICAL
        elif settings.warning is not None and not settings.warning.match(count):
            status = WARNING
        else:
            status = OK
        oldest = pending[0]
        findings.append(Finding(PENDING_COUNT, status, what, details,
                                INSTALL_HINT if status else None, since=oldest.released))
        status, limit = age_status(oldest_age, settings.warning_age, settings.critical_age)
        if limit is not None:
            findings.append(Finding(PENDING_AGE, status, "hotfix %s pending for %s, longer than %s"
                                    % (oldest.id, format_duration(oldest_age),
                                       format_duration(limit)),
                                    (), INSTALL_HINT, since=oldest.released))
    else:
        findings.append(Finding(PENDING_COUNT, OK, "no hotfixes pending", details))
    return Verdict(tuple(findings), (
        Perf("hotfixes_pending", count, "", _range(settings.warning), _range(settings.critical),
             0),
        Perf("hotfix_oldest_age", oldest_age, "s", int(settings.warning_age),
             int(settings.critical_age), 0),
        Perf("hotfixes_installed", len(state.hotfixes.installed), "", None, None, 0),
    ))


def _range(value):
    return str(value) if value is not None else None


DEFINITION = CheckDefinition(
    name="HOTFIXES", prog="check_hotfixes",
    description="Checks the hotfixes a TightGate-Pro node has not installed. Hotfixes (new "
                "browser versions, small fixes) are announced only through monitoring (R15).",
    judge=judge, options=OPTIONS, findings=(PENDING_COUNT, PENDING_AGE),
    notes="Hotfixes the node has not installed: they are announced only through monitoring.")

"""check_hotfixes: hotfixes available but not installed (R15)."""

from . import hints
from ..options import add_age_option, nagios_range
from .definition import CheckDefinition
from ..timeutil import describe_since, format_duration
from ..verdict import CRITICAL, OK, WARNING, Finding, Perf, Verdict, age_status

# Hotfixes are announced only through monitoring (R15): the first pending one warns.
DEFAULT_WARNING = "0"
DEFAULT_WARNING_AGE = "7d"
DEFAULT_CRITICAL_AGE = "30d"
# pending hotfixes against -w/-c, the oldest one's age against --warning/critical-age
PENDING_COUNT = "pending-count"
PENDING_AGE = "pending-age"
INSTALL_HINT = "install: %s, then start Auto-Update" % hints.AVAILABLE_HOTFIXES


def add_arguments(group):
    group.add_argument("-w", "--warning", type=nagios_range, default=DEFAULT_WARNING,
                       metavar="RANGE",
                       help="WARNING when the number of pending hotfixes is outside this "
                            "Nagios range (default: %s, i.e. the first pending hotfix warns: "
                            "hotfixes are announced only through monitoring)" % DEFAULT_WARNING)
    group.add_argument("-c", "--critical", type=nagios_range, default=None, metavar="RANGE",
                       help="CRITICAL when the number of pending hotfixes is outside this "
                            "Nagios range (default: none)")
    add_age_option(group, "--warning-age", DEFAULT_WARNING_AGE,
                   "WARNING when the oldest pending hotfix has been out")
    add_age_option(group, "--critical-age", DEFAULT_CRITICAL_AGE,
                   "CRITICAL when the oldest pending hotfix has been out")


def judge(state, opts, now):
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
        if opts.critical is not None and not opts.critical.match(count):
            status = CRITICAL
        elif opts.warning is not None and not opts.warning.match(count):
            status = WARNING
        else:
            status = OK
        findings.append(Finding(PENDING_COUNT, status, what, details,
                                INSTALL_HINT if status else None))
        oldest = pending[0]
        status, limit = age_status(oldest_age, opts.warning_age, opts.critical_age)
        if limit is not None:
            findings.append(Finding(PENDING_AGE, status, "hotfix %s pending for %s, longer than %s"
                                    % (oldest.id, format_duration(oldest_age),
                                       format_duration(limit)),
                                    (), INSTALL_HINT))
    else:
        findings.append(Finding(PENDING_COUNT, OK, "no hotfixes pending", details))
    return Verdict(tuple(findings), (
        Perf("hotfixes_pending", count, "", _range(opts.warning), _range(opts.critical), 0),
        Perf("hotfix_oldest_age", oldest_age, "s", int(opts.warning_age),
             int(opts.critical_age), 0),
        Perf("hotfixes_installed", len(state.hotfixes.installed), "", None, None, 0),
    ))


def _range(value):
    return str(value) if value is not None else None


DEFINITION = CheckDefinition(
    name="HOTFIXES", prog="check_hotfixes",
    description="Checks the hotfixes a TightGate-Pro node has not installed. Hotfixes (new "
                "browser versions, small fixes) are announced only through monitoring (R15).",
    judge=judge, add_arguments=add_arguments, findings=(PENDING_COUNT, PENDING_AGE),
    notes="Hotfixes the node has not installed: they are announced only through monitoring.")


main = DEFINITION.main

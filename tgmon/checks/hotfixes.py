"""check_hotfixes: hotfixes available but not installed (R15)."""

from . import hints
from ..runtime.options import add_age_option, nagios_range
from .definition import CheckDefinition
from ..timeutil import describe_since, format_duration
from ..verdict import CRITICAL, OK, WARNING, Finding, Perf, Verdict, age_status

DEFAULT_WARNING = "1"
DEFAULT_WARNING_AGE = "7d"
DEFAULT_CRITICAL_AGE = "30d"


def add_arguments(group):
    group.add_argument("-w", "--warning", type=nagios_range, default=DEFAULT_WARNING,
                       metavar="RANGE",
                       help="WARNING when the number of pending hotfixes is outside this "
                            "Nagios range (default: %s, i.e. more than one)" % DEFAULT_WARNING)
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
        details += ('"Always install all hotfixes" = no: only hotfixes selected in %s are '
                    "installed by an update run" % hints.AVAILABLE_HOTFIXES,)
    if count:
        what = "%d hotfix%s pending (%s)" % (count, "es" if count > 1 else "",
                                            ", ".join(h.id for h in pending[:5])
                                            + (", ..." if count > 5 else ""))
        todo = "install: %s, then %s or the next scheduled update" % (
            hints.AVAILABLE_HOTFIXES, hints.AUTO_UPDATE)
        if opts.critical is not None and not opts.critical.match(count):
            status = CRITICAL
        elif opts.warning is not None and not opts.warning.match(count):
            status = WARNING
        else:
            status = OK
        findings.append(Finding("pending-count", status, "%s - %s" % (what, todo)
                                if status else what, details))
        oldest = pending[0]
        age_text = "oldest pending hotfix %s released %s" % (
            oldest.id, describe_since(oldest.released, now))
        status, limit = age_status(oldest_age, opts.warning_age, opts.critical_age)
        if limit is not None:
            findings.append(Finding("pending-age", status, "%s, longer than %s - %s"
                                    % (age_text, format_duration(limit), todo)))
    else:
        findings.append(Finding("pending-count", OK, "no hotfixes pending", details))
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
    judge=judge, add_arguments=add_arguments)


main = DEFINITION.main

"""check_reboot_required: a kernel update installed by Auto-Update waits for a reboot (R13)."""

from . import hints
from ..runtime.options import add_age_option
from .definition import CheckDefinition
from ..timeutil import describe_since, format_duration
from ..verdict import CRITICAL, OK, WARNING, Condition, Finding, Perf, Verdict, severity_of

REBOOT_REQUIRED = Condition("reboot-required", WARNING, "a reboot is required (R13)")
DEFAULT_CRITICAL_AGE = "24h"


def add_arguments(group):
    add_age_option(group, "--critical-age", DEFAULT_CRITICAL_AGE,
                   "CRITICAL when the reboot has been pending")


def judge(state, opts, now):
    marker = state.flags.reboot_required
    age = int(max(0, (now - marker.since).total_seconds())) if marker.is_set else 0
    if not marker.is_set:
        finding = Finding(REBOOT_REQUIRED.name, OK, "no reboot required")
    else:
        packages = marker.lines
        what = "reboot required since %s%s" % (
            describe_since(marker.since, now),
            " for %s" % ", ".join(packages[:3]) + (" and %d more" % (len(packages) - 3)
                                                   if len(packages) > 3 else "")
            if packages else "")
        if age >= opts.critical_age:
            finding = Finding("reboot-overdue", CRITICAL, "%s, longer than %s - %s" % (
                what, format_duration(opts.critical_age), hints.REBOOT), packages)
        else:
            finding = Finding(REBOOT_REQUIRED.name, severity_of(opts, REBOOT_REQUIRED.name),
                              "%s - %s; the new kernel runs only after it" % (what, hints.REBOOT),
                              packages)
    return Verdict((finding,), (
        Perf("reboot_required", 1 if marker.is_set else 0, "", None, None, 0, 1),
        Perf("reboot_pending_age", age, "s", None, int(opts.critical_age), 0),
    ))


DEFINITION = CheckDefinition(
    name="REBOOT", prog="check_reboot_required",
    description="Checks whether a TightGate-Pro node waits for a reboot: an Auto-Update that "
                "installed a kernel update does not reboot by itself (R13).",
    judge=judge, add_arguments=add_arguments, conditions=(REBOOT_REQUIRED,))


main = DEFINITION.main

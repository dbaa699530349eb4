"""check_reboot_required: a kernel update installed by Auto-Update waits for a reboot (R13)."""

from . import hints
from ..state.freshness import known_age, known_since, since_detail, since_text
from .definition import CheckDefinition, Option
from ..timeutil import format_duration
from ..verdict import CRITICAL, OK, WARNING, Condition, Finding, Perf, Verdict, severity_of

REBOOT_REQUIRED = Condition("reboot-required", WARNING, "a reboot is required (R13)")
# the reboot pending longer than --critical-age
REBOOT_OVERDUE = "reboot-overdue"
OPTIONS = (
    Option("--critical-age", "age", "24h", "CRITICAL when the reboot has been pending"),
)


def judge(state, settings, now):
    marker = state.flags.reboot_required
    age = known_age(marker.since, now) if marker.is_set else 0
    if not marker.is_set:
        finding = Finding(REBOOT_REQUIRED.name, OK, "no reboot required")
    else:
        details = ("requested %s" % since_detail(marker.since, now),) + tuple(
            "package: %s" % package for package in marker.lines)
        if age is None or age >= settings.critical_age:   # an unknown age may be any age
            text = ("reboot required since %s" % since_text(marker.since, now) if age is None
                    else "reboot required for %s, longer than %s"
                    % (format_duration(age), format_duration(settings.critical_age)))
            finding = Finding(REBOOT_OVERDUE, CRITICAL, text, details, hints.REBOOT,
                              since=known_since(marker.since, now))
        else:
            finding = Finding(REBOOT_REQUIRED.name, severity_of(settings, REBOOT_REQUIRED.name),
                              "reboot required since %s, the new kernel runs only after it"
                              % since_text(marker.since, now), details, hints.REBOOT,
                              since=known_since(marker.since, now))
    perfdata = (Perf("reboot_required", 1 if marker.is_set else 0, "", None, None, 0, 1),)
    if age is not None:   # an unknown age is left out, never shown as 0
        perfdata += (Perf("reboot_pending_age", age, "s", None, int(settings.critical_age), 0),)
    return Verdict((finding,), perfdata)


DEFINITION = CheckDefinition(
    name="REBOOT", prog="check_reboot_required",
    description="Checks whether a TightGate-Pro node waits for a reboot: an Auto-Update that "
                "installed a kernel update does not reboot by itself (R13).",
    judge=judge, options=OPTIONS, conditions=(REBOOT_REQUIRED,), findings=(REBOOT_OVERDUE,),
    notes="Whether the node waits for a reboot after an Auto-Update installed a new kernel.")

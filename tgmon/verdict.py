"""What a check's judgement returns: findings and perfdata, nothing printed.

Pure data, no nagiosplugin import, so the simulator's timeline can call the
very same judge functions the plugins use. "status" here is the Nagios
status (OK ... UNKNOWN, exit codes 0-3); "state" is always the appliance's.
"""

from .model import record

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATUS_NAMES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
SEVERITY_CHOICES = ("ok", "warning", "critical", "unknown")

# condition: stable id (also the --<condition>-severity option name);
# text: the alert sentence (what is wrong, since when, what to do).
Finding = record("Finding", "condition status text details", ((),))
Perf = record("Perf", "label value uom warn crit min max", ("", None, None, None, None))
# summary: first-line text when the judge words it itself (else built from findings)
Verdict = record("Verdict", "findings perfdata summary", (None,))
# A discrete condition whose status the admin may change with a severity option.
Condition = record("Condition", "name default when")


def age_status(age, warning=None, critical=None):
    """(status, the limit it passed) for an age against optional age thresholds."""
    if critical is not None and age >= critical:
        return CRITICAL, critical
    if warning is not None and age >= warning:
        return WARNING, warning
    return OK, None


def worst_status(findings):
    return max((f.status for f in findings), default=UNKNOWN)


def status_name(status):
    return STATUS_NAMES[status]


def problems_first(findings):
    """Non-OK findings, worst first, in the order the judge listed them."""
    bad = [f for f in findings if f.status != OK]
    return sorted(bad, key=lambda f: -f.status)


def severity_of(opts, condition):
    """The status an admin chose for a condition (``--<condition>-severity``)."""
    return getattr(opts, condition.replace("-", "_") + "_severity")


def summary_line(verdict):
    """First-line text: the worst findings first; all OK texts when all is OK."""
    if verdict.summary:
        return verdict.summary
    problems = problems_first(verdict.findings)
    chosen = problems or [f for f in verdict.findings if f.status == OK]
    return "; ".join(f.text for f in chosen)

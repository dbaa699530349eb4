"""What a check's judgement returns: findings and perfdata, nothing printed.

Pure data, no nagiosplugin import, so the simulator's timeline can call the
very same judge functions the plugins use.
"""

from .model import record

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATE_NAMES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
SEVERITY_CHOICES = ("ok", "warning", "critical", "unknown")

# condition: stable id (also the --<condition>-severity option name);
# text: the alert sentence (what is wrong, since when, what to do).
Finding = record("Finding", "condition state text details", ((),))
Perf = record("Perf", "label value uom warn crit min max", ("", None, None, None, None))
# summary: first-line text when the judge words it itself (else built from findings)
Verdict = record("Verdict", "findings perfdata summary", (None,))
# A discrete condition whose state the admin may change with a severity option.
Condition = record("Condition", "name default when")


def age_state(age, warning=None, critical=None):
    """(state, the limit it passed) for an age against optional age thresholds."""
    if critical is not None and age >= critical:
        return CRITICAL, critical
    if warning is not None and age >= warning:
        return WARNING, warning
    return OK, None


def worst_state(findings):
    return max((f.state for f in findings), default=UNKNOWN)


def state_name(state):
    return STATE_NAMES[state]


def problems_first(findings):
    """Non-OK findings, worst first, in the order the judge listed them."""
    bad = [f for f in findings if f.state != OK]
    return sorted(bad, key=lambda f: -f.state)


def severity_of(opts, condition):
    """The state an admin chose for a condition (``--<condition>-severity``)."""
    return getattr(opts, condition.replace("-", "_") + "_severity")


def summary_line(verdict):
    """First-line text: the worst findings first; all OK texts when all is OK."""
    if verdict.summary:
        return verdict.summary
    problems = problems_first(verdict.findings)
    chosen = problems or [f for f in verdict.findings if f.state == OK]
    return "; ".join(f.text for f in chosen)

"""What a check's judgement returns: findings and perfdata, nothing printed.

Pure data, no nagiosplugin import, so the simulator's timeline can call the
very same judge functions the plugins use. "status" here is the Nagios
status (OK ... UNKNOWN, exit codes 0-3); "state" is always the appliance's.
"""

import re

from .state.model import record

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATUS_NAMES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
SEVERITY_CHOICES = ("ok", "warning", "critical", "unknown")

# condition: stable id (also the --<condition>-severity option name);
# text: what is wrong and since when, short (it leads the alert line);
# details: the long output's lines; action: the one next step, or None;
# page: the plugin whose runbook explains it, when not the judging one (check_tightgate's
# aspects); the runbook's anchor is the condition (tgmon/checks/runbook.py);
# since: when the condition began (an aware datetime), None when not known;
# node: the node it concerns when the check judges several (the cluster check).
Finding = record("Finding", "condition status text details action page since node",
                 ((), None, None, None, None))
Perf = record("Perf", "label value uom warn crit min max", ("", None, None, None, None))
# summary: first-line text when the judge words it itself (else built from findings),
# or (text, tail) when the tail (the next step) must survive a cut;
# status: the overall status when the judge decides it (else the worst finding's).
Verdict = record("Verdict", "findings perfdata summary status", (None, None))
# A discrete condition whose status the admin may change with a severity option.
Condition = record("Condition", "name default when")

# The first line of a plugin's output, "NAME STATUS - text", is what a pager,
# an SMS or a chat notification shows: at most this long.
MAX_FIRST_LINE = 160


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


def line_of(finding):
    """'what is wrong - what to do' of one finding."""
    return "%s - %s" % (finding.text, finding.action) if finding.action else finding.text


def summary_line(verdict, budget=None):
    """The first line's text: the worst finding and its next step, with a count of the
    other problems; all OK texts when all is OK. Within ``budget`` characters, the
    "what" is shortened before the next step is."""
    if verdict.summary:
        text, tail = (verdict.summary if isinstance(verdict.summary, tuple)
                      else (verdict.summary, ""))
        return fit(text, tail, budget)
    problems = problems_first(verdict.findings)
    if not problems:
        return fit(", ".join(f.text for f in verdict.findings if f.status == OK), "", budget)
    first = problems[0]
    more = " (+%d more)" % (len(problems) - 1) if len(problems) > 1 else ""
    return fit(first.text, more + (" - %s" % first.action if first.action else ""), budget)


def fit(text, tail, budget):
    """``text`` + ``tail``, cutting ``text`` (never the tail's words) to stay within
    ``budget``: first the middle of long words (paths, URLs), then the tail's asides
    in parentheses (examples the long output keeps), then the end of ``text`` - so a
    "since" near its end is cut last."""
    if budget is None or len(text) + len(tail) <= budget:
        return text + tail
    text = " ".join(_elide(word) for word in text.split(" "))
    tail = " ".join(_elide(word) for word in tail.split(" "))
    if len(text) + len(tail) <= budget:
        return text + tail
    tail = _ASIDE.sub("", tail)
    if len(text) + len(tail) <= budget:
        return text + tail
    room = max(20, budget - len(tail) - 3)
    cut = text[:room]
    if " " in cut[room // 2:]:      # at a word's end
        cut = cut[:cut.rindex(" ")]
    line = cut.rstrip(" ,:-") + "..." + tail
    return line if len(line) <= budget else line[:budget - 3] + "..."


# ' (proxy, firewall, DNS)' in a next step; never the count ' (+2 more)'
_ASIDE = re.compile(r" \((?!\+)[^()]*\)")


def _elide(word, width=40):
    """'/tmp/pytest/.../state/status.json': the start and the end of a long word."""
    if len(word) <= width:
        return word
    return word[:12] + "..." + word[-(width - 15):]


def clip(text, length=40):
    """A free text from the state (a reason, a name) short enough for an alert line."""
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[:length - 3].rstrip() + "..."


def overall_status(verdict):
    return verdict.status if verdict.status is not None else worst_status(verdict.findings)

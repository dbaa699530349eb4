"""check_tightgate: every single-node check from one read, in one process.

Each check (an *aspect* of the node here) keeps its options under a prefix
naming it (``--hotfixes-warning``, ``--versions-warn-flag-severity``); the
worst state wins; the long output has one line per aspect. The registry
composes it from its list of single-node checks.
"""

from functools import partial

from .definition import CheckDefinition
from ..verdict import (OK, Finding, Verdict, line_of, problems_first, status_name, summary_line,
                       worst_status)


def judge(aspects, state, settings, now):
    """Each aspect judged with its own settings (``settings.<aspect's short name>``)."""
    findings, perfdata = [], []
    for definition in aspects:
        verdict = definition.judge(state, getattr(settings, definition.short_name), now)
        problems = problems_first(verdict.findings)
        ordered = problems + [f for f in verdict.findings if f.status == OK]
        lead = ordered[0]
        # the lead finding's details, then the aspect's other findings
        lines = list(lead.details)
        for finding in ordered[1:]:
            lines.append("%s %s" % (status_name(finding.status), line_of(finding)))
            if finding.status != OK:
                lines.extend(finding.details)
        if problems:
            # the aspect's own finding, explained in its check's runbook
            findings.append(Finding(lead.condition, lead.status,
                                    "%s: %s" % (definition.name, lead.text), tuple(lines),
                                    lead.action, definition.prog, lead.since, lead.node))
        else:
            findings.append(Finding(definition.name, worst_status(verdict.findings),
                                    "%s: %s" % (definition.name, summary_line(verdict)),
                                    tuple(lines), None, definition.prog))
        perfdata.extend(verdict.perfdata)
    summary = None
    if not problems_first(findings):
        summary = "%s: all %d aspects OK (%s)" % (
            state.node.name, len(findings), ", ".join(d.name for d in aspects))
    return Verdict(tuple(findings), tuple(perfdata), summary)


def compose(aspects):
    """The all-in-one check of these single-node checks."""
    # the aspects in words, as the notes and --help name them: "update lock", not UPDATE_LOCK
    named = ", ".join(d.name.lower().replace("_", " ") for d in aspects)
    return CheckDefinition(
        name="TIGHTGATE", prog="check_tightgate",
        description="Runs every single-node check of tgmon (%s) from one read of the state in "
                    "one process. The worst state wins; the long output has one line per "
                    "aspect. Each check's options are here with the check's name in front "
                    "(e.g. --hotfixes-warning)." % named,
        judge=partial(judge, aspects), scope="all-in-one", aspects=aspects, always_long=True,
        notes="Every update aspect of the node in one service: %s." % named)

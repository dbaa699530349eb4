"""The plugin process: a check's declaration run as a plugin.

``evaluate`` (here) is the one way to a status, used by the plugin and by the
simulator's timeline alike: it judges in the node's own UTC offset (alert
times read as its local time), decides the exit code, and words the first
line and the long output; a renderer (``tgmon.render``) only formats the
``Result``. Here rather than in a module of its own: the plugin imports this
package anyway, and every module is a share of a plugin's start.

    plugin.py     run() and main(): options, the state the check's scope names (under
                  -t), evaluate, render; every failure one UNKNOWN line
    configure.py  --config applied to a plugin's options; the catalogue of commands
"""

from ..checks.runbook import finding_url, runbook_lines
from ..render.nagios import first_line_budget
from ..state.model import record
from ..verdict import (OK, UNKNOWN, fit, line_of, overall_status, problems_first, status_name,
                       summary_line)

# code: the exit code 0-3; summary: the first line's text after "NAME STATUS - ",
# within its budget; details: the long output's lines; perfdata: Perf records;
# verdict: the judge's, or None when the check could not judge (an error).
# What formats other than Nagios text show too: node: the node's name (None for
# a cluster or a state not read); generated: the state's; runbooks: each
# finding's runbook link (None for an OK one); error: (cause, fix) when the check
# could not judge; parts: (aspect, its Result) of an all-in-one check, when asked.
Result = record("Result", "code summary details perfdata verdict node generated runbooks "
                "error parts", ((), (), None, None, None, (), None, ()))


def evaluate(definition, state, settings, now, verbose=0, runbook_url=None, parts=False):
    """The Result of ``definition`` judging ``state`` (a State or ClusterView) at ``now``;
    a result that is not OK ends its long output with the worst finding's runbook link
    (``runbook_url``: the docs' base URL, None for the default). ``parts``: an
    all-in-one check's Result holds each aspect's own (a Checkmk service each)."""
    # a cluster none of whose nodes could be read has no offset
    if state.generated is not None:
        now = now.astimezone(state.generated.tzinfo)
    verdict = definition.judge(state, settings, now)
    code = overall_status(verdict)
    summary = summary_line(verdict, first_line_budget(definition.name, status_name(code)))
    details = long_lines(verdict, verbose, state, definition.always_long, code)
    # last, so mails and chat messages that carry the long output carry the link
    details += runbook_lines(definition, verdict, code, runbook_url)
    node = getattr(state, "node", None)
    runbooks = tuple(finding_url(definition, finding, runbook_url)
                     for finding in verdict.findings)
    aspects = ()
    if parts:
        aspects = tuple((aspect, evaluate(aspect, state, getattr(settings, aspect.short_name),
                                          now, verbose, runbook_url))
                        for aspect in definition.aspects)
    return Result(code, summary, tuple(details), tuple(verdict.perfdata), verdict,
                  node.name if node is not None else None, state.generated, runbooks, None,
                  aspects)


def failure_result(definition, cause, fix=None):
    """The UNKNOWN Result of a check that could not judge: one line, the cause and the
    fix; a long cause is cut, never the fix (the plugin's and the pusher's alike)."""
    budget = first_line_budget(definition.name, status_name(UNKNOWN))
    return Result(UNKNOWN, fit(cause, " - " + fix, budget) if fix else fit(cause, "", budget),
                  error=(cause, fix))


def long_lines(verdict, verbose, state=None, always=False, status=OK):
    """The long output: every finding with its next step and details whenever the
    result is not OK (Icinga Web and mails show it); for OK results with -v (or
    always for the all-in-one check); -vv adds where the state came from."""
    lines = []
    if status != OK or verbose >= 1 or always:
        problems = problems_first(verdict.findings)
        for finding in problems + [f for f in verdict.findings if f.status == OK]:
            lines.append("[%s] %s" % (status_name(finding.status), line_of(finding)))
            if finding.status != OK or verbose >= 1:
                lines.extend("    %s" % detail for detail in finding.details)
    if verbose >= 2 and state is not None and state.generated is not None:
        lines.append("source: %s (generated %s)" % (getattr(state, "origin", "?"),
                                                    state.generated.isoformat()))
    return lines

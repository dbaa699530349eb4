"""check_tightgate: every single-node check from one read, in one process.

Each check's options keep their meaning under a prefix naming the check
(``--hotfixes-warning``, ``--versions-warn-flag-severity``); the worst state
wins; the long output has one line per aspect.
"""

import argparse

from ..options import add_severity_options
from .definition import CheckDefinition
from ..verdict import (OK, Finding, Verdict, line_of, problems_first, status_name, summary_line,
                       worst_status)
from .registry import SINGLE_NODE_CHECKS


def aspect_prefix(definition):
    """'hotfixes', 'reboot-required': the prefix of an aspect's options."""
    return definition.short_name.replace("_", "-")


class _PrefixedGroup:
    """An argument group that adds a check's long options under its prefix."""

    def __init__(self, group, prefix):
        self.group = group
        self.prefix = prefix

    def add_argument(self, *flags, **kwargs):
        long_name = next(f for f in flags if f.startswith("--"))[2:]
        kwargs["dest"] = ("%s_%s" % (self.prefix, kwargs.get("dest", long_name))).replace("-", "_")
        return self.group.add_argument("--%s-%s" % (self.prefix, long_name), **kwargs)


def add_arguments(group):
    for definition in SINGLE_NODE_CHECKS:
        prefixed = _PrefixedGroup(group, aspect_prefix(definition))
        definition.add_arguments(prefixed)
        add_severity_options(prefixed, definition.conditions)


def options_for(definition, opts):
    """The options of one check, un-prefixed, as if it ran on its own."""
    head = aspect_prefix(definition).replace("-", "_") + "_"
    values = {k[len(head):]: v for k, v in vars(opts).items() if k.startswith(head)}
    values.update({k: getattr(opts, k) for k in ("verbose", "timeout", "max_age")})
    return argparse.Namespace(**values)


def judge(state, opts, now):
    findings, perfdata = [], []
    for definition in SINGLE_NODE_CHECKS:
        verdict = definition.judge(state, options_for(definition, opts), now)
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
                                    lead.action, definition.prog))
        else:
            findings.append(Finding(definition.name, worst_status(verdict.findings),
                                    "%s: %s" % (definition.name, summary_line(verdict)),
                                    tuple(lines)))
        perfdata.extend(verdict.perfdata)
    summary = None
    if not problems_first(findings):
        summary = "%s: all %d aspects OK (%s)" % (
            state.node.name, len(findings), ", ".join(d.name for d in SINGLE_NODE_CHECKS))
    return Verdict(tuple(findings), tuple(perfdata), summary)


DEFINITION = CheckDefinition(
    name="TIGHTGATE", prog="check_tightgate",
    description="Runs every single-node check of tgmon (versions, update lock, hotfixes, "
                "reboot, maintenance, schedule) from one read of the state in one process. "
                "The worst state wins; the long output has one line per aspect. Each check's "
                "options are here with the check's name in front (e.g. --hotfixes-warning).",
    judge=judge, add_arguments=add_arguments, always_long=True, scope="all-in-one",
    notes="Every update aspect of the node in one service: versions, update lock, "
          "hotfixes, reboot, maintenance, schedule.")


main = DEFINITION.main

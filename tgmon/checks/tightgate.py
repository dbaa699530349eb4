"""check_tightgate: every single-node check from one read, in one process.

Each check's options keep their meaning under a prefix naming the check
(``--hotfixes-warning``, ``--versions-warn-flag-severity``); the worst state
wins; the long output has one line per aspect.
"""

import argparse

from ..runtime.options import add_severity_options
from .definition import CheckDefinition
from ..verdict import (Finding, Verdict, problems_first, status_name, summary_line,
                       worst_status)
from .registry import SINGLE_NODE_CHECKS


def _prefix(definition):
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
        prefixed = _PrefixedGroup(group, _prefix(definition))
        definition.add_arguments(prefixed)
        add_severity_options(prefixed, definition.conditions)


def options_for(definition, opts):
    """The options of one check, un-prefixed, as if it ran on its own."""
    head = _prefix(definition).replace("-", "_") + "_"
    values = {k[len(head):]: v for k, v in vars(opts).items() if k.startswith(head)}
    values.update({k: getattr(opts, k) for k in ("verbose", "timeout", "max_age")})
    return argparse.Namespace(**values)


def judge(state, opts, now):
    findings, perfdata = [], []
    for definition in SINGLE_NODE_CHECKS:
        verdict = definition.judge(state, options_for(definition, opts), now)
        findings.append(Finding(
            definition.name, worst_status(verdict.findings),
            "%s: %s" % (definition.name, summary_line(verdict)),
            tuple("%s %s" % (status_name(f.status), f.text) for f in verdict.findings)))
        perfdata.extend(verdict.perfdata)
    return Verdict(tuple(findings), tuple(perfdata), _summary(state, findings))


def _summary(state, findings):
    """The worst aspect in full; the other problems by name (details: long output)."""
    problems = problems_first(findings)
    if not problems:
        return "%s: all %d aspects OK (%s)" % (
            state.node.name, len(findings), ", ".join(d.name for d in SINGLE_NODE_CHECKS))
    text = problems[0].text
    if len(problems) > 1:
        text += "; also %s" % ", ".join(
            "%s %s" % (f.condition.upper(), status_name(f.status)) for f in problems[1:])
    return text


DEFINITION = CheckDefinition(
    name="TIGHTGATE", prog="check_tightgate",
    description="Runs every single-node check of tgmon (versions, update lock, hotfixes, "
                "reboot, maintenance, schedule) from one read of the state in one process. "
                "The worst state wins; the long output has one line per aspect. Each check's "
                "options are here with the check's name in front (e.g. --hotfixes-warning).",
    judge=judge, add_arguments=add_arguments, always_long=True, scope="all-in-one")


main = DEFINITION.main

"""What makes one plugin, as data: its name, options, conditions, judge and scope.

A declaration, not a service: the runtime (``tgmon.runtime``) builds the
command line from it, reads the state its scope names, hands the judge a
settings record and renders the verdict. Nothing here knows argparse, the
config file or nagiosplugin, so the simulator's timeline, the generators
and the docs read the same declarations the plugins run.
"""

from ..state.model import record

# What a plugin watches: one node, every single-node check of one node at once,
# a cluster, or whether one node's state can be read at all.
# "reachability" reads one node like "node", but a read that fails is the
# judge's to word (a finding with its runbook link), not the runtime's UNKNOWN.
SCOPES = ("node", "all-in-one", "cluster", "reachability")

# The kinds of a check's own options; options.py knows each one's type, metavar
# and the tail of its help (the default, the duration syntax).
#   age       a duration an age is compared with: '<help> longer than this'
#   duration  any other duration
#   range     a Nagios range (None: no threshold)
OPTION_KINDS = ("age", "duration", "range")

# flag: the long option ('--warning-age'); default: as given on a command line
# ('7d', '0') or None; help: what it does, one text; short: e.g. '-w'.
Option = record("Option", "flag kind default help short", (None,))


def dest(flag):
    """'warning_age' for '--warning-age': the option's field in the settings record."""
    return flag.lstrip("-").replace("-", "_")


def severity_dest(condition):
    """'warn_flag_severity': the field of a condition's --<condition>-severity option."""
    return dest(condition.name) + "_severity"


class CheckDefinition:
    """One plugin. ``judge(state, settings, now) -> Verdict`` is its whole evaluation;
    ``settings`` is a ``Settings`` record of this definition: one field per option
    and per condition's severity, and for the all-in-one check one per aspect
    (that check's own ``Settings``)."""

    def __init__(self, name, prog, description, judge, options=(), conditions=(),
                 scope="node", aspects=(), always_long=False, findings=(), notes=None):
        if scope not in SCOPES:
            raise ValueError("scope must be one of %s" % ", ".join(SCOPES))
        for option in options:
            if option.kind not in OPTION_KINDS:
                raise ValueError("%s: kind must be one of %s" % (option.flag,
                                                                 ", ".join(OPTION_KINDS)))
        if bool(aspects) != (scope == "all-in-one"):
            raise ValueError("the all-in-one check, and only it, has aspects")
        self.name = name
        self.prog = prog
        self.description = description
        self.judge = judge
        self.options = tuple(options)
        self.conditions = tuple(conditions)
        self.scope = scope
        # the checks the all-in-one check runs, each under its own prefix
        self.aspects = tuple(aspects)
        # the other findings the judge can emit as a problem (no severity option)
        self.findings = tuple(findings)
        # one sentence: what the service watches (Icinga's and Nagios' notes)
        self.notes = notes
        # all-in-one checks print one line per aspect even without -v
        self.always_long = always_long
        fields = (tuple(dest(o.flag) for o in self.options)
                  + tuple(severity_dest(c) for c in self.conditions)
                  + tuple(a.short_name for a in self.aspects))
        self.Settings = record("%sSettings" % name.title().replace("_", ""), " ".join(fields))

    @property
    def runbook_ids(self):
        """Every finding the judge can emit as a problem: each has a runbook anchor."""
        return tuple(c.name for c in self.conditions) + self.findings

    @property
    def short_name(self):
        """'versions' for check_versions: the CheckCommand's and vars' stem."""
        return self.prog[len("check_"):]

    def __repr__(self):
        return "CheckDefinition(%s)" % self.prog

"""What makes one plugin: its name, options, conditions, reader and judge.

No nagiosplugin here: the simulator's timeline, the generators and the docs
use definitions (options, judge) without the plugin runtime.
"""

import argparse

from .. import options as optmod

# What a plugin watches: one node, every aspect of one node, or a cluster.
SCOPES = ("node", "all-in-one", "cluster")


def read_single_node(opts, now):
    """The default reader: the state dir (with --config's file paths) or --url."""
    from ..sources import read_single_state
    return read_single_state(optmod.single_source(opts), now)


class CheckDefinition:
    """One plugin. ``judge(state, opts, now) -> Verdict`` is its whole evaluation."""

    def __init__(self, name, prog, description, judge, add_arguments=None,
                 conditions=(), epilog=None, read=None,
                 add_source_arguments=optmod.add_state_source, always_long=False,
                 scope="node", findings=(), notes=None):
        if scope not in SCOPES:
            raise ValueError("scope must be one of %s" % ", ".join(SCOPES))
        self.name = name
        self.prog = prog
        self.description = description
        self.judge = judge
        self._add_arguments = add_arguments
        self.conditions = tuple(conditions)
        # the other findings the judge can emit as a problem (no severity option)
        self.findings = tuple(findings)
        # one sentence: what the service watches (Icinga's and Nagios' notes)
        self.notes = notes
        self._epilog = epilog
        self.read = read or read_single_node
        self.add_source_arguments = add_source_arguments
        # all-in-one checks print one line per aspect even without -v
        self.always_long = always_long
        self.scope = scope

    @property
    def epilog(self):
        """The --help's last words: the exit codes and where the installed page is."""
        from ..docpaths import doc_path
        return self._epilog or (
            "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for -h, -V and bad "
            "options). Docs: %s" % doc_path("checks", self.prog + ".rst"))

    @property
    def runbook_ids(self):
        """Every finding the judge can emit as a problem: each has a runbook anchor."""
        return tuple(c.name for c in self.conditions) + self.findings

    def runbook_lines(self, verdict, status, opts):
        """``Runbook: <url>`` for the worst finding of a result that is not OK."""
        from .runbook import runbook_lines
        return runbook_lines(self, verdict, status, getattr(opts, "runbook_url", None))

    @property
    def short_name(self):
        """'versions' for check_versions: the CheckCommand's and vars' stem."""
        return self.prog[len("check_"):]

    def add_arguments(self, group):
        if self._add_arguments:
            self._add_arguments(group)

    def parser(self):
        return optmod.build_parser(self)

    def parse_command_line(self, argv):
        """The options as given (no file is read yet); UsageError or optmod._Exit."""
        opts = self.parser().parse_args(argv)
        opts.files = {}
        return opts

    def apply_config(self, opts, argv):
        """Fill the options not given on the command line from --config (read here)."""
        if opts.config:
            from ..config import apply_config
            opts._given = self._given_options(argv)
            apply_config(self, opts, opts.config)
        return opts

    def parse(self, argv):
        """Command line and --config together (the runtime does the two under -t)."""
        return self.apply_config(self.parse_command_line(argv), argv)

    def _given_options(self, argv):
        """The options the command line sets; an empty file option (a Nagios macro
        without a value, parsed as None) sets nothing, so --config's value applies."""
        parser = self.parser()
        for action in parser._actions:
            action.default = argparse.SUPPRESS
        return {dest for dest, value in vars(parser.parse_args(argv)).items()
                if value is not None}

    def overdue(self, opts):
        """(cause, fix) when reading the state did not finish within -t."""
        limit = "%g" % opts.timeout
        url = getattr(opts, "url", None)
        if url:
            from ..safeio.urls import redact_url
            return ("no answer from %s within -t %s s" % (redact_url(url), limit),
                    "check DNS, the exporter and the network, or raise -t")
        if self.scope == "cluster":
            return ("the nodes were not read within -t %s s" % limit,
                    "check the nodes' exporters and the network, or raise -t")
        return ("reading the state dir %s took longer than -t %s s"
                % (getattr(opts, "state_dir", "?"), limit),
                "check its file system (a hung mount?)")

    def default_options(self):
        """Options as if given nothing: what the simulator's timeline uses."""
        return self.parse([])

    def main(self):
        """Console-script entry point: run the plugin, exit 0-3."""
        from ..runtime.plugin import main
        main(self)

"""What makes one plugin: its name, options, conditions, reader and judge.

No nagiosplugin here: the simulator's timeline, the generators and the docs
use definitions (options, judge) without the plugin runtime.
"""

import argparse

from ..runtime import options as optmod

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
                 scope="node"):
        if scope not in SCOPES:
            raise ValueError("scope must be one of %s" % ", ".join(SCOPES))
        self.name = name
        self.prog = prog
        self.description = description
        self.judge = judge
        self._add_arguments = add_arguments
        self.conditions = tuple(conditions)
        self.epilog = epilog or (
            "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for -h, -V and bad "
            "options). Docs: docs/checks/%s.rst" % prog)
        self.read = read or read_single_node
        self.add_source_arguments = add_source_arguments
        # all-in-one checks print one line per aspect even without -v
        self.always_long = always_long
        self.scope = scope

    @property
    def short_name(self):
        """'versions' for check_versions: the CheckCommand's and vars' stem."""
        return self.prog[len("check_"):]

    def add_arguments(self, group):
        if self._add_arguments:
            self._add_arguments(group)

    def parser(self):
        return optmod.build_parser(self)

    def parse(self, argv):
        parser = self.parser()
        opts = parser.parse_args(argv)
        opts.files = {}
        if opts.config:
            from ..config import apply_config
            opts._given = self._given_options(argv)
            apply_config(parser, opts, opts.config, self.prog)
        return opts

    def _given_options(self, argv):
        parser = self.parser()
        for action in parser._actions:
            action.default = argparse.SUPPRESS
        return set(vars(parser.parse_args(argv)))

    def default_options(self):
        """Options as if given nothing: what the simulator's timeline uses."""
        return self.parse([])

    def main(self):
        """Console-script entry point: run the plugin, exit 0-3."""
        from ..runtime.plugin import main
        main(self)

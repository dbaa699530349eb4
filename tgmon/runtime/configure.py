"""--config for a plugin: the file's values for the options the command line
did not set. Imported only when --config is given.

The config file (``config.py``) is handed the catalogue of every command it
may configure and the dests the command line set, so that those win.
"""

from ..checks.definition import dest
from ..options import aspect_prefix, build_parser, given_dests, parse_command_line, plugin_args


def apply_config(definition, opts, argv):
    """Fill the options not given on the command line from --config (read here)."""
    if opts.config:
        from ..config import apply_config as apply
        aspects = [(aspect.prog, dest(aspect_prefix(aspect)) + "_")
                   for aspect in definition.aspects]
        apply(opts.config, catalogue(), definition.prog, opts,
              given_dests(lambda: build_parser(definition), argv), aspects)
    return opts


def options_from(definition, argv):
    """Command line and --config together (``run`` does the two under -t)."""
    return apply_config(definition, parse_command_line(definition, argv), argv)


def catalogue():
    """Every command a config file has a section for, with its options ({dest: Arg}):
    the plugins, tgmon downtimes sync and tgmon push."""
    from ..checks.registry import all_checks
    from ..downtimes.options import ARGS, SECTION
    from ..push import options as push
    commands = {definition.prog: plugin_args(definition) for definition in all_checks()}
    commands[SECTION] = ARGS
    commands[push.SECTION] = push.ARGS
    return commands

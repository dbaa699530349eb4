"""A secret typed into the wrong place on a command line is never printed back: after
an option that does not exist (--icinga-password), an abbreviation of one that does
(argparse would take --icinga-password for --icinga-password-file), an option that
takes no value (--icinga-insecure=...), a misplaced NAME= - or as the value of any
option whose type refuses it. Every tool's parser is one SafeArgumentParser: the
error names the option and what it expects, never a value.

The table runs the real commands (exit code, one line, the words, no secret); the
audit below gives the secret to every option of every parser in-process.

Classes (issue 18): 5 no secret in output, ever; 11 the tools' output is safe text.
Review finding 4.
"""

import argparse
import contextlib
import io

import pytest

from tgmon.errors import TgmonError

from .harness import TGMON, TGMON_SIM, run_plugin

SECRET = "PASSW0RD-e2d4"
URL = "https://u:%s@h:9740/v1/status" % SECRET
SYNC = ["downtimes", "sync", "--nagios-command-file", "/x"]

CASES = [
    # (id, tool, argv, exit code, words in the one line)
    ("sync_misplaced_name", TGMON, SYNC + ["--node", "tg1=", URL], 2,
     "unrecognized arguments: 1 value (not shown)"),
    ("sync_value_after_a_path", TGMON, SYNC + ["--nagios-status-file", "/y", URL], 2,
     "unrecognized arguments: 1 value (not shown)"),
    ("sync_flag_given_a_value", TGMON, SYNC + ["--icinga-insecure=" + URL], 2,
     "argument --icinga-insecure: takes no value"),
    ("sync_no_such_option", TGMON, SYNC + ["--icinga-password", SECRET], 2,
     "unrecognized arguments: --icinga-password, 1 value (not shown)"),
    ("sync_no_abbreviations", TGMON, SYNC + ["--icinga-pass=" + SECRET], 2,
     "unrecognized arguments: --icinga-pass"),
    ("sync_secret_as_a_number", TGMON, SYNC + ["-t", SECRET], 2,
     "argument -t/--timeout: the value is not a number of seconds"),
    ("sync_secret_as_a_duration", TGMON, SYNC + ["--lookahead", SECRET], 2,
     "argument --lookahead: the value is not a duration"),
    ("sync_secret_as_a_zone", TGMON, SYNC + ["--timezone", SECRET], 2,
     "argument --timezone: the value is not a time zone"),
    ("sync_secret_as_an_author", TGMON, SYNC + ["--author", SECRET + ";"], 2,
     "argument --author: must be 1-64 letters"),
    ("plugin_no_such_option", "check_versions", ["--password", SECRET], 3,
     "unrecognized arguments: --password, 1 value (not shown)"),
    ("plugin_no_abbreviations", "check_versions", ["--tok", SECRET], 3,
     "unrecognized arguments: --tok, 1 value (not shown)"),
    ("plugin_flag_given_a_value", "check_versions", ["--insecure=" + SECRET], 3,
     "argument --insecure: takes no value"),
    ("plugin_secret_as_a_range", "check_hotfixes", ["-w", SECRET], 3,
     "argument -w/--warning: the value is not a Nagios range"),
    ("plugin_secret_as_a_state", "check_versions", ["--warn-flag-severity", SECRET], 3,
     "argument --warn-flag-severity: the value is not a state"),
    ("cluster_misplaced_name", "check_cluster_updates", ["--node", "tg1=", URL], 3,
     "unrecognized arguments: 1 value (not shown)"),
    ("state_secret_as_a_flag", TGMON, ["state", "set-flag", "/x", SECRET], 2,
     "argument flag: must be one of reboot-required, update-lock, warn-flag"),
    ("state_secret_as_a_time", TGMON, ["state", "set-flag", "/x", "update-lock", "--since",
                                       SECRET], 2, "argument --since: the value is not an ISO"),
    ("state_no_such_option", TGMON, ["state", "heartbeat", "/x", "--token=" + SECRET], 2,
     "unrecognized arguments: --token"),
    ("serve_secret_as_a_port", TGMON, ["serve", "--port", SECRET], 2,
     "argument --port: the value is not a number"),
    ("serve_no_abbreviations", TGMON, ["serve", "--token", SECRET], 2,
     "unrecognized arguments: --token, 1 value (not shown)"),
    ("tgmon_secret_as_a_command", TGMON, [SECRET], 2,
     "argument command: must be one of validate, refresh"),
    ("sim_no_such_option", TGMON_SIM, ["run", "x", "--until", "now", "--state-dir", "/x",
                                         "--key=" + SECRET], 2,
     "unrecognized arguments: --key"),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, tool, argv, code, words", CASES, ids=[c[0] for c in CASES])
def test_a_secret_in_the_wrong_place_is_never_printed(name, tool, argv, code, words):
    run = run_plugin(tool, argv)
    everything = run.stdout + run.stderr
    assert run.code == code, run
    assert SECRET not in everything and "Traceback" not in everything, run
    lines = everything.splitlines()
    assert len(lines) == 1 and words in lines[0] and lines[0].isprintable(), run


def parsers():
    """(name, parser) of every command line tgmon has, sub-commands included."""
    from tgmon.checks.registry import all_checks
    from tgmon.cli import _parser as tgmon_parser
    from tgmon.downtimes.command import build_parser as sync_parser
    from tgmon.options import build_parser as plugin_parser
    from tgmon.sim.cli import _parser as sim_parser
    found = [(check.prog, plugin_parser(check)) for check in all_checks()]
    pending = [("tgmon", tgmon_parser()), ("tgmon downtimes sync", sync_parser()),
               ("tgmon-sim", sim_parser())]
    while pending:
        name, parser = pending.pop()
        found.append((name, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending.extend(("%s %s" % (name, sub), subparser)
                               for sub, subparser in action.choices.items())
    return found


def options_taking_values():
    return [(name, parser, action) for name, parser in parsers() for action in parser._actions
            if action.nargs != 0 and not isinstance(action, argparse._SubParsersAction)]


def error_of(parser, argv):
    """What the parser says about ``argv``: its exception or what it printed."""
    said = io.StringIO()
    with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said):
        try:
            parser.parse_args(argv)
        except (TgmonError, SystemExit, Exception) as exc:     # every tool says it its way
            said.write(" %s" % exc)
    return said.getvalue()


@pytest.mark.parametrize("name, parser, action", options_taking_values(),
                         ids=lambda value: getattr(value, "dest", str(value)))
def test_no_parser_quotes_a_value_it_refuses(name, parser, action):
    value = SECRET + "-not-valid-anywhere:;{}"
    if action.option_strings:
        argv = [action.option_strings[-1], value]
    else:     # a positional: every one before it given the same
        positionals = [a for a in parser._actions if not a.option_strings]
        argv = [value] * (positionals.index(action) + 1)
    said = error_of(parser, argv)
    assert SECRET not in said, (name, action.dest, said)


def test_every_parser_is_safe_and_takes_no_abbreviations():
    from tgmon.safeio.args import SafeArgumentParser
    for name, parser in parsers():
        assert isinstance(parser, SafeArgumentParser), name
        assert parser.allow_abbrev is False, name

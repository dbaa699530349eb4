"""The plugin runtime shared by every check: exits, timeout, errors, output."""

import time

import pytest

from tgmon.state import examples
from tgmon.checks import versions
from tgmon.state.model import Marker
from tgmon.checks.definition import CheckDefinition
from tgmon.verdict import Finding, Perf, Verdict

from helpers import NOW, as_shown, run_check

HEALTHY = lambda definition, opts, now: examples.healthy_single(NOW)  # noqa: E731


def test_help_exits_3():
    outcome = run_check(versions.DEFINITION, ["-h"])
    assert outcome.code == 3
    assert outcome.lines[0].startswith("usage: check_versions")
    assert "--warn-flag-severity STATE" in outcome.output


def test_version_exits_3_without_metadata_lookup():
    outcome = run_check(versions.DEFINITION, ["-V"])
    assert (outcome.code, outcome.output) == (3, "check_versions (tgmon) 0.1.0\n")


def _definition(judge=None):
    return CheckDefinition(
        name="TEST", prog="check_test", description="test",
        judge=judge or versions.judge, options=versions.OPTIONS,
        conditions=versions.DEFINITION.conditions)


def test_timeout_covers_the_read():
    def slow_read(definition, opts, now):
        time.sleep(5)
    started = time.monotonic()
    outcome = run_check(_definition(), ["-t", "0.3"], read=slow_read)
    assert time.monotonic() - started < 3
    assert (outcome.code, outcome.text) == (3, (
        "TEST UNKNOWN - reading the state dir /var/lib/tgmon took longer than -t 0.3 s - "
        "check its file system (a hung mount?)"))


def test_timeout_covers_the_judge_too():
    def slow_judge(state, opts, now):
        time.sleep(5)
    started = time.monotonic()
    outcome = run_check(_definition(judge=slow_judge), ["-t", "0.3"], read=HEALTHY)
    assert time.monotonic() - started < 3
    assert (outcome.code, outcome.text) == (3, (
        "TEST UNKNOWN - timed out after 0.3 s - raise -t/--timeout or look at why the state "
        "source is slow"))


def _broken_judge(state, opts, now):
    raise KeyError("boom")


@pytest.mark.parametrize("verbosity, traceback_shown", [([], False), (["-v"], False),
                                                         (["-vv"], False), (["-vvv"], True),
                                                         (["-v", "-v", "-v"], True)])
def test_internal_error_is_one_unknown_line(verbosity, traceback_shown):
    outcome = run_check(_definition(judge=_broken_judge), verbosity, read=HEALTHY)
    assert outcome.code == 3
    assert outcome.lines[0] == as_shown("TEST UNKNOWN - internal error: KeyError: 'boom' - "
                                        "rerun with -vvv and report it")
    assert ("Traceback (most recent call last):" in outcome.output) == traceback_shown
    assert (len(outcome.lines) == 1) != traceback_shown


def test_pipes_in_texts_never_reach_the_first_line(state_dir):
    state = examples.healthy_single(NOW)
    state = state._replace(flags=state.flags._replace(
        warn_flag=Marker(True, NOW, ("proxy | firewall\tdown",))))
    outcome = run_check(versions.DEFINITION, ["--state-dir", state_dir(state)])
    assert outcome.output.count("|") == 1
    assert "    proxy / firewall down" in outcome.lines   # the reason is in the long output


def test_perfdata_present_with_exotic_values():
    judge = lambda state, opts, now: Verdict(  # noqa: E731
        (Finding("x", 0, "fine"),), (Perf("ratio", 0.12345, "", None, None, 0, 1),
                                     Perf("count", 3.0, "")))
    outcome = run_check(_definition(judge=judge), [], read=HEALTHY)
    assert (outcome.code, outcome.text, outcome.perfdata) == (
        0, "TEST OK - fine", "count=3 ratio=0.123;;;0;1")


def test_an_empty_file_option_is_not_given():
    """A Nagios macro without a value (--ca-file '') means the option is not given;
    an empty --state-dir is refused."""
    from tgmon.options import build_parser
    parser = build_parser(versions.DEFINITION)
    opts = parser.parse_args(["--url", "https://tg1:9740/v1/status", "--token-file", "",
                              "--ca-file", " ", "--config", ""])
    assert (opts.token_file, opts.ca_file, opts.config) == (None, None, None)
    outcome = run_check(versions.DEFINITION, ["--state-dir", ""])
    assert outcome.code == 3
    assert outcome.text.startswith("VERSIONS UNKNOWN - bad option: argument --state-dir: ")
    assert "is empty" in outcome.text

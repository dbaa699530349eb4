"""A check is a declaration; the runtime runs it (issue 19, item 3).

A judge gets a Settings record built from its declared options, never the
argparse namespace: table-driven, command line (and --config) in -> the
settings record the judge received out. Which options the command line set
is found with public argparse only (given_dests).
"""

import argparse

import pytest

from tgmon.checks import cluster_updates, definition as declaration, hotfixes, versions
from tgmon.checks.definition import CheckDefinition, Option
from tgmon.checks.registry import ALL_CHECKS, TIGHTGATE
from tgmon.options import build_parser, given_dests
from tgmon.state import examples
from tgmon.state.model import ClusterView
from tgmon.verdict import CRITICAL, OK, UNKNOWN, WARNING, Finding, Verdict

from helpers import DAY, HOUR, NOW, run_check


def _spied(definition):
    """``definition`` with a judge that only records what it was handed."""
    seen = []

    def judge(state, settings, now):
        seen.append(settings)
        return Verdict((Finding("spy", OK, "judged"),), ())
    spy = CheckDefinition(definition.name, definition.prog, definition.description, judge,
                          definition.options, definition.conditions, definition.scope,
                          definition.aspects, definition.always_long)
    return spy, seen


def _read(definition, opts, now):
    state = examples.healthy_cluster_node(NOW)
    if definition.scope == "cluster":
        return ClusterView((("tg-node1", state),), (), NOW, "tgc")
    return state


def _fields(settings, names):
    """The fields ``names`` of a settings record; 'aspect.field' reaches into an aspect's."""
    values = {}
    for name in names:
        value = settings
        for part in name.split("."):
            value = getattr(value, part)
        values[name] = value
    return values


SETTINGS_CASES = [
    ("versions_defaults", versions.DEFINITION, [],
     {"warning_age": 7 * DAY.total_seconds(), "critical_age": 30 * DAY.total_seconds(),
      "check_age": 2 * DAY.total_seconds(), "warn_flag_severity": WARNING,
      "skipped_release_severity": CRITICAL, "stale_server_check_severity": WARNING}),
    ("versions_given", versions.DEFINITION,
     ["--warning-age", "1h", "--warn-flag-severity", "critical", "-v"],
     {"warning_age": HOUR.total_seconds(), "warn_flag_severity": CRITICAL,
      "critical_age": 30 * DAY.total_seconds()}),
    ("hotfixes_ranges", hotfixes.DEFINITION, ["-w", "2", "--critical", "@5:"],
     {"warning.end": 2, "critical.invert": True, "critical.start": 5}),
    ("hotfixes_no_critical_by_default", hotfixes.DEFINITION, [],
     {"critical": None, "warning.end": 0}),
    ("cluster_options", cluster_updates.DEFINITION,
     ["--node", "/x", "--update-duration", "2h", "--unreachable-severity", "ok"],
     {"update_duration": 2 * HOUR.total_seconds(), "unreachable_severity": OK,
      "too_many_updating_severity": CRITICAL}),
    ("cluster_defaults", cluster_updates.DEFINITION, ["--node", "/x"],
     {"update_duration": HOUR.total_seconds(), "unreachable_severity": UNKNOWN}),
    ("tightgate_prefixed", TIGHTGATE,
     ["--hotfixes-warning-age", "1d", "--versions-warn-flag-severity", "ok",
      "--reboot-required-critical-age", "2h"],
     {"hotfixes.warning_age": DAY.total_seconds(), "versions.warn_flag_severity": OK,
      "reboot_required.critical_age": 2 * HOUR.total_seconds(),
      "versions.warning_age": 7 * DAY.total_seconds(), "hotfixes.warning.end": 0}),
]


@pytest.mark.parametrize("name, definition, argv, expected", SETTINGS_CASES,
                         ids=[c[0] for c in SETTINGS_CASES])
def test_a_judge_gets_a_settings_record_of_its_declared_options(name, definition, argv,
                                                                 expected):
    spy, seen = _spied(definition)
    outcome = run_check(spy, argv, read=_read)
    assert outcome.code == OK, outcome.output
    settings = seen[0]
    assert type(settings) is spy.Settings and not isinstance(settings, argparse.Namespace)
    # nothing but its own options: no timeout, no verbosity, no source
    assert not {"timeout", "verbose", "state_dir", "url", "node", "config"} & set(
        settings._fields)
    assert _fields(settings, expected) == expected


def test_the_all_in_one_settings_hold_each_aspect_its_own_record():
    spy, seen = _spied(TIGHTGATE)
    run_check(spy, [], read=_read)
    settings = seen[0]
    assert settings._fields == tuple(a.short_name for a in TIGHTGATE.aspects)
    for aspect in TIGHTGATE.aspects:
        assert type(getattr(settings, aspect.short_name)) is aspect.Settings


def test_settings_from_the_config_file_and_the_command_line(short_tmp):
    config = short_tmp / "tgmon.yml"
    config.write_text("warning_age: 3d\ncheck_versions:\n  check-age: 5h\n"
                      "check_hotfixes:\n  warning: 4\n")
    spy, seen = _spied(TIGHTGATE)
    outcome = run_check(spy, ["--config", str(config), "--hotfixes-warning-age", "1h"],
                        read=_read)
    assert outcome.code == OK, outcome.output
    settings = seen[0]
    assert _fields(settings, ["versions.warning_age", "versions.check_age",
                              "hotfixes.warning_age", "hotfixes.warning.end"]) == {
        "versions.warning_age": 3 * DAY.total_seconds(),
        "versions.check_age": 5 * HOUR.total_seconds(),
        "hotfixes.warning_age": HOUR.total_seconds(),     # the command line wins
        "hotfixes.warning.end": 4}


GIVEN_CASES = [
    ("nothing", [], set()),
    ("short_and_long", ["-t", "5", "--warning-age", "1h"], {"timeout", "warning_age"}),
    ("count_and_flag", ["-vv", "--insecure"], {"verbose", "insecure"}),
    # a Nagios macro without a value is not given: --config's value applies
    ("empty_file_macro", ["--token-file", "", "--ca-file", " "], set()),
    ("default_value_given", ["--state-dir", "/var/lib/tgmon"], {"state_dir"}),
    ("severity", ["--warn-flag-severity", "ok"], {"warn_flag_severity"}),
]


@pytest.mark.parametrize("name, argv, expected", GIVEN_CASES, ids=[c[0] for c in GIVEN_CASES])
def test_given_dests_are_what_the_command_line_sets(name, argv, expected):
    assert given_dests(lambda: build_parser(versions.DEFINITION), argv) == expected


@pytest.mark.parametrize("definition", ALL_CHECKS, ids=[d.prog for d in ALL_CHECKS])
def test_a_definition_is_a_declaration(definition):
    """Data and a pure judge; the runtime's services live in tgmon.runtime."""
    for service in ("parser", "parse", "parse_command_line", "main", "apply_config", "read",
                    "overdue", "default_options"):
        assert not hasattr(definition, service), service
    assert definition.scope in declaration.SCOPES
    assert all(o.kind in declaration.OPTION_KINDS for o in definition.options)


@pytest.mark.parametrize("bad, words", [
    (dict(scope="galaxy"), "scope must be one of"),
    (dict(options=(Option("--x", "colour", None, "x"),)), "kind must be one of"),
    (dict(scope="all-in-one"), "only it, has aspects"),
    (dict(aspects=(versions.DEFINITION,)), "only it, has aspects"),
])
def test_a_bad_declaration_is_refused_when_made(bad, words):
    with pytest.raises(ValueError, match=words):
        CheckDefinition("X", "check_x", "x", versions.judge, **bad)

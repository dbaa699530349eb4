"""tgmon push judges every check in one process: its output must be the plugin's,
byte for byte (first line, perfdata, long output, exit code), on every example
state and on every scenario's nodes at four instants - and on nodes that cannot
be read or are stale."""

import glob
import os
from datetime import timedelta

import pytest

from tgmon.push.judge import Judge
from tgmon.push.services import CLUSTER_CHECK, NODE_CHECKS, check_of_command, ttl_of
from tgmon.sim.scenario import load_scenario
from tgmon.sources.nodes import read_each
from tgmon.sources import HttpSettings
from tgmon.state import examples
from tgmon.state.layout import write_state

from helpers import NOW, ROOT, run_check

EXAMPLES = sorted(examples.EXAMPLES)
SCENARIOS = sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.yml")))
HTTP = HttpSettings(timeout=10)


def read(dirs, now):
    return read_each(dirs, HTTP, None, now)


def assert_as_plugins(dirs, now, cluster=True):
    judge = Judge()
    outcomes = read(dirs, now)
    for directory, outcome in zip(dirs, outcomes):
        pushed = judge.node("h", outcome, [(d.short_name, d.short_name) for d in NODE_CHECKS],
                            now)
        for definition, result in zip(NODE_CHECKS, pushed):
            plugin = run_check(definition, ["--state-dir", directory], now=now)
            assert (result.code, result.output) == (plugin.code, plugin.output), \
                (definition.prog, directory)
    if cluster:
        argv = [a for d in dirs for a in ("--node", d)]
        plugin = run_check(CLUSTER_CHECK, argv, now=now)
        [result] = judge.cluster("c", outcomes, ["tightgate-cluster"], now)
        assert (result.code, result.output) == (plugin.code, plugin.output)


def test_every_example_state_as_its_plugins_print_it():
    dirs = [os.path.join(ROOT, "examples", "states", name) for name in EXAMPLES]
    assert_as_plugins(dirs, NOW)


def test_stale_future_and_missing_nodes_as_their_plugins_print_them(tmp_path):
    dirs = [os.path.join(ROOT, "examples", "states", name) for name in EXAMPLES[:2]]
    dirs.append(str(tmp_path / "missing"))
    for now in (NOW + timedelta(hours=2), NOW - timedelta(hours=2), NOW):
        assert_as_plugins(dirs, now)


@pytest.mark.parametrize("path", SCENARIOS, ids=os.path.basename)
def test_every_scenario_node_as_its_plugins_print_it(path, tmp_path):
    scenario = load_scenario(path)
    end = scenario.end or scenario.start + timedelta(days=1)
    for step in range(4):
        at = scenario.start + (end - scenario.start) * step / 3
        sim = scenario.build()
        sim.run_until(at)
        dirs = []
        for name, state in sorted(sim.states().items()):
            dirs.append(str(tmp_path / str(step) / name))
            write_state(dirs[-1], state)
        assert_as_plugins(dirs, at)


@pytest.mark.parametrize("command, check", [
    ("tgmon_versions", "versions"), ("tgmon_versions_url!--x", "versions"),
    ("tgmon_update_lock_nrpe", "update_lock"), ("tgmon_tightgate", "tightgate"),
    ("tgmon_cluster_updates", "cluster_updates"), ("tgmon_reachable_url", "reachable"),
    ("tgmon_nosuch", None), ("check_versions", None), ("tgmon_", None), (None, None),
    ("tgmon_versions_ssh", None), ("", None),
])
def test_a_service_is_known_by_its_check_command(command, check):
    assert check_of_command(command) == check


def test_a_result_lives_two_intervals():
    assert ttl_of("reachable") == 120
    assert ttl_of("update_schedule") == 7200


def test_the_intervals_are_the_shipped_apply_rules():
    import sys
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import icingadsl
    from tgmon.push.services import INTERVALS
    from tgmon.timeutil import parse_duration
    master = os.path.join(ROOT, "icinga-conf", "master")
    constants = os.path.join(master, "tgmon-constants.conf")
    checks = icingadsl.dictionary_constant(constants, "TgmonChecks")
    shipped = {name: parse_duration(spec["interval"]) for name, spec in checks.items()}
    shipped["reachable"] = parse_duration(icingadsl.constant(constants,
                                                             "TgmonReachableInterval"))
    templates = os.path.join(ROOT, "icinga-conf", "global-templates", "tgmon-templates.conf")
    shipped["tightgate"] = parse_duration(icingadsl.block(
        templates, "template", "Service", "tgmon-service")["check_interval"])
    with open(os.path.join(master, "tgmon-services.conf")) as handle:
        rule = handle.read().split('apply Service "tightgate-cluster"')[1]
    shipped["cluster_updates"] = parse_duration(rule.split("check_interval = ")[1].split()[0])
    assert INTERVALS == shipped


def test_the_nsca_services_are_the_nagios_samples():
    from tgmon.push.services import NAGIOS_DESCRIPTIONS
    with open(os.path.join(ROOT, "icinga-conf", "nagios", "tgmon-services.cfg")) as handle:
        sample = handle.read()
    described = {}
    for block in sample.split("define service {")[1:]:
        fields = dict(line.split(None, 1) for line in block.split("}")[0].strip().splitlines()
                      if len(line.split(None, 1)) == 2)
        if "check_command" in fields and "service_description" in fields:
            described[check_of_command(fields["check_command"])] = \
                fields["service_description"].strip()
    assert described == NAGIOS_DESCRIPTIONS


def test_the_command_lines_kept_are_bounded(monkeypatch):
    """A Plugin per (check, command line) from the services' vars: vars that differ on
    every service, or change at every listing, never grow it past its bound."""
    from tgmon.push import judge as module
    monkeypatch.setattr(module, "MAX_PLUGINS", 10)
    judge = Judge()
    for number in range(25):
        plugin = judge.plugin("hotfixes", (("warning", ("--warning", str(number))),))
        assert len(judge.plugins) <= 10
    assert plugin.settings.warning is not None
    assert judge.plugin("hotfixes") is judge.plugin("hotfixes")      # kept while it fits


def test_the_nagios_pushed_template_runs_the_plugin_only_when_results_stop():
    """A passive result does not move Nagios' next active check: the template turns the
    scheduled checks off, freshness on, so the plugin runs only for a silent pusher."""
    with open(os.path.join(ROOT, "icinga-conf", "nagios", "tgmon-services.cfg")) as handle:
        sample = handle.read()
    block = sample.split("    name                    tgmon-pushed\n")[1].split("}")[0]
    fields = dict(line.split(None, 1) for line in block.strip().splitlines())
    assert {key: fields[key] for key in ("active_checks_enabled", "passive_checks_enabled",
                                         "check_freshness")} == {
        "active_checks_enabled": "0", "passive_checks_enabled": "1", "check_freshness": "1"}
    assert int(fields["freshness_threshold"]) > 0

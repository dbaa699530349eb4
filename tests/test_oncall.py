"""What the person paged reads: every check, in every state every shipped
scenario reaches (and every example state), prints a first line of at most
160 characters, with none of the characters Nagios strips from notification
macros and no rule id, in its first line or its long output; a problem's long
output ends with the link to a runbook anchor its check's page has."""

import os
import re

import pytest

from tgmon.state import examples
from tgmon.checks.registry import all_checks
from tgmon.render.nagios import ILLEGAL_MACRO_CHARS, NAGIOS_REWRITES
from tgmon.sim.scenario import load_scenario
from tgmon.state.layout import write_state

from helpers import ROOT, run_check

SCENARIOS = os.path.join(ROOT, "scenarios")
RULE_ID = re.compile(r"\bR\d{1,2}\b")
LINK = re.compile(r"Runbook: http://localhost/tgmon-docs/checks/(\w+)\.html#([\w-]+)")
ANCHORS = {(d.prog, anchor) for d in all_checks() for anchor in d.runbook_ids}
NODE_CHECKS = [d for d in all_checks() if d.scope != "cluster"]
CLUSTER_CHECK = [d for d in all_checks() if d.scope == "cluster"][0]


def _instants(scenario):
    """The start and every event instant, and one minute after each (to catch what follows it)."""
    from datetime import timedelta
    return [at for instant, _ in scenario.build().walk(scenario.end)
            for at in (instant, instant + timedelta(minutes=1))]


def _moments():
    for name in sorted(f for f in os.listdir(SCENARIOS) if f.endswith(".yml")):
        scenario = load_scenario(os.path.join(SCENARIOS, name))
        yield name, scenario


def assert_pager_safe(outcome, where):
    first = outcome.shown
    assert len(first) <= 160, (where, len(first), first)
    assert not set(first) & set(ILLEGAL_MACRO_CHARS + NAGIOS_REWRITES), (where, first)
    for line in outcome.lines:
        assert not RULE_ID.search(line.split(" | ", 1)[0]), (where, line)
    links = [line for line in outcome.lines if line.startswith("Runbook: ")]
    if outcome.code == 0:
        assert links == [], (where, outcome.output)
    else:
        assert links == [outcome.lines[-1]], (where, outcome.output)
        assert LINK.fullmatch(links[0]).groups() in ANCHORS, (where, links)


@pytest.mark.parametrize("name, scenario", list(_moments()), ids=lambda v: str(v)[:30])
def test_every_state_of_every_scenario_reads_well_on_a_pager(tmp_path, name, scenario):
    sim = scenario.build()
    checked = 0
    longest = {}
    for instant in _instants(scenario)[::2]:
        sim.run_until(instant)
        dirs = {}
        for node, state in sim.states().items():
            dirs[node] = str(tmp_path / node)
            write_state(dirs[node], state)
            for definition in NODE_CHECKS:
                outcome = run_check(definition, ["--state-dir", dirs[node], "--max-age", "1h"],
                                    now=sim.local(sim.now))
                assert outcome.code in (0, 1, 2), outcome.output   # a simulated state is valid
                assert_pager_safe(outcome, (name, node, definition.prog, instant))
                longest[definition.prog] = max(longest.get(definition.prog, 0), len(outcome.text))
                checked += 1
        for cluster in sim.clusters.values():
            argv = []
            for member in cluster.nodes:
                argv += ["--node", dirs[member.name]]
            outcome = run_check(CLUSTER_CHECK, argv + ["--max-age", "1h"], now=sim.local(sim.now))
            assert_pager_safe(outcome, (name, cluster.name, instant))
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("example", sorted(examples.EXAMPLES))
def test_every_example_state_reads_well_on_a_pager(state_dir, example):
    path = state_dir(examples.build(example))
    for definition in NODE_CHECKS:
        outcome = run_check(definition, ["--state-dir", path])
        assert_pager_safe(outcome, (example, definition.prog))
    outcome = run_check(CLUSTER_CHECK, ["--node", path])
    assert_pager_safe(outcome, (example, "cluster"))

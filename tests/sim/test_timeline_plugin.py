"""The timeline prints what the plugin prints (issue 19, item 5).

For every line the timeline prints for a shipped scenario - every change of
every check, at events and at the instants time alone changes a verdict -
the scenario's state at that instant is written to state dirs (as
``tgmon-sim run`` writes them) and the real plugin runs on them as a
subprocess, its clock pinned to that instant. Its first line (before the
perfdata) must be the timeline's line, character for character.
"""

import os
import subprocess
import sys

import pytest

from tgmon.checks.registry import ALL_CHECKS
from tgmon.sim.scenario import load_scenario
from tgmon.sim.timeline import format_timeline, timeline
from tgmon.render.nagios import first_line
from tgmon.verdict import status_name

from .test_scenarios import SCENARIOS, SHIPPED, cli

BY_NAME = {definition.name: definition for definition in ALL_CHECKS}

# The installed entry point (tgmon.plugins.<prog>), its clock set to argv[1]: the
# one thing the test changes. -I: as the plugins run, nothing from the environment.
PINNED_PLUGIN = (
    "import sys, datetime\n"
    "import tgmon.timeutil as clock\n"
    "instant = datetime.datetime.fromisoformat(sys.argv.pop(1))\n"
    "clock.utcnow = lambda: instant\n"
    "import tgmon.plugins\n"
    "getattr(tgmon.plugins, sys.argv.pop(1))()\n")


def plugin_first_line(prog, instant, argv):
    done = subprocess.run([sys.executable, "-I", "-c", PINNED_PLUGIN, instant.isoformat(), prog]
                          + argv, capture_output=True, text=True, timeout=30, cwd="/")
    assert done.stderr == "" and done.returncode in (0, 1, 2, 3), done
    return done.stdout.splitlines()[0].split(" | ")[0], done.returncode


def expected_lines(scenario):
    """[(instant, node or cluster, check NAME, status, the timeline's line)]."""
    for instant, _, changes in timeline(scenario):
        for subject, name, status, text in changes:
            yield instant, subject, name, status, first_line(name, status_name(status), text)


@pytest.mark.slow
@pytest.mark.parametrize("scenario_file", SHIPPED)
def test_the_timeline_prints_what_the_plugin_prints(tmp_path, scenario_file):
    path = os.path.join(SCENARIOS, scenario_file)
    scenario = load_scenario(path)
    clusters = {name: [node.name for node in cluster.nodes]
                for name, cluster in scenario.build().clusters.items()}
    printed = format_timeline(scenario)
    compared = 0
    written = {}
    for instant, subject, name, status, line in expected_lines(scenario):
        assert ("=> " + line) in printed            # what tgmon-sim timeline shows
        if instant not in written:
            target = tmp_path / ("at%d" % len(written))
            code, _, err = cli("run", path, "--until", instant.isoformat(),
                               "--state-dir", str(target))
            assert (code, err) == (0, ""), err
            written[instant] = target
        definition = BY_NAME[name]
        if definition.scope == "cluster":
            argv = [arg for node in clusters[subject]
                    for arg in ("--node", str(written[instant] / node))]
        else:
            argv = ["--state-dir", str(written[instant] / subject)]
        shown, code = plugin_first_line(definition.prog, instant, argv)
        assert (shown, code) == (line, status), (instant.isoformat(), subject)
        compared += 1
    assert compared >= 8 and len(written) >= 3


def test_the_comparison_sees_a_difference(tmp_path):
    """The harness is not blind: the same state judged hours later (the clock is
    the one thing it changes) shows other words."""
    from datetime import timedelta
    path = os.path.join(SCENARIOS, "download-second-round.yml")
    scenario = load_scenario(path)
    instant, subject, name, status, line = [
        entry for entry in expected_lines(scenario) if entry[2] == "VERSIONS"][-1]
    cli("run", path, "--until", instant.isoformat(), "--state-dir", str(tmp_path))
    argv = ["--state-dir", str(tmp_path / subject), "--max-age", "1d"]
    assert plugin_first_line("check_versions", instant, argv)[0] == line
    later = plugin_first_line("check_versions", instant + timedelta(hours=5), argv)[0]
    assert later != line and later.startswith("VERSIONS ")

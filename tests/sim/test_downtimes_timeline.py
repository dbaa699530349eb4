"""tgmon-sim downtimes: the sync's planner over a scenario's simulated time."""

import os
import subprocess
from datetime import timedelta

from tgmon.downtimes.plan import PlanSettings
from tgmon.sim.downtimes import downtime_timeline
from tgmon.sim.scenario import load_scenario

from helpers import ROOT, VENV_BIN

SCENARIO = os.path.join(ROOT, "scenarios", "planned-windows.yml")
HOUR = timedelta(hours=1)


def test_planned_windows_come_and_go_as_the_plan_changes():
    scenario = load_scenario(SCENARIO)
    settings = PlanSettings(24 * HOUR, HOUR, 2 * HOUR, scenario.zone)
    seen = [(instant.astimezone(scenario.zone).strftime("%a %H:%M"), sign, window.node,
             window.kind, window.start.astimezone(scenario.zone).strftime("%a %H:%M"))
            for instant, added, removed in downtime_timeline(scenario, settings)
            for sign, windows in (("-", removed), ("+", added)) for window in windows]
    assert seen == [
        ("Mon 09:00", "+", "tg-node1", "maintenance", "Tue 20:00"),   # planned
        ("Mon 09:05", "+", "tg-node2", "maintenance", "Tue 18:00"),
        ("Tue 02:00", "+", "tg-node1", "update", "Wed 02:00"),        # within 24 h
        ("Tue 12:00", "-", "tg-node2", "maintenance", "Tue 18:00"),   # cancelled
        ("Tue 21:00", "-", "tg-node1", "maintenance", "Tue 20:00"),   # ended early
        ("Wed 02:00", "+", "tg-node2", "update", "Thu 02:00"),
        ("Wed 04:00", "-", "tg-node1", "update", "Wed 02:00"),        # over
        ("Thu 03:20", "-", "tg-node2", "update", "Thu 02:00"),        # failed: lock (R9)
    ]


def test_the_command_prints_it():
    done = subprocess.run([os.path.join(VENV_BIN, "tgmon-sim"), "downtimes", SCENARIO,
                           "--lookahead", "12h"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "(lookahead 12h)" in done.stdout
    assert "  + scheduled update of tg-node1, 2026-11-18 02:00 to 04:00 +01:00" in done.stdout
    assert "2026-11-17 Tue 14:00 CET" in done.stdout      # 12 h before Wednesday 02:00

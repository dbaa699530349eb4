"""One simulation-stepping loop: ``Simulation.walk`` over ``run_until``, used by
every stepping user (timeline, downtimes, run, serve)."""

import ast
import os
from datetime import datetime, timedelta, timezone

import pytest

from tgmon.sim.simulation import Simulation

from helpers import ROOT

START = datetime(2026, 11, 16, 0, 0, tzinfo=timezone.utc)
S = timedelta(seconds=1)
H = timedelta(hours=1)

# (id, events at these offsets from START, until offset, expected (instant, quiet_until) offsets)
CASES = [
    ("no_events", [], 5 * H, [(0 * H, 5 * H)]),
    ("one_event", [2 * H], 5 * H, [(0 * H, 2 * H - S), (2 * H, 5 * H)]),
    ("event_at_until", [2 * H], 2 * H, [(0 * H, 2 * H - S), (2 * H, 2 * H)]),
    ("event_after_until", [6 * H], 5 * H, [(0 * H, 5 * H)]),
    ("two_at_one_instant", [1 * H, 1 * H, 3 * H], 4 * H,
     [(0 * H, 1 * H - S), (1 * H, 3 * H - S), (3 * H, 4 * H)]),
    ("event_at_start", [0 * H, 1 * H], 2 * H, [(0 * H, 0 * H - S), (0 * H, 1 * H - S),
                                                 (1 * H, 2 * H)]),
    ("until_before_start", [1 * H], -1 * H, [(0 * H, -1 * H)]),
]


@pytest.mark.parametrize("name, events, until, expected", CASES, ids=[c[0] for c in CASES])
def test_walk_steps_from_event_to_event(name, events, until, expected):
    sim = Simulation(START, timezone.utc)
    ran = []
    for offset in events:
        sim.at(START + offset, lambda at=offset: ran.append(sim.now - START))
    walked = []
    for instant, quiet_until in sim.walk(START + until):
        assert sim.now == instant                      # the events of instant have run
        assert all(at <= instant - START for at in ran)
        walked.append((instant - START, quiet_until - START))
    assert walked == expected
    assert ran == sorted(e for e in events if e <= until)


def test_an_event_added_on_the_way_is_walked_to():
    sim = Simulation(START, timezone.utc)
    sim.at(START + H, lambda: sim.at(START + 2 * H, lambda: None))
    assert [i - START for i, _ in sim.walk(START + 3 * H)] == [0 * H, H, 2 * H]


def test_only_the_simulation_steps_its_queue():
    """Nothing in tgmon/ but the simulation steps the event queue itself."""
    allowed = {os.path.join("tgmon", "sim", name) for name in ("engine.py", "simulation.py")}
    found = []
    for folder, _, files in os.walk(os.path.join(ROOT, "tgmon")):
        for name in files:
            path = os.path.join(folder, name)
            if not name.endswith(".py") or os.path.relpath(path, ROOT) in allowed:
                continue
            with open(path, encoding="utf-8") as handle:
                tree = ast.parse(handle.read())
            found += ["%s:%d" % (os.path.relpath(path, ROOT), node.lineno)
                      for node in ast.walk(tree)
                      if isinstance(node, ast.Attribute) and node.attr in ("next_time", "run_until")
                      and isinstance(node.value, ast.Attribute) and node.value.attr == "queue"]
    assert found == []

"""The metrics as a strict Prometheus consumer takes them (issue 23, points 1-3,
reviewed): no series twice in one exposition whatever the state lists, no instant
from the future exported as a fact, and tgmon_check_status the plugin's exit
code on every state the shipped scenarios pass through, at several instants."""

import os
from datetime import timedelta

import pytest

from tgmon.metrics import collect
from tgmon.metrics.exposition import exposition
from tgmon.sources.statedir import read_state
from tgmon.state import examples
from tgmon.state.freshness import FUTURE_TOLERANCE
from tgmon.state.layout import paths_for, write_state
from tgmon.state.model import Marker, Release

from helpers import DAY, NOW, ROOT, run_check
from promtext import parse, values

UPDATE_LOCK = frozenset({("flag", "update_lock")})


def text_of(state, now=NOW):
    return collect.metrics_text(collect.judge(state, now, "dir"))


# ---------------------------------------------------------------- one series once
def test_the_writer_never_writes_a_series_twice():
    twice = [((("version", "4.12"),), 1.0), ((("version", "4.12"),), 2.0),
             ((("version", "4.13"),), 3.0)]
    assert exposition([("m", "gauge", "h", twice)]) == (
        '# HELP m h\n# TYPE m gauge\nm{version="4.12"} 1.0\nm{version="4.13"} 3.0\n')


def test_two_label_values_that_escape_alike_are_one_series():
    """sanitize makes a line break a space and cuts at 200: the first one stays."""
    alike = [((("reason", "a\nb"),), 1), ((("reason", "a b"),), 2),
             ((("reason", "x" * 300),), 3), ((("reason", "x" * 201),), 4)]
    assert [s.value for s in parse(exposition([("m", "gauge", "h", alike)]))] == [1, 3]


def test_a_state_that_lists_a_release_twice_is_still_one_series_each():
    state = examples.build("healthy-single")
    offered = state.releases.available + (Release("4.13", NOW - DAY),) * 2
    samples = parse(text_of(state._replace(releases=state.releases._replace(
        available=offered))))
    assert values(samples, "tgmon_release_offered_timestamp_seconds")[
        frozenset({("version", "4.13")})] == (NOW - DAY).timestamp()


# ---------------------------------------------------------------- no fact from the future
@pytest.mark.parametrize("ahead, exported", [
    (0, True), (FUTURE_TOLERANCE, True), (FUTURE_TOLERANCE + 1, False), (DAY.total_seconds(),
                                                                       False)])
def test_a_marker_time_in_the_future_is_no_since(ahead, exported):
    """As the checks take it (freshness.known_since): set, since an unknown time."""
    state = examples.build("update-locked-cluster-node")
    since = NOW + timedelta(seconds=ahead)
    state = state._replace(flags=state.flags._replace(update_lock=Marker(True, since)))
    samples = parse(text_of(state))
    assert values(samples, "tgmon_flag_set")[UPDATE_LOCK] == 1
    assert values(samples, "tgmon_flag_set_timestamp_seconds").get(UPDATE_LOCK) == (
        since.timestamp() if exported else None)


# ---------------------------------------------------------------- verdicts = exit codes
SCENARIOS = os.path.join(ROOT, "scenarios")
# after the state was written: now, fresh, the last second within --max-age (30m), the first
# beyond it, a clock behind (the state from the future), days later
OFFSETS = (0, 600, 1800, 1801, -FUTURE_TOLERANCE - 1, 3 * 86400)


@pytest.mark.slow
@pytest.mark.parametrize("scenario_file", sorted(f for f in os.listdir(SCENARIOS)
                                                 if f.endswith(".yml")))
def test_check_status_is_the_plugins_exit_code_through_every_scenario(tmp_path,
                                                                     scenario_file):
    from tgmon.sim.scenario import load_scenario
    scenario = load_scenario(os.path.join(SCENARIOS, scenario_file))
    sim = scenario.build()
    compared = set()
    for step, (instant, _) in enumerate(sim.walk(scenario.end)):
        for name, node in sim.nodes.items():
            directory = str(tmp_path / ("%d-%s" % (step, name)))
            write_state(directory, node.snapshot())
            state = read_state(paths_for(directory))
            for offset in OFFSETS:
                now = instant + timedelta(seconds=offset)
                status = {dict(k)["check"]: v for k, v in values(
                    parse(text_of(state, now)), "tgmon_check_status").items()}
                for definition in collect.NODE_CHECKS:
                    code = run_check(definition, ["--state-dir", directory], now=now).code
                    assert status[definition.short_name] == code, (
                        instant.isoformat(), offset, name, definition.prog)
                    compared.add((definition.short_name, code))
    assert len({code for _, code in compared}) >= 3      # not only OK: a real comparison

"""The shipped example state dirs are valid and are what the generator writes."""

import os

import pytest

from tgmon.state import examples
from tgmon.state.schema import to_document, parse_status
from tgmon.sources.statedir import read_state
from tgmon.state.layout import paths_for
from tgmon.state.layout import MARKER_FILES, status_bytes
from helpers import ROOT

STATES = os.path.join(ROOT, "examples", "states")


def test_required_examples_ship():
    shipped = sorted(n for n in os.listdir(STATES) if os.path.isdir(os.path.join(STATES, n)))
    assert {"healthy-single", "healthy-cluster-node"} <= set(shipped)
    assert shipped == sorted(examples.EXAMPLES)


@pytest.mark.parametrize("name", sorted(examples.EXAMPLES))
def test_shipped_example_matches_generator(name):
    path = os.path.join(STATES, name)
    expected = examples.build(name)
    with open(os.path.join(path, "status.json"), "rb") as handle:
        assert handle.read() == status_bytes(expected), "run `make examples`"
    with open(os.path.join(path, examples.STAMP)) as handle:
        assert handle.read() == name + "\n", "run `make examples`"
    assert sorted(os.listdir(path)) == sorted(
        [examples.STAMP, "status.json"] + [filename for (field, filename), marker in zip(
            MARKER_FILES, expected.flags) if marker.is_set])
    state = read_state(paths_for(path))
    for flag, marker in expected.flags._asdict().items():
        got = getattr(state.flags, flag)
        assert (got.is_set, got.lines) == (marker.is_set, marker.lines)


@pytest.mark.parametrize("name", sorted(examples.EXAMPLES))
def test_document_round_trip(name):
    state = examples.build(name)
    document = to_document(state)
    again = parse_status(document, state.flags, state.origin)
    assert again == state
    assert to_document(again) == document


def test_healthy_examples_are_healthy():
    for name in ("healthy-single", "healthy-cluster-node"):
        state = examples.build(name)
        assert not any(marker.is_set for marker in state.flags)
        assert not state.maintenance.active
        assert state.releases.installed == max(r.version for r in state.releases.available)
    assert examples.build("healthy-cluster-node").node.role == "cluster-node"

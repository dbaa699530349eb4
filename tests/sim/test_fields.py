"""What a scenario's value is, in the words its errors use."""

import datetime

import pytest

from tgmon.sim.fields import kind_of

# (value, words)
CASES = [
    (None, "empty"),
    (True, "true/false"),
    (0, "a whole number"),
    (1.5, "a number"),
    ("x", "text"),
    ({}, "a mapping"),
    ([], "a list"),
    (datetime.date(2026, 11, 17), "a date value"),
    (b"\x00", "a bytes value"),
]


@pytest.mark.parametrize("value, words", CASES, ids=[c[1] for c in CASES])
def test_kind_of(value, words):
    assert kind_of(value) == words

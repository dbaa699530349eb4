"""Property tests: whatever the state files hold, every check answers in the
plugin API - exit code 0-3, a 'NAME STATE - text' first line, perfdata valid
under the Nagios perfdata grammar."""

import json
import os
import re
import shutil
import tempfile
from datetime import timedelta

from hypothesis import HealthCheck, given, settings, strategies as st

from tgmon import examples
from tgmon.checks.registry import all_checks
from tgmon.schema import to_document

from helpers import NOW, run_check

FIRST_LINE = re.compile(r"^[A-Z_]+ (OK|WARNING|CRITICAL|UNKNOWN) - \S.*$")
NUMBER = r"-?\d+(\.\d+)?"
RANGE = r"@?(~|%s)?(:(%s)?)?" % (NUMBER, NUMBER)
PERF = re.compile(r"^([^'= ]+|'[^'=]+')=%s(s|ms|us|%%|B|KB|MB|TB|c)?(;(%s)?){0,2}(;(%s)?){0,2}$"
                  % (NUMBER, RANGE, NUMBER))
SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20)

BASE = to_document(examples.build("update-locked-cluster-node", NOW))


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


PATHS = [p for p in _paths(BASE) if p]


def _replace(document, path, value):
    document = json.loads(json.dumps(document))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


def assert_plugin_api(outcome):
    assert outcome.code in (0, 1, 2, 3), outcome
    assert FIRST_LINE.match(outcome.text), outcome.text
    assert "Traceback" not in outcome.output
    assert "internal error" not in outcome.text, outcome.text   # bad input is no bug
    if outcome.perfdata:
        for item in outcome.perfdata.split(" "):
            assert PERF.match(item), item


def _check_all(state_dir):
    for definition in all_checks():
        source = "--node" if definition.scope == "cluster" else "--state-dir"
        assert_plugin_api(run_check(definition, [source, state_dir]))


class StateDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="tgmon-prop-")
        return self

    def write(self, name, data, mtime=None):
        path = os.path.join(self.path, name)
        with open(path, "wb") as handle:
            handle.write(data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))

    def __exit__(self, *exc):
        shutil.rmtree(self.path)


@SETTINGS
@given(json_values)
def test_any_json_document(value):
    with StateDir() as state:
        state.write("status.json", json.dumps(value).encode())
        _check_all(state.path)


@SETTINGS
@given(st.sampled_from(PATHS), json_values)
def test_any_field_of_a_valid_document_replaced(path, value):
    with StateDir() as state:
        state.write("status.json", json.dumps(_replace(BASE, path, value)).encode())
        _check_all(state.path)


@SETTINGS
@given(st.sampled_from(PATHS))
def test_any_field_removed(path):
    document = json.loads(json.dumps(BASE))
    target = document
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    with StateDir() as state:
        state.write("status.json", json.dumps(document).encode())
        _check_all(state.path)


marker_content = st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode))
marker_age = st.integers(-10**9, 10**9)


@SETTINGS
@given(st.dictionaries(st.sampled_from(["update-warn-flag", "update-lock", "reboot-required"]),
                       st.tuples(marker_content, marker_age)))
def test_any_marker_combination(markers):
    with StateDir() as state:
        state.write("status.json", json.dumps(BASE).encode())
        for name, (content, age) in markers.items():
            state.write(name, content, mtime=max(0, NOW.timestamp() - age))
        _check_all(state.path)


@SETTINGS
@given(st.integers(-10**6, 10**8), st.integers(-10**6, 10**8))
def test_any_timestamps(generated_offset, flag_age):
    generated = NOW - timedelta(seconds=generated_offset)
    document = _replace(BASE, ("generated",), generated.isoformat())
    with StateDir() as state:
        state.write("status.json", json.dumps(document).encode())
        state.write("update-lock", b"x\n", mtime=max(0, NOW.timestamp() - flag_age))
        _check_all(state.path)

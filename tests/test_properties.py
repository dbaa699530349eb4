"""Property tests: whatever the state files hold, every check answers in the
plugin API - exit code 0-3, a 'NAME STATE - text' first line, perfdata valid
under the Nagios perfdata grammar."""

import json
import os
import re
import shutil
import tempfile
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tgmon.state import examples
from tgmon.checks.registry import all_checks
from tgmon.options import default_settings, plugin_args
from tgmon.runtime.configure import options_from
from tgmon.state.schema import to_document

from helpers import NOW, run_check

pytestmark = pytest.mark.slow     # hundreds of generated cases: make test, not test-quick

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


# ------------------------------------------------------------------ the remote form
REMOTE = dict(BASE, flags={name: {"set": False, "since": None, "lines": []}
                           for name in ("warn_flag", "update_lock", "reboot_required")})
REMOTE_PATHS = [p for p in _paths(REMOTE) if p]


def _judge_everything(state):
    """Every judge on a state that was read: no exception, whatever the state holds."""
    from tgmon.state.model import ClusterView
    now = state.generated
    for definition in all_checks():
        subject = (ClusterView((("x", state),), (), now, "x") if definition.scope == "cluster"
                   else state)
        verdict = definition.judge(subject, default_settings(definition), now)
        assert verdict.findings


def _read_remote(document):
    from tgmon.errors import TgmonError
    from tgmon.sources.http import state_from_body
    try:
        state = state_from_body(json.dumps(document).encode(), "http://tg1:9740/v1/status")
    except TgmonError:
        return
    _judge_everything(state)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(REMOTE_PATHS), json_values)
def test_any_field_of_the_remote_document_replaced(path, value):
    _read_remote(_replace(REMOTE, path, value))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_remote_document(value):
    _read_remote(value)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(("warn_flag", "update_lock", "reboot_required")), json_values)
def test_any_flags_object(name, value):
    document = json.loads(json.dumps(REMOTE))
    document["flags"][name] = value
    _read_remote(document)


# ------------------------------------------------------------------ config shapes
def _option_names():
    names = set()
    for definition in all_checks():
        names |= set(plugin_args(definition))
    return sorted(names)


config_keys = st.sampled_from(_option_names() + ["files", "check_versions", "check_hotfix",
                                                 "check_tightgate", "check_cluster_updates",
                                                 "status", "warn_flag"]) | st.text(max_size=10)
config_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**12) | st.floats(allow_nan=True)
    | st.text(max_size=20) | st.sampled_from(["1h", "7d", "0", "warning", "/tmp", "@1:3"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(config_keys, children, max_size=3), max_leaves=12)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(config_keys, config_values, max_size=5))
def test_any_config_shape_is_taken_or_refused_by_name(document):
    import yaml
    from tgmon.errors import UsageError
    with StateDir() as state:
        path = os.path.join(state.path, "tgmon.yml")
        with open(path, "w") as handle:
            handle.write(yaml.safe_dump(document))
        for definition in all_checks():
            try:
                options_from(definition, ["--config", path])
            except UsageError as exc:
                assert str(exc).startswith("config %s" % path), str(exc)

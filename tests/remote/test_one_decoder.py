"""One decoder: a state dir read from its files and the same dir read over HTTP
(a real ``tgmon serve`` on 127.0.0.1) give equal States and equal plugin output;
what one route refuses, the other refuses in the same words."""

import json
import os

import pytest

from tgmon.checks.registry import SINGLE_NODE_CHECKS, TIGHTGATE
from tgmon.errors import SourceError
from tgmon.sources import HttpSettings
from tgmon.sources.http import read_url_state
from tgmon.sources.statedir import DEBIAN_REBOOT_BANNER, read_state
from tgmon.state import examples
from tgmon.state.fields import MAX_DOCUMENT_BYTES, MAX_MARKER_LINE, MAX_MARKER_LINES
from tgmon.state.layout import MARKER_FILES, paths_for, write_state
from tgmon.state.model import Marker

from helpers import run_check
from hostile.common import document, now, sparse
from .servers import Exporter

T = now()
HOUR = 3600
HTTP = HttpSettings(no_proxy=True, timeout=5)


@pytest.fixture(scope="module")
def exporter(tmp_path_factory):
    """One ``tgmon serve`` of one state dir, whose files each case replaces."""
    path = tmp_path_factory.mktemp("decoder") / "state"
    path.mkdir()
    running = Exporter("--state-dir", str(path))
    running.state_dir = path
    yield running
    assert running.stop() == 0


def fresh(path):
    """Empty the served dir (new files, so the exporter keeps no answer of the last case)."""
    for name in os.listdir(path):
        os.unlink(path / name)


# ------------------------------------------------------------------ setups
def example(name):
    return lambda path: write_state(str(path), examples.build(name, T))


def marker(filename, data, mtime=None, base="healthy-single", extra=None):
    """An example whose marker ``filename`` is set and then written over by hand:
    ``data`` its bytes, ``mtime`` its time (default: an hour ago, with a fraction
    of a second)."""
    def setup(path):
        state = examples.build(base, T)
        field = {name: field for field, name in MARKER_FILES}[filename]
        write_state(str(path), state._replace(flags=state.flags._replace(
            **{field: Marker(True, T, ())})))
        (path / filename).write_bytes(data)
        stamp = T.timestamp() - HOUR + 0.654321 if mtime is None else mtime
        os.utime(path / filename, (stamp, stamp))
        for name, content in (extra or {}).items():
            (path / name).write_bytes(content)
    return setup


def status(content, base=None):
    """A status.json (bytes, or a document), over the files of example ``base``."""
    def setup(path):
        if base:
            example(base)(path)
        data = content if isinstance(content, bytes) else json.dumps(content).encode()
        (path / "status.json").write_bytes(data)
    return setup


def huge_status(path):
    sparse(path / "status.json", 2 * MAX_DOCUMENT_BYTES)


HOSTILE = "tg\u202eevil\u009b31m\x1b[2J|x $HOME `id` <b>&amp; 'q' \"dq\" ~"
FUTURE = T.timestamp() + 70 * 365 * 86400
BEYOND_CALENDAR = 2 ** 40

# (id, setup): states both routes read, and must read alike
EQUAL_CASES = [("example_%s" % name, example(name)) for name in sorted(examples.EXAMPLES)] + [
    ("lock_time_with_fraction", marker("update-lock", b"set by hand\n")),
    ("lock_hostile_bytes", marker("update-lock", b"reason \xff\xfe\x1b[31m red | pipe\n"
                                  + HOSTILE.encode())),
    ("lock_blank_and_padded_lines", marker("update-lock", b"\n   \n  one  \n\n\ttwo\t\r\n")),
    ("lock_unicode_line_breaks", marker("update-lock", "a\u2028b\x1cc\x85d".encode())),
    ("lock_empty", marker("update-lock", b"")),
    ("lock_long_line", marker("update-lock", b"x" * (5 * MAX_MARKER_LINE) + b"\n")),
    ("reboot_5000_lines", marker("reboot-required",
                                 "".join("package-%d\n" % i for i in range(5000)).encode())),
    ("reboot_debian_native", marker("reboot-required", DEBIAN_REBOOT_BANNER.encode() + b"\n",
                                    extra={"reboot-required.pkgs": b"linux-image\nlibc6\n"
                                           b"linux-image\n" + b"p\n" * 100})),
    ("warn_flag_future", marker("update-warn-flag", b"clock ahead\n", mtime=FUTURE)),
    ("warn_flag_beyond_calendar", marker("update-warn-flag", b"x\n", mtime=BEYOND_CALENDAR)),
    ("hostile_text_fields", status(document("update-locked-cluster-node",
                                            last_update_run__message=HOSTILE,
                                            maintenance__reason=HOSTILE),
                                   base="update-locked-cluster-node")),
    ("unknown_fields_ignored", status(document(future_field={"nested": [1, 2, 3]}))),
]


@pytest.mark.parametrize("name, setup", EQUAL_CASES, ids=[c[0] for c in EQUAL_CASES])
def test_dir_and_http_give_equal_states_and_output(exporter, name, setup):
    fresh(exporter.state_dir)
    setup(exporter.state_dir)
    local = read_state(paths_for(str(exporter.state_dir)))
    remote = read_url_state(exporter.url(), HTTP)
    assert remote._replace(origin="") == local._replace(origin=""), name
    for definition in SINGLE_NODE_CHECKS + (TIGHTGATE,):
        by_dir = run_check(definition, ["-vv", "--state-dir", str(exporter.state_dir)], now=T)
        by_url = run_check(definition, ["-vv", "--url", exporter.url()], now=T)
        # -vv names the source; all else is the same
        shown = by_url.output.replace(exporter.url(), str(exporter.state_dir))
        assert (by_url.code, shown) == (by_dir.code, by_dir.output), definition.prog


def test_marker_bounds_hold_on_both_routes(exporter):
    """The cases above are not equal by accident: the bounds were applied."""
    fresh(exporter.state_dir)
    marker("reboot-required", "".join("p%d %s\n" % (i, "x" * 500) for i in range(100))
           .encode())(exporter.state_dir)
    for state in (read_state(paths_for(str(exporter.state_dir))),
                  read_url_state(exporter.url(), HTTP)):
        lines = state.flags.reboot_required.lines
        assert len(lines) == MAX_MARKER_LINES and lines[0] == ("p0 " + "x" * 500)[:MAX_MARKER_LINE]
        assert state.flags.reboot_required.since.microsecond == 0


# (id, setup, what both routes say is wrong)
REFUSED_CASES = [
    ("empty", status(b""), "is empty"),
    ("binary", status(bytes(range(256))), "is not UTF-8 text (binary or corrupted)"),
    ("byte_order_mark", status(b"\xef\xbb\xbf{}"), "it starts with a byte order mark"),
    ("truncated", status(json.dumps(document()).encode()[:-20]), "is not valid JSON"),
    ("nested", status(b"[" * 100000 + b"]" * 100000),
     "is nested too deeply: more than 1000 levels"),
    ("nan", status(json.dumps(document()).replace('"active_sessions": 17',
                                                   '"active_sessions": NaN').encode()),
     "NaN is not a JSON value"),
    ("digits_5000", status(json.dumps(document()).replace(
        '"active_sessions": 17', '"active_sessions": ' + "7" * 5000).encode()),
     "a number has more than 4300 digits"),
    ("huge", huge_status, "is 2097152 bytes, more than the 1048576 allowed"),
    ("top_list", status(b"[]"), "expected a JSON object at the top, got a list"),
    ("schema_foreign", status(document(schema="nagios/1")),
     "schema: expected 'tgmon/1', got 'nagios/1'"),
    ("schema_major_2", status(document(schema="tgmon/2")), "major version 2 is not supported"),
    ("name_too_long", status(document(node__name="n" * 5000)),
     "node.name: is 5000 characters, over the limit 128"),
    ("time_after_generated", status(document(
        update_server__last_successful_check="2099-01-01T00:00:00+01:00")),
     "update_server.last_successful_check: lies after generated (2099-01-01)"),
    ("node_missing", status(document(node=KeyError)), "node: required field is missing"),
    ("sessions_negative", status(document(active_sessions=-3)),
     "active_sessions: must be at least 0, got -3"),
]


@pytest.mark.parametrize("name, setup, words", REFUSED_CASES, ids=[c[0] for c in REFUSED_CASES])
def test_dir_and_http_refuse_alike(exporter, name, setup, words):
    fresh(exporter.state_dir)
    setup(exporter.state_dir)
    status_path = str(exporter.state_dir / "status.json")
    with pytest.raises(SourceError) as by_dir:
        read_state(paths_for(str(exporter.state_dir)))
    with pytest.raises(SourceError) as by_url:
        read_url_state(exporter.url(), HTTP)
    assert words in by_dir.value.cause, by_dir.value
    problem = by_dir.value.cause.split(status_path)[-1]   # the words after the file's name
    assert problem in by_url.value.cause, (by_dir.value, by_url.value)
    for argv in (["--state-dir", str(exporter.state_dir)], ["--url", exporter.url()]):
        outcome = run_check(TIGHTGATE, argv, now=T)
        assert outcome.code == 3 and outcome.text.startswith("TIGHTGATE UNKNOWN - "), outcome


def test_field_errors_name_the_same_fix(exporter):
    """A field the writer got wrong: both routes say to fix the writer."""
    fresh(exporter.state_dir)
    status(document(active_sessions="many"))(exporter.state_dir)
    errors = []
    for read in (lambda: read_state(paths_for(str(exporter.state_dir))),
                 lambda: read_url_state(exporter.url(), HTTP)):
        with pytest.raises(SourceError) as caught:
            read()
        errors.append(caught.value)
    assert [e.fix for e in errors] == ["fix the writer"] * 2
    assert all(e.cause.endswith("active_sessions: expected an integer, got a string")
               for e in errors), errors

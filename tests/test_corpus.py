"""The bad-input corpus: every case -> exit 3, one line naming the cause,
finished before -t + 1 s, no traceback. Each runs the installed plugin as a
monitoring core would."""

import json
import os
import socket
import struct
import subprocess
import sys
import time

import pytest

from tgmon import examples
from tgmon.schema import to_document
from tgmon.stateformat import write_state
from tgmon.timeutil import utcnow

from remote.servers import BlackHole, Exporter, RawServer, http_answer, self_signed

BIN = os.path.dirname(sys.executable)
TIMEOUT = 2
NOW = utcnow().astimezone(examples.CET).replace(microsecond=0)


def document(**changes):
    doc = to_document(examples.build("healthy-single", NOW))
    for path, value in changes.items():
        target = doc
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[key]
        if value is KeyError:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return doc


def status(content):
    """A state dir whose status.json holds ``content`` (bytes, str or a document)."""
    def setup(tmp, stack):
        path = tmp / "state"
        path.mkdir()
        data = content
        if isinstance(data, dict):
            data = json.dumps(data)
        if isinstance(data, str):
            data = data.encode()
        (path / "status.json").write_bytes(data)
        return ["--state-dir", str(path)]
    return setup


def healthy_dir(tmp):
    path = tmp / "state"
    write_state(str(path), examples.build("healthy-single", NOW))
    return path


def marker(kind):
    def setup(tmp, stack):
        path = healthy_dir(tmp)
        target = path / "update-lock"
        if kind == "directory":
            target.mkdir()
        elif kind == "dangling":
            os.symlink(path / "gone", target)
        elif kind == "loop":
            os.symlink(target, target)
        elif kind == "fifo":
            os.mkfifo(target)
        elif kind == "huge":
            with open(target, "wb") as handle:
                handle.truncate(10 * 1024 * 1024)
        elif kind == "socket":
            sock = socket.socket(socket.AF_UNIX)
            sock.bind(str(target))
            stack.append(sock.close)
        return ["--state-dir", str(path)]
    return setup


def layout(kind):
    def setup(tmp, stack):
        if kind == "missing":
            return ["--state-dir", str(tmp / "nope")]
        if kind == "empty":
            (tmp / "empty").mkdir()
            return ["--state-dir", str(tmp / "empty")]
        if kind == "file":
            (tmp / "file").write_text("x")
            return ["--state-dir", str(tmp / "file")]
        path = healthy_dir(tmp)
        status_path = path / "status.json"
        os.unlink(status_path)
        if kind == "status_dir":
            status_path.mkdir()
        elif kind == "status_loop":
            os.symlink(status_path, status_path)
        elif kind == "status_dangling":
            os.symlink(path / "gone.json", status_path)
        elif kind == "status_fifo":
            os.mkfifo(status_path)
        elif kind == "huge":
            with open(status_path, "wb") as handle:
                handle.truncate(50 * 1024 * 1024)
        return ["--state-dir", str(path)]
    return setup


def server(respond):
    def setup(tmp, stack):
        srv = RawServer(respond)
        stack.append(srv.close)
        return ["--url", srv.url()]
    return setup


def answer(status_line, body, content_type="application/json", extra=""):
    return server(lambda conn, path, srv: conn.sendall(
        http_answer(status_line, body, content_type, extra)))


def redirect_loop(conn, path, srv):
    conn.sendall(http_answer("301 Moved Permanently", b"", extra="Location: %s\r\n" % srv.url()))


def reset(conn, path, srv):
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def drip(conn, path, srv):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(200):
        conn.sendall(b" ")
        time.sleep(0.1)


def truncated(conn, path, srv):
    body = json.dumps(document()).encode()
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (len(body) + 100) + body)


def black_hole(tmp, stack):
    hole = BlackHole()
    stack.append(hole.close)
    return ["--url", hole.url()]


def refused(tmp, stack):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return ["--url", "http://127.0.0.1:%d/v1/status" % port]


def bad_certificate(tmp, stack):
    cert, key = self_signed(str(tmp))
    exporter = Exporter("--state-dir", str(healthy_dir(tmp)), "--tls-cert", cert, "--tls-key", key)
    stack.append(exporter.stop)
    return ["--url", exporter.url()]


def token_needed(tmp, stack):
    token = tmp / "token"
    token.write_text("right\n")
    exporter = Exporter("--state-dir", str(healthy_dir(tmp)), "--token-file", str(token))
    stack.append(exporter.stop)
    return ["--url", exporter.url()]


def options(*argv):
    return lambda tmp, stack: list(argv)


def unreadable_token(tmp, stack):
    return ["--url", "http://127.0.0.1:1/v1/status", "--token-file", str(tmp / "none")]


NESTED = "[" * 200000 + "]" * 200000
CASES = [
    # status.json content
    ("empty", status(b""), "is empty"),
    ("whitespace", status(b" \n\t"), "is empty"),
    ("truncated", status(json.dumps(document())[:-30]), "is not valid JSON"),
    ("binary", status(bytes(range(256)) * 4), "is not UTF-8 text"),
    ("utf16", status(json.dumps(document()).encode("utf-16")), "is not UTF-8 text"),
    ("deeply_nested", status(NESTED), "nested too deeply"),
    ("nested_in_field", status(json.dumps(document(node={"a": [[[[[[[]]]]]]]}))),
     "node.role: required field is missing"),
    ("top_list", status("[]"), "expected a JSON object at the top, got a list"),
    ("top_string", status('"tgmon"'), "expected a JSON object at the top, got a string"),
    ("top_number", status("42"), "expected a JSON object at the top, got a number"),
    ("top_null", status("null"), "expected a JSON object at the top, got null"),
    ("nan", status(json.dumps(document()).replace('"active_sessions": 17', '"active_sessions": NaN')),
     "active_sessions: expected an integer, got a number"),
    ("no_schema", status(document(schema=KeyError)), "schema: expected 'tgmon/1', got None"),
    ("schema_major_2", status(document(schema="tgmon/2")), "major version 2 is not supported"),
    ("schema_foreign", status(document(schema="nagios/1")), "expected 'tgmon/1', got 'nagios/1'"),
    ("schema_no_version", status(document(schema="tgmon")), "expected 'tgmon/1', got 'tgmon'"),
    ("schema_number", status(document(schema=1)), "expected 'tgmon/1', got 1"),
    ("no_generated", status(document(generated=KeyError)), "generated: required field is missing"),
    ("no_node", status(document(node=KeyError)), "node: required field is missing"),
    ("no_releases", status(document(releases=KeyError)), "releases: required field is missing"),
    ("no_update_server", status(document(update_server=KeyError)), "update_server: required"),
    ("no_hotfixes", status(document(hotfixes=KeyError)), "hotfixes: required field is missing"),
    ("no_schedule", status(document(schedule=KeyError)), "schedule: required field is missing"),
    ("no_maintenance", status(document(maintenance=KeyError)), "maintenance: required"),
    ("no_sessions", status(document(active_sessions=KeyError)), "active_sessions: required"),
    ("no_node_name", status(document(node__name=KeyError)), "node.name: required field is missing"),
    ("cluster_node_without_cluster", status(document(node__role="cluster-node")),
     "node.cluster: a cluster-node needs the cluster name"),
    ("generated_number", status(document(generated=1763182800)),
     "generated: expected a string, got a number"),
    ("node_string", status(document(node="tg1")), "node: expected an object, got a string"),
    ("role_number", status(document(node__role=1)), "node.role: expected a string, got a number"),
    ("available_object", status(document(releases__available={})),
     "releases.available: expected a list, got an object"),
    ("active_yes", status(document(schedule__update__active="yes")),
     "schedule.update.active: expected true/false, got a string"),
    ("sessions_float", status(document(active_sessions=1.5)),
     "active_sessions: expected an integer, got a number"),
    ("sessions_negative", status(document(active_sessions=-3)), "must be at least 0, got -3"),
    ("maintenance_active_null", status(document(maintenance__active=None)),
     "maintenance.active: must not be null"),
    ("version_garbage", status(document(releases__installed="latest")),
     "releases.installed: expected e.g. 4.11, got 'latest'"),
    ("naive_generated", status(document(generated="2026-11-22T03:00:00")), "has no UTC offset"),
    ("naive_release", status(document(releases__available=[
        {"version": "4.12", "released": "2026-11-20T10:00:00"}])),
     "releases.available[0].released: '2026-11-20T10:00:00' has no UTC offset"),
    ("impossible_date", status(document(generated="2026-02-30T03:00:00+01:00")),
     "is not an ISO-8601 timestamp"),
    ("impossible_hour", status(document(generated="2026-11-22T25:00:00+01:00")),
     "is not an ISO-8601 timestamp"),
    ("year_zero", status(document(generated="0000-01-01T00:00:00+00:00")),
     "is not an ISO-8601 timestamp"),
    ("generated_future", status(document(generated="2099-01-01T00:00:00+01:00")),
     "in the future; fix the clock (NTP)"),
    ("generated_stale", status(document(generated="2020-01-01T00:00:00+01:00")),
     "is stale: generated 2020-01-01"),
    ("clock_bad", status(document(schedule__download__start="1:30")),
     "schedule.download.start: expected e.g. 01:00, got '1:30'"),
    ("weekday_bad", status(document(schedule__update__weekday="Tuesday")),
     "schedule.update.weekday: expected one of monday"),
    # markers
    ("marker_directory", marker("directory"), "is not a regular file"),
    ("marker_dangling", marker("dangling"), "is a dangling symlink"),
    ("marker_loop", marker("loop"), "is a symlink loop"),
    ("marker_fifo", marker("fifo"), "is not a regular file"),
    ("marker_socket", marker("socket"), "is not a regular file"),
    ("marker_huge", marker("huge"), "more than the 65536 a state can be"),
    # the state dir
    ("dir_missing", layout("missing"), "does not exist"),
    ("dir_empty", layout("empty"), "the state file"),
    ("dir_is_file", layout("file"), "is not a directory"),
    ("status_is_dir", layout("status_dir"), "is not a regular file"),
    ("status_loop", layout("status_loop"), "is a symlink loop"),
    ("status_dangling", layout("status_dangling"), "does not exist"),
    ("status_fifo", layout("status_fifo"), "is not a regular file"),
    ("status_huge", layout("huge"), "more than the 4194304 a state can be"),
    # HTTP
    ("http_500", answer("500 Internal Server Error", b'{"error": "boom"}'), "answered HTTP 500: boom"),
    ("http_503_text", answer("503 Service Unavailable", b"busy", "text/plain"),
     "answered HTTP 503"),
    ("http_401", token_needed, "refused access (HTTP 401)"),
    ("http_403", answer("403 Forbidden", b"{}"), "refused access (HTTP 403)"),
    ("http_404", answer("404 Not Found", b"{}"), "not found (HTTP 404)"),
    ("http_redirect_loop", server(redirect_loop), "redirects more than 5 times"),
    ("http_not_json", answer("200 OK", b"<html>proxy login</html>", "text/html"),
     "is not valid JSON"),
    ("http_empty_body", answer("200 OK", b""), "is empty"),
    ("http_no_flags", answer("200 OK", json.dumps(document()).encode()),
     "flags: required field is missing"),
    ("http_truncated", server(truncated), "was cut off"),
    ("http_slow_drip", server(drip), "timed out after 2 s"),
    ("http_black_hole", black_hole, "did not answer within"),
    ("http_reset", server(reset), "cannot reach"),
    ("http_refused", refused, "Connection refused"),
    ("http_bad_certificate", bad_certificate, "TLS verification of"),
    ("http_token_file_missing", unreadable_token, "cannot read token file"),
    # options
    ("opt_unknown", options("--frobnicate"), "bad option: unrecognized arguments: --frobnicate"),
    ("opt_timeout_zero", options("-t", "0"), "must be between 0 and 3600 seconds"),
    ("opt_duration", options("--max-age", "a while"), "is not a duration"),
    ("opt_severity", options("--warn-flag-severity", "panic"), "is not a state"),
    ("opt_url_and_dir", options("--url", "http://x", "--state-dir", "/x"), "not allowed with"),
    ("opt_config_missing", options("--config", "/nonexistent/tgmon.yml"), "cannot read config"),
]


@pytest.mark.parametrize("name, setup, cause", CASES, ids=[c[0] for c in CASES])
def test_bad_input(tmp_path, name, setup, cause):
    stack = []
    try:
        argv = setup(tmp_path, stack)
        started = time.monotonic()
        result = subprocess.run([os.path.join(BIN, "check_versions"), "-t", str(TIMEOUT)] + argv,
                                capture_output=True, text=True, timeout=30)
        elapsed = time.monotonic() - started
    finally:
        for cleanup in stack:
            cleanup()
    assert result.returncode == 3, result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert lines[0].startswith("VERSIONS UNKNOWN - "), lines[0]
    assert cause in lines[0], lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert elapsed < TIMEOUT + 1, elapsed


def test_corpus_is_large_enough():
    assert len(CASES) >= 60

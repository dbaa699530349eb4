"""``tgmon serve`` under abuse: raw sockets on 127.0.0.1 against the real exporter.

Class 7 of issue 10: TLS handshakes never block the acceptor, a bounded pool,
long request lines 414, errors close the connection, bad state bytes 503 -
and through it all, a legitimate client keeps being answered.
"""

import json
import os
import signal
import socket
import ssl
import time

import pytest

from remote.servers import Exporter, make_certificate

from .common import document, state_dir, write
from .harness import assert_clean, run_plugin

# the corpus runs every case as a real process: make test, not test-quick
pytestmark = pytest.mark.slow


def connect(exporter, tls=False):
    sock = socket.create_connection(("127.0.0.1", exporter.port), timeout=10)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        sock = context.wrap_socket(sock)
    return sock


def exchange(exporter, data, tls=False, read_timeout=10):
    """Send ``data``; everything the exporter answers until it closes."""
    sock = connect(exporter, tls)
    sock.settimeout(read_timeout)
    try:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        sock.close()


def statuses(answer):
    import re
    return [int(code) for code in re.findall(rb"(?:^|\n)HTTP/1\.1 (\d{3}) ", answer)]


@pytest.fixture
def exporter(tmp_path):
    path = state_dir(tmp_path)
    running = Exporter("--state-dir", str(path))
    running.state_dir = path
    yield running
    assert running.stop() == 0
    assert not any("Traceback" in line for line in running.log), running.log


@pytest.fixture
def tls_exporter(tmp_path):
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1")
    running = Exporter("--state-dir", str(state_dir(tmp_path)), "--tls-cert", cert,
                       "--tls-key", key)
    running.ca = cert
    yield running
    assert running.stop() == 0
    assert not any("Traceback" in line for line in running.log), running.log


GET = b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n"

# (id, request bytes, the statuses answered before the connection closed)
REQUESTS = [
    ("line_10k", b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\n\r\n", [414]),
    ("line_1m_no_newline", b"GET /" + b"a" * 1000000, [414]),
    ("headers_40", b"GET /v1/status HTTP/1.1\r\n" + b"X-A: b\r\n" * 40 + b"\r\n", [431]),
    ("header_20k", b"GET /v1/status HTTP/1.1\r\nX-A: " + b"b" * 20000 + b"\r\n\r\n", [431]),
    ("post_smuggles_a_get", b"POST /v1/status HTTP/1.1\r\nContent-Length: 38\r\n\r\n" + GET, [405]),
    ("get_with_body_smuggles", b"GET /v1/status HTTP/1.1\r\nContent-Length: 38\r\n\r\n" + GET,
     [413]),
    ("chunked_body", b"GET /v1/status HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
     + GET, [413]),
    ("two_lengths", b"GET /v1/status HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n",
     [400]),
    ("malformed_line", b"GARBAGE\r\n\r\n", [400]),
    ("http_2", b"GET /v1/status HTTP/2.0\r\n\r\n", [505]),
    ("non_ascii_line", b"GET /\xff\xfe HTTP/1.1\r\n\r\n", [400]),
    ("header_without_colon", b"GET /v1/status HTTP/1.1\r\nnocolon\r\n\r\n", [400]),
    ("space_before_colon", b"GET /v1/status HTTP/1.1\r\nHost : x\r\n\r\n", [400]),
    ("unknown_method", b"BREW /v1/status HTTP/1.1\r\n\r\n", [405]),
    ("absolute_form", b"GET http://evil/v1/status HTTP/1.1\r\n\r\n", [404]),
    ("traversal", b"GET /../status.json HTTP/1.1\r\n\r\n", [404]),
    ("binary_authorization", b"GET /v1/status HTTP/1.1\r\nAuthorization: \xff\xfe\x00\r\n"
     b"Connection: close\r\n\r\n",
     [200]),
    ("pipelined_two", GET + b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", [200, 200]),
    ("head", b"HEAD /v1/status HTTP/1.1\r\nConnection: close\r\n\r\n", [200]),
    ("http_1_0_closes", b"GET /healthz HTTP/1.0\r\n\r\n" + GET, [200]),
]


@pytest.mark.parametrize("name, data, expected", REQUESTS, ids=[r[0] for r in REQUESTS])
def test_a_hostile_request_gets_one_answer_and_no_traceback(exporter, name, data, expected):
    answer = exchange(exporter, data)
    assert statuses(answer) == expected, answer[:300]
    if name == "head":
        assert answer.endswith(b"\r\n\r\n")     # headers only
    # and the exporter still answers everyone else
    assert statuses(exchange(exporter, b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")) \
        == [200]


def test_idle_connections_cost_no_worker(exporter):
    idle = [connect(exporter) for _ in range(200)]
    try:
        started = time.monotonic()
        for _ in range(20):
            assert statuses(exchange(exporter, b"GET /v1/status HTTP/1.1\r\n"
                                               b"Connection: close\r\n\r\n")) == [200]
        assert time.monotonic() - started < 5
    finally:
        for sock in idle:
            sock.close()


def test_idle_tls_connections_neither_block_others_nor_stop(tls_exporter):
    """A client that connects and never sends its TLS hello used to stop everyone."""
    idle = [socket.create_connection(("127.0.0.1", tls_exporter.port)) for _ in range(50)]
    try:
        run = run_plugin("check_versions", ["-t", "2", "--url", tls_exporter.url(),
                                            "--ca-file", tls_exporter.ca])
        assert_clean(run, 2)
        assert run.code == 0, run
        started = time.monotonic()
        tls_exporter.process.send_signal(signal.SIGTERM)
        assert tls_exporter.process.wait(5) == 0
        assert time.monotonic() - started < 2
    finally:
        for sock in idle:
            sock.close()


def test_a_slow_head_is_cut_and_closed(exporter):
    sock = connect(exporter)
    sock.settimeout(15)
    try:
        sock.sendall(b"GET /v1/status HTTP/1.1\r\n")
        started = time.monotonic()
        answer = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        assert statuses(answer) == [408]
        assert time.monotonic() - started < 8
    finally:
        sock.close()


def test_connections_beyond_the_cap_are_closed_when_all_are_busy(tmp_path):
    """(Idle connections at the cap make room instead: test_daemon_requests.py.)"""
    from .daemon import large_state_dir
    running = Exporter("--state-dir", str(large_state_dir(tmp_path)), "--max-connections", "10",
                       "--workers", "2")
    try:
        held = []
        for _ in range(10):     # each waits for the client to take a large answer
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", running.port))
            sock.sendall(GET * 4)
            held.append(sock)
        time.sleep(0.3)
        extra = connect(running)
        extra.settimeout(5)
        assert extra.recv(100) == b""          # closed at once, not queued forever
        extra.close()
        for sock in held:
            sock.close()
        time.sleep(0.3)
        assert statuses(exchange(running, b"GET /healthz HTTP/1.1\r\nConnection: close"
                                          b"\r\n\r\n")) == [200]
    finally:
        assert running.stop() == 0


def test_a_state_with_bad_bytes_is_a_503_with_an_error_json(exporter):
    with open(os.path.join(exporter.state_dir, "status.json"), "wb") as handle:
        handle.write(b'{"schema": "tgmon/1", "x": "\xff\xfe"}')
    answer = exchange(exporter, b"GET /v1/status HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert statuses(answer) == [503]
    error = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert "is not UTF-8 text" in error["error"]
    assert statuses(exchange(exporter, b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")) \
        == [503]        # never "ok" while /v1/status cannot be served


def test_lone_surrogates_in_a_state_still_give_valid_json(exporter):
    doc = document()
    doc["node"]["name"] = "tg\ud800"
    with open(os.path.join(exporter.state_dir, "status.json"), "w") as handle:
        handle.write(json.dumps(doc))          # the JSON text holds the escape
    answer = exchange(exporter, b"GET /v1/status HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert statuses(answer) == [200]
    payload = answer.split(b"\r\n\r\n", 1)[1]
    payload.decode("ascii")                     # JSON answers are ASCII
    assert json.loads(payload)["node"]["name"] == "tg\ud800"


def test_many_short_connections_and_resets(exporter):
    import struct
    for _ in range(300):
        sock = connect(exporter)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.sendall(b"GET /v1/sta")
        sock.close()
    assert statuses(exchange(exporter, b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")) \
        == [200]


def test_token_comparison_survives_any_bytes(tmp_path):
    token = write(tmp_path / "token", "s3cr3t\n")
    running = Exporter("--state-dir", str(state_dir(tmp_path)), "--token-file", token)
    try:
        for header in (b"Bearer \xff\xfe", b"Bearer s3cr3t\x00", b"Basic czNjcjN0",
                       b"Bearer " + b"a" * 8000):
            answer = exchange(running, b"GET /v1/status HTTP/1.1\r\nAuthorization: " + header
                              + b"\r\nConnection: close\r\n\r\n")
            assert statuses(answer) == [401], (header, answer[:200])
        good = exchange(running, b"GET /v1/status HTTP/1.1\r\nAuthorization: Bearer s3cr3t\r\n"
                                 b"Connection: close\r\n\r\n")
        assert statuses(good) == [200]
    finally:
        assert running.stop() == 0
    assert not any("s3cr3t" in line for line in running.log)


def count_by_class():
    return {"7": len(REQUESTS) + 8}

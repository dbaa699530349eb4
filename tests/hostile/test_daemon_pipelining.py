"""Issue 18, class 9: pipelined requests to ``tgmon serve`` are all answered, in order.

A client may send many requests before it reads an answer. Each gets its
answer in the order sent - a HEAD one without a body - or the connection is
closed after the answer where the protocol says so (Connection: close,
HTTP/1.0, an error): never a stall, whether the requests come in one write,
a byte at a time, over TLS, or beyond what one worker serves in a turn.
"""

import json
import socket
import ssl
import time

import pytest

from remote.servers import make_certificate

from .common import state_dir
from .daemon import Daemon, answers, large_state_dir, log_is_clean

pytestmark = pytest.mark.slow
HANG_GUARD = 5.0


def request(method="GET", path="/v1/status", extra=""):
    return ("%s %s HTTP/1.1\r\nHost: t\r\n%s\r\n" % (method, path, extra)).encode()


STATE, OK, NONE, ERROR = "state", "ok", "-", "error"
GET_STATE, GET_OK = request(), request(path="/healthz")
HEAD_STATE = request("HEAD")

# (id, requests, [(status, what the body is)] in order, closed after, how it is sent)
CASES = [
    ("two_gets", [GET_STATE, GET_OK], [(200, STATE), (200, OK)], False, "at_once"),
    ("150_beyond_one_workers_turn", [GET_OK] * 150, [(200, OK)] * 150, False, "at_once"),
    ("1000_alternating", [GET_OK, GET_STATE] * 500, [(200, OK), (200, STATE)] * 500, False,
     "at_once"),
    ("head_then_get", [HEAD_STATE, GET_OK], [(200, NONE), (200, OK)], False, "at_once"),
    ("get_head_get", [GET_OK, HEAD_STATE, GET_STATE], [(200, OK), (200, NONE), (200, STATE)],
     False, "at_once"),
    ("120_heads", [HEAD_STATE] * 120, [(200, NONE)] * 120, False, "at_once"),
    ("close_in_the_middle", [GET_OK, request(extra="Connection: close\r\n"), GET_OK],
     [(200, OK), (200, STATE)], True, "at_once"),
    ("garbage_in_the_middle", [GET_OK, b"GARBAGE\r\n\r\n", GET_OK], [(200, OK), (400, ERROR)],
     True, "at_once"),
    ("not_found_in_the_middle", [GET_OK, request(path="/nope"), GET_OK],
     [(200, OK), (404, ERROR)], True, "at_once"),
    ("post_in_the_middle", [GET_OK, request("POST"), GET_OK], [(200, OK), (405, ERROR)], True,
     "at_once"),
    ("http_1_0_first", [GET_OK.replace(b"HTTP/1.1", b"HTTP/1.0"), GET_OK], [(200, OK)], True,
     "at_once"),
    ("three_a_byte_at_a_time", [GET_OK, HEAD_STATE, GET_STATE],
     [(200, OK), (200, NONE), (200, STATE)], False, "bytewise"),
    ("ten_split_across_writes", [GET_OK, GET_STATE] * 5, [(200, OK), (200, STATE)] * 5, False,
     "split"),
    ("three_then_half_closed", [GET_OK] * 3, [(200, OK)] * 3, True, "half_close"),
    ("tls_150_beyond_one_turn", [GET_OK] * 150, [(200, OK)] * 150, False, "tls"),
    ("tls_head_then_get", [HEAD_STATE, GET_STATE], [(200, NONE), (200, STATE)], False, "tls"),
]


def send(sock, data, how):
    if how == "bytewise":
        for index in range(len(data)):
            sock.send(data[index:index + 1])
            time.sleep(0.001)
    elif how == "split":
        for start in range(0, len(data), 37):
            sock.send(data[start:start + 37])
            time.sleep(0.01)
    else:
        sock.sendall(data)
        if how == "half_close":
            sock.shutdown(socket.SHUT_WR)


def body_kind(body):
    if not body:
        return NONE
    document = json.loads(body)
    if "error" in document:
        return ERROR
    return OK if document == {"status": "ok", "state": "readable"} else STATE


@pytest.fixture(scope="module")
def daemons(tmp_path_factory):
    """One plain and one TLS exporter for the whole table (their logs checked at the end)."""
    tmp = tmp_path_factory.mktemp("pipelining")
    cert, key = str(tmp / "cert.pem"), str(tmp / "key.pem")
    make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1")
    running = {"plain": Daemon("--state-dir", str(state_dir(tmp))),
               "tls": Daemon("--state-dir", str(state_dir(tmp)), "--tls-cert", cert,
                             "--tls-key", key)}
    yield running
    for daemon in running.values():
        code, took = daemon.stop()
        assert code == 0 and took < 2
        log_is_clean(daemon.lines)


@pytest.mark.parametrize("name, sent, expected, closed, how", CASES, ids=[c[0] for c in CASES])
def test_pipelined_requests_are_answered_in_order(daemons, name, sent, expected, closed, how):
    daemon = daemons["tls" if how == "tls" else "plain"]
    started = time.monotonic()
    sock = daemon.connect()
    if how == "tls":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        sock = context.wrap_socket(sock)
    try:
        send(sock, b"".join(sent), how)
        methods = [r.split(b" ", 1)[0].decode() for r in sent][:len(expected)]
        found, was_closed = answers(sock, methods, timeout=HANG_GUARD)
    finally:
        sock.close()
    assert [(status, body_kind(body)) for status, _, body in found] == expected
    for (status, headers, body), method, asked in zip(found, methods, sent):
        ends = status >= 400 or b"Connection: close" in asked or b"HTTP/1.0" in asked
        assert headers["Connection"] == ("close" if ends else "keep-alive")
        if method == "HEAD":       # the length of the body a GET gets, and no body
            assert int(headers["Content-Length"]) > 100 and body == b""
    assert was_closed == closed
    assert time.monotonic() - started < HANG_GUARD + 1


def test_large_pipelined_answers_to_a_slow_reader_all_arrive_in_order(tmp_path):
    """20 answers of ~850 KB to a client that reads slowly: the exporter writes what the
    client takes, keeps the rest, and never mixes or loses one."""
    daemon = Daemon("--state-dir", str(large_state_dir(tmp_path)))
    try:
        with daemon.connect(rcvbuf=8192) as sock:
            sock.sendall((GET_STATE + GET_OK) * 10)
            time.sleep(1)                    # the exporter finds the client not reading
            found, was_closed = answers(sock, ["GET"] * 20, timeout=HANG_GUARD)
        assert [(status, body_kind(body)) for status, _, body in found] == \
            [(200, STATE), (200, OK)] * 10
        assert len({body for _, _, body in found[::2]}) == 1 and not was_closed
        assert len(found[0][2]) > 800 * 1024
    finally:
        code, took = daemon.stop()
    assert code == 0 and took < 2
    log_is_clean(daemon.lines)


def count_by_class():
    return {"9": len(CASES) + 1}

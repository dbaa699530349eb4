"""Hostile answers to tgmon downtimes sync from something at --icinga-url: real TLS
sockets on 127.0.0.1 that lie, drip, flood or never answer. The promise of a
tool (not a plugin): exit 2, one line on stderr naming cause and fix, within
-t, bounded memory, never the password, nothing changed.

Classes (issue 10): 1 everything under -t, 2 bounded reading, 5 safe output,
6 every error names its cause. The answers made of the smallest objects JSON has,
up to the size bound, are review finding 8: bounded in memory too (MAX_RSS_KB).
"""

import pytest

from tgmon.cores.httpjson import MAX_ANSWER, MAX_OBJECTS, MAX_RESULTS
from tgmon.state import examples
from tgmon.state.layout import write_state
from tgmon.state.model import PlannedMaintenance

from .common import now, write
from .fakecores import request_body
from .harness import MAX_RSS_KB, SECRETS, TGMON, run_plugin
from .test_http_client import Server, answer, drip_body, drip_headers, endless_chunks, raw, \
    tls_context

# the corpus runs every case as a real process: make test, not test-quick
pytestmark = pytest.mark.slow

TIMEOUT = 2
PASSWORD = SECRETS[3]


def after_body(respond):
    """Read the sync's question first (a reset connection is not the case tested)."""
    def serve(conn, request, srv):
        request_body(conn, request)
        respond(conn, request, srv)
    return serve


def flood(conn, request, srv):
    """40 MB of chunks, more than any answer the sync reads (MAX_ANSWER)."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (1 << 20, b" " * (1 << 20))
    for _ in range(40):
        conn.sendall(chunk)


def filled(item, size=MAX_ANSWER):
    """{"results": [item, item, ...]} of ``size`` bytes, the smallest objects JSON has."""
    frame = b'{"results": [%s""]}'
    return frame % (item * ((size - len(frame) + 2) // len(item))).ljust(
        size - len(frame) + 2, b" ")


CASES = [
    # (name, classes, respond, words)
    ("not_json", "6", answer("200 OK", b"<html>hello</html>", "text/html"), "without JSON"),
    ("json_not_object", "6", answer("200 OK", b"[1, 2]"), "with no results"),
    ("results_not_list", "6", answer("200 OK", b'{"results": {"a": 1}}'),
     "without a list of results"),
    ("results_of_garbage", "6", answer("200 OK", b'{"results": [1, "x"]}'),
     "without a list of results"),
    ("deeply_nested", "2", answer("200 OK", b"[" * 100000 + b"]" * 100000),
     "answered more than %d objects" % MAX_OBJECTS),
    ("deeply_nested_within_the_object_bound", "2",
     answer("200 OK", b"[" * MAX_OBJECTS + b"]" * MAX_OBJECTS), "without JSON"),
    ("tiny_objects", "2", answer("200 OK", filled(b"{},")),
     "answered more than %d objects" % MAX_OBJECTS),
    ("nested_lists", "2", answer("200 OK", filled(b"[[[[[[[[[[]]]]]]]]]],")),
     "answered more than %d objects" % MAX_OBJECTS),
    ("tiny_strings_up_to_the_size_bound", "2", answer("200 OK", filled(b'"ab",')),
     "without a list of results"),
    ("floats_up_to_the_size_bound", "2", answer("200 OK", filled(b"1.5,")),
     "without a list of results"),
    ("more_results_than_the_bound", "2", answer("200 OK", b'{"results": [%s]}' % b",".join(
        [b'{"name": "x"}'] * (MAX_RESULTS + 1))), "answered more than %d objects" % MAX_RESULTS),
    ("thirty_megabytes_of_objects", "2", answer("200 OK", filled(
        b'{"name": "a", "attrs": {"x": [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]}},', 30 << 20)),
     "sent more than %d bytes - sync fewer nodes per run" % MAX_ANSWER),
    ("one_byte_over_the_size_bound", "2", answer("200 OK", filled(b" ", MAX_ANSWER + 1)),
     "sent more than %d bytes" % MAX_ANSWER),
    ("flood", "2", flood, "sent more than"),
    ("flood_cut_off", "2", endless_chunks, "broke off"),
    ("drip_headers", "1", drip_headers, "within -t"),
    ("drip_body", "1", drip_body, "within -t"),
    ("redirect", "6", answer("302 Found", b"", extra="Location: https://evil.example/\r\n"),
     "redirects elsewhere (HTTP 302), tgmon follows none"),
    ("server_error_with_hostile_text", "5",
     answer("500 Internal Server Error",
            b'{"error": 500, "status": "boom\\u001b[2J; $(rm -rf /) \\n second line"}'),
     "answered HTTP 500: boom"),
    ("server_error_though_every_result_says_done", "5",
     answer("500 Internal Server Error", b'{"results": [{"code": 200, "status": "done"}]}'),
     "answered HTTP 500, yet no result says what failed"),
    ("unauthorized", "6", answer("401 Unauthorized", b'{"error": 401}'), "(HTTP 401)"),
    ("forbidden", "6", answer("403 Forbidden", b'{"error": 403}'), "(HTTP 403)"),
    ("cut_off", "6", raw(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"results\": ["),
     "without JSON"),
]


@pytest.mark.parametrize("name, classes, respond, words", CASES, ids=[c[0] for c in CASES])
def test_hostile_icinga_answers(short_tmp, name, classes, respond, words):
    context, ca = tls_context(short_tmp, "good")
    server = Server(after_body(respond), context)
    try:
        node = short_tmp / "tg-node1"      # the name the node calls itself
        state = examples.build("healthy-cluster-node", now())
        start = now() + examples.HOUR
        write_state(str(node), state._replace(maintenance=state.maintenance._replace(
            planned=PlannedMaintenance(start, start + examples.HOUR, "disk swap"))))
        password = short_tmp / "password"
        write(password, PASSWORD + "\n", 0o600)
        run = run_plugin(TGMON, ["downtimes", "sync", "-t", str(TIMEOUT), "--node", str(node),
                                 "--icinga-url", "https://127.0.0.1:%d" % server.port,
                                 "--icinga-user", "tgmon", "--icinga-password-file",
                                 str(password), "--icinga-ca-file", ca])
    finally:
        server.close()
    assert run.code == 2, run
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and words in lines[0], run
    assert lines[0].isprintable(), run           # one line, no controls, whatever was sent
    everything = run.stdout + run.stderr
    assert PASSWORD not in everything and "Traceback" not in everything, run
    assert run.elapsed < TIMEOUT + 1, run
    assert run.max_rss_kb < MAX_RSS_KB, run
    # every request carried the password only as HTTP basic auth, and only to this server
    assert all("authorization: basic" in r.lower() for r in server.requests), server.requests

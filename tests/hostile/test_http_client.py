"""Hostile servers for --url: real sockets on 127.0.0.1 written here, TLS with
certificates made here (expired, wrong name, unknown CA).

Classes (issue 10): 1 everything under -t, 2 bounded reading, 4 only the token
is sent, 5 safe output, 6 every error names its cause.
"""

import gzip
import json
import os
import socket
import ssl
import struct
import threading
import time

import pytest

from remote.servers import BlackHole, Exporter, http_answer, make_certificate

from .common import document, now, state_dir, write
from .harness import SECRETS, assert_clean, assert_unknown_line, run_plugin

# the corpus runs every case as a real process: make test, not test-quick
pytestmark = pytest.mark.slow

TIMEOUT = 2
TOKEN = SECRETS[0]


class Server:
    """A TCP (or TLS) server whose answer is ``respond(conn, request, server)``.
    Every request head it receives is kept in ``requests``."""

    def __init__(self, respond, tls=None):
        self.respond = respond
        self.tls = tls
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        threading.Thread(target=self._loop, daemon=True).start()

    def url(self, path="/v1/status"):
        return "%s://127.0.0.1:%d%s" % ("https" if self.tls else "http", self.port, path)

    def _loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            conn.settimeout(10)
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            self.requests.append(data.decode("latin-1"))
            self.respond(conn, data, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.sock.close()


def tls_context(tmp, kind):
    """A server context whose certificate is ``kind``; the CA file for the client."""
    ca_cert, ca_key = str(tmp / "ca.pem"), str(tmp / "ca.key")
    make_certificate(ca_cert, ca_key, "tgmon test CA")
    cert, key = str(tmp / "cert.pem"), str(tmp / "key.pem")
    if kind == "expired":
        make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1", valid_days=(-10, -1),
                         issuer=(ca_cert, ca_key))
    elif kind == "wrong_name":
        make_certificate(cert, key, "tg9.example.net", issuer=(ca_cert, ca_key))
    elif kind == "not_yet_valid":
        make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1", valid_days=(2, 10),
                         issuer=(ca_cert, ca_key))
    else:   # "good" and "unknown_ca": signed by the CA; the latter's client lacks it
        make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1", issuer=(ca_cert, ca_key))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, ca_cert


def body(doc=None):
    return json.dumps(doc or dict(document(), flags=FLAGS)).encode()


FLAGS = {name: {"set": False, "since": None, "lines": []}
         for name in ("warn_flag", "update_lock", "reboot_required")}


def answer(status, payload, content_type="application/json", extra=""):
    return lambda conn, request, srv: conn.sendall(http_answer(status, payload, content_type,
                                                               extra))


def raw(data):
    return lambda conn, request, srv: conn.sendall(data)


def serve(respond, tls_kind=None, client_ca=True):
    """Setup: a hostile server; argv pointing at it."""
    def setup(tmp, stack):
        context, ca = (None, None) if tls_kind is None else tls_context(tmp, tls_kind)
        server = Server(respond, context)
        stack.append(server.close)
        argv = ["--url", server.url()]
        if ca and client_ca and tls_kind != "unknown_ca":
            argv += ["--ca-file", ca]
        return argv
    return setup


def drip_headers(conn, request, srv):
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    for _ in range(100):
        conn.sendall(b"X-Slow: 1\r\n")
        time.sleep(0.1)


def drip_body(conn, request, srv):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(200):
        conn.sendall(b" ")
        time.sleep(0.05)


def reset(conn, request, srv):
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def endless_chunks(conn, request, srv):
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    for _ in range(40):
        conn.sendall(chunk)


def no_length(conn, request, srv):
    conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
    for _ in range(40):
        conn.sendall(b" " * 65536)


def many_headers(conn, request, srv):
    conn.sendall(b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 500 + b"Content-Length: 2\r\n\r\n{}")


def interim_forever(conn, request, srv):
    for _ in range(100):
        conn.sendall(b"HTTP/1.1 102 Processing\r\n\r\n")
        time.sleep(0.05)


def tls_black_hole(tmp, stack):
    """Accepts TCP and never starts the TLS handshake."""
    hole = BlackHole()
    stack.append(hole.close)
    return ["--url", "https://127.0.0.1:%d/v1/status" % hole.port]


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


def plain_to_tls(tmp, stack):
    """http:// at a TLS port."""
    context, _ = tls_context(tmp, "good")
    server = Server(answer("200 OK", body()), context)
    stack.append(server.close)
    return ["--url", server.url().replace("https://", "http://")]


class PlainServer(Server):
    """Answers 400 to whatever arrives first, as an HTTP server does to a TLS hello."""

    def _serve(self, conn):
        try:
            conn.settimeout(10)
            if conn.recv(4096):
                conn.sendall(http_answer("400 Bad Request", b"not HTTP"))
        except OSError:
            pass
        finally:
            conn.close()


def tls_to_plain(tmp, stack):
    server = PlainServer(None)
    stack.append(server.close)
    return ["--url", server.url().replace("http://", "https://")]


def gzip_bomb():
    payload = gzip.compress(b" " * (64 * 1024 * 1024))
    return raw(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
               % len(payload) + payload)


def flags_doc(flags):
    return body(dict(document(), flags=flags))


# (id, classes, setup, cause)
CASES = [
    ("http_500", "6", serve(answer("500 Internal Server Error", b'{"error": "disk full"}')),
     "answered HTTP 500: disk full"),
    ("http_503_text", "6", serve(answer("503 Service Unavailable", b"busy", "text/plain")),
     "answered HTTP 503"),
    ("http_401", "6", serve(answer("401 Unauthorized", b"{}")), "refused access (HTTP 401)"),
    ("http_403", "6", serve(answer("403 Forbidden", b"{}")), "refused access (HTTP 403)"),
    ("http_404", "6", serve(answer("404 Not Found", b"{}")), "not found (HTTP 404)"),
    ("http_204", "6", serve(answer("204 No Content", b"")), "answered HTTP 204, not 200"),
    ("http_redirect", "4", serve(answer("302 Found", b"", extra="Location: http://evil/\r\n")),
     "redirects elsewhere (HTTP 302), tgmon follows none"),
    ("http_redirect_loop", "6", serve(lambda conn, req, srv: conn.sendall(http_answer(
        "301 Moved Permanently", b"", extra="Location: %s\r\n" % srv.url()))),
     "redirects elsewhere (HTTP 301)"),
    ("http_html", "6", serve(answer("200 OK", b"<html>proxy login</html>", "text/html")),
     "is not valid JSON"),
    ("http_empty", "6", serve(answer("200 OK", b"")), "is empty"),
    ("http_binary", "6", serve(answer("200 OK", bytes(range(256)))), "is not UTF-8 text"),
    ("http_no_flags", "6", serve(answer("200 OK", json.dumps(document()).encode())),
     "flags: required field is missing"),
    ("http_flags_string", "6", serve(answer("200 OK", flags_doc("yes"))),
     "flags: expected an object, got a string"),
    ("http_flag_not_object", "6", serve(answer("200 OK", flags_doc(dict(FLAGS, warn_flag=1)))),
     "flags.warn_flag: expected an object, got a number"),
    ("http_flag_set_string", "6", serve(answer("200 OK", flags_doc(dict(
        FLAGS, update_lock={"set": "yes"})))), "flags.update_lock.set: expected true/false"),
    ("http_flag_lines_string", "6", serve(answer("200 OK", flags_doc(dict(
        FLAGS, update_lock={"set": True, "since": None, "lines": "abc"})))),
     "flags.update_lock.lines: expected a list, got a string"),
    ("http_flag_lines_numbers", "6", serve(answer("200 OK", flags_doc(dict(
        FLAGS, update_lock={"set": True, "since": None, "lines": [1, 2]})))),
     "flags.update_lock.lines[0]: expected a string, got a number"),
    ("http_flag_lines_many", "2", serve(answer("200 OK", flags_doc(dict(
        FLAGS, update_lock={"set": True, "since": None, "lines": ["x"] * 500})))),
     "flags.update_lock.lines: has 500 items, over the limit 50"),
    ("http_flag_since_bad", "6", serve(answer("200 OK", flags_doc(dict(
        FLAGS, update_lock={"set": True, "since": "yesterday", "lines": []})))),
     "flags.update_lock.since: is not an ISO-8601 timestamp"),
    ("http_flag_since_edge", "2", serve(answer("200 OK", flags_doc(dict(
        FLAGS, update_lock={"set": True, "since": "0001-01-01T00:00:00+14:00", "lines": []})))),
     "flags.update_lock.since: beyond the calendar"),
    ("http_doc_future", "3", serve(answer("200 OK", body(dict(document(
        update_server__last_successful_check="2099-01-01T00:00:00+01:00"), flags=FLAGS)))),
     "update_server.last_successful_check: lies after generated (2099-01-01)"),
    ("http_doc_nested", "2", serve(answer("200 OK", b"[" * 100000 + b"]" * 100000)),
     "nested too deeply"),
    ("http_doc_huge_int", "2", serve(answer("200 OK", b'{"schema": ' + b"9" * 5000 + b"}")),
     "a number has more than 4300 digits"),
    ("http_truncated", "6", serve(lambda conn, req, srv: conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (len(body()) + 100) + body())),
     "was cut off"),
    ("http_chunked_broken", "6", serve(raw(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n")), "was cut off"),
    ("http_gzip_garbage", "6", serve(raw(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\n0123456789")),
     "answered compressed (Content-Encoding gzip)"),
    ("http_gzip_bomb", "2", serve(gzip_bomb()), "answered compressed (Content-Encoding gzip)"),
    ("http_length_huge", "2", serve(raw(b"HTTP/1.1 200 OK\r\nContent-Length: 9000000000\r\n\r\n")),
     "announces 9000000000 bytes, more than the 1048576"),
    ("http_chunked_endless", "2", serve(endless_chunks), "sent more than 1048576 bytes"),
    ("http_no_length_endless", "2", serve(no_length), "sent more than 1048576 bytes"),
    ("http_many_headers", "6", serve(many_headers), "cannot reach"),
    ("http_bad_status_line", "6", serve(raw(b"HTTP/1.1 abc\r\n\r\n")), "cannot reach"),
    ("http_not_http", "6", serve(raw(b"SSH-2.0-OpenSSH_9.2\r\n")), "cannot reach"),
    ("http_drip_headers", "1", serve(drip_headers), "no answer from"),
    ("http_drip_body", "1", serve(drip_body), "no answer from"),
    ("http_interim_status", "6", serve(interim_forever), "answered HTTP 102, not 200"),
    ("http_black_hole", "1", black_hole, "did not answer within"),
    ("http_tls_black_hole", "1", tls_black_hole, "did not answer within"),
    ("http_reset", "6", serve(reset), "connection reset"),
    ("http_refused", "6", refused, "connection refused"),
    ("tls_expired", "6", serve(answer("200 OK", body()), "expired"), "certificate expired"),
    ("tls_not_yet_valid", "6", serve(answer("200 OK", body()), "not_yet_valid"),
     "certificate not yet valid"),
    ("tls_wrong_address", "6", serve(answer("200 OK", body()), "wrong_name"),
     "not in the certificate (subjectAltName)"),
    ("tls_unknown_ca", "6", serve(answer("200 OK", body()), "unknown_ca"),
     "certificate of an unknown CA"),
    ("tls_plain_to_tls_port", "6", plain_to_tls, "cannot reach"),
    ("tls_to_plain_port", "6", tls_to_plain, "failed: no TLS on this port - use http://"),
    ("name_unresolvable", "6", lambda tmp, stack: ["--url",
                                                   "http://tg1.invalid./v1/status"],
     "does not resolve (DNS)"),
]


@pytest.mark.parametrize("name, classes, setup, cause", CASES, ids=[c[0] for c in CASES])
def test_hostile_server_is_unknown_with_its_cause(tmp_path, name, classes, setup, cause):
    stack = []
    try:
        argv = setup(tmp_path, stack)
        run = run_plugin("check_versions", ["-t", str(TIMEOUT)] + argv)
    finally:
        for cleanup in stack:
            cleanup()
    assert_unknown_line(run, "VERSIONS", cause, TIMEOUT)


def test_the_token_is_the_only_credential_never_netrc(tmp_path):
    """A ~/.netrc default entry must neither replace the token nor reach anyone."""
    home = tmp_path / "home"
    home.mkdir()
    write(home / ".netrc", "default login admin password %s\n" % SECRETS[3], 0o600)
    server = Server(answer("200 OK", body()))
    token = write(tmp_path / "token", TOKEN + "\n")
    env = dict(os.environ, HOME=str(home), NETRC=str(home / ".netrc"))
    try:
        with_token = run_plugin("check_versions", ["-t", str(TIMEOUT), "--url", server.url(),
                                                   "--token-file", token], env=env)
        without = run_plugin("check_versions", ["-t", str(TIMEOUT), "--url", server.url()],
                             env=env)
    finally:
        server.close()
    assert_clean(with_token, TIMEOUT)
    assert_clean(without, TIMEOUT)
    assert with_token.code == 0 and without.code == 0
    first, second = server.requests
    assert "Authorization: Bearer %s\r\n" % TOKEN in first
    assert "Authorization" not in second and "Basic" not in second
    assert SECRETS[3] not in first + second


def test_a_redirect_elsewhere_never_gets_the_token(tmp_path):
    target = Server(answer("200 OK", body()))
    source = Server(answer("307 Temporary Redirect", b"",
                           extra="Location: %s\r\n" % target.url()))
    token = write(tmp_path / "token", TOKEN + "\n")
    try:
        run = run_plugin("check_versions", ["-t", str(TIMEOUT), "--url", source.url(),
                                            "--token-file", token])
    finally:
        source.close()
        target.close()
    assert_unknown_line(run, "VERSIONS", "redirects elsewhere (HTTP 307)", TIMEOUT)
    assert target.requests == []


def test_ca_bundle_variables_do_not_override_ca_file(tmp_path):
    context, ca = tls_context(tmp_path, "good")
    server = Server(answer("200 OK", body()), context)
    env = dict(os.environ, REQUESTS_CA_BUNDLE="/nonexistent", CURL_CA_BUNDLE="/nonexistent",
               SSL_CERT_FILE="/nonexistent")
    try:
        run = run_plugin("check_versions", ["-t", str(TIMEOUT), "--url", server.url(),
                                            "--ca-file", ca], env=env)
    finally:
        server.close()
    assert_clean(run, TIMEOUT)
    assert run.code == 0, run


def test_proxy_variables_are_used_unless_no_proxy(tmp_path):
    hole = BlackHole()
    server = Server(answer("200 OK", body()))
    env = dict(os.environ, http_proxy=hole.url().rsplit("/v1", 1)[0], no_proxy="")
    env.pop("NO_PROXY", None)
    try:
        through_proxy = run_plugin("check_versions", ["-t", "1", "--url", server.url()], env=env)
        direct = run_plugin("check_versions", ["-t", "1", "--url", server.url(), "--no-proxy"],
                            env=env)
    finally:
        hole.close()
        server.close()
    assert through_proxy.code == 3 and direct.code == 0, (through_proxy, direct)


def test_hostile_text_from_the_exporter_is_printed_safely(tmp_path):
    doc = document("update-locked-cluster-node")
    doc["node"]["name"] = "tg\u202e\u009b2\ud800"
    flags = dict(FLAGS, update_lock={"set": True, "since": now().isoformat(),
                                     "lines": ["\x1b[31mred | <b>&amp; $(id) \ud83d"]})
    payload = json.dumps(dict(doc, flags=flags)).encode()
    server = Server(answer("200 OK", payload))
    try:
        run = run_plugin("check_tightgate", ["-t", str(TIMEOUT), "-vv", "--url", server.url()])
    finally:
        server.close()
    assert_clean(run, TIMEOUT)
    assert run.code == 2
    for line in run.lines:
        assert all(c.isprintable() for c in line), ascii(line)
        assert not any(0xd800 <= ord(c) <= 0xdfff or 0x80 <= ord(c) <= 0x9f
                       or 0x202a <= ord(c) <= 0x202e for c in line), ascii(line)


def test_the_real_exporter_behind_a_token(tmp_path):
    path = state_dir(tmp_path)
    token = write(tmp_path / "token", TOKEN + "\n")
    exporter = Exporter("--state-dir", str(path), "--token-file", token)
    try:
        good = run_plugin("check_versions", ["--url", exporter.url(), "--token-file", token])
        bad = run_plugin("check_versions", ["--url", exporter.url()])
    finally:
        assert exporter.stop() == 0
    assert_clean(good, TIMEOUT)
    assert good.code == 0
    assert_unknown_line(bad, "VERSIONS", "refused access (HTTP 401)", TIMEOUT)


def count_by_class():
    counts = {}
    for case in CASES:
        for digit in case[1]:
            counts[digit] = counts.get(digit, 0) + 1
    for digit in "4441" + "5":   # netrc, redirect, CA variables, proxy, hostile text
        counts[digit] = counts.get(digit, 0) + 1
    return counts

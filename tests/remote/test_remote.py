"""Remote mode against real servers on 127.0.0.1: tgmon serve, faulty servers,
TLS with a certificate made here, a token, a black hole, the shared cache."""

import json
import os
import stat
import time

import pytest
import requests

from tgmon.state import examples
from tgmon.checks import cluster_updates, versions
from tgmon.checks.registry import SINGLE_NODE_CHECKS, TIGHTGATE
from tgmon.state.layout import write_state
from tgmon.timeutil import utcnow

from helpers import as_shown, run_check
from .servers import BlackHole, Exporter, RawServer, http_answer, self_signed

T = utcnow().astimezone(examples.CET).replace(microsecond=0)


@pytest.fixture
def served(tmp_path):
    """serve(example name, *args) -> running exporter over a fresh example state dir."""
    running = []

    def serve(name="healthy-single", *args):
        path = str(tmp_path / name)
        write_state(path, examples.build(name, T))
        exporter = Exporter("--state-dir", path, *args)
        exporter.state_dir = path
        running.append(exporter)
        return exporter
    yield serve
    for exporter in running:
        assert exporter.stop() == 0   # clean stop on SIGTERM


@pytest.mark.parametrize("name", sorted(examples.EXAMPLES))
def test_url_results_identical_to_local(served, name):
    exporter = served(name)
    for definition in SINGLE_NODE_CHECKS + (TIGHTGATE,):
        local = run_check(definition, ["--state-dir", exporter.state_dir], now=T)
        remote = run_check(definition, ["--url", exporter.url()], now=T)
        assert (remote.code, remote.text, remote.perfdata) == (local.code, local.text,
                                                               local.perfdata), definition.prog


def test_exporter_endpoints_and_errors(served):
    exporter = served("download-failed-single")
    status = requests.get(exporter.url(), timeout=5)
    assert status.status_code == 200 and status.headers["Content-Type"] == "application/json"
    body = status.json()
    assert body["schema"] == "tgmon/1" and body["flags"]["warn_flag"]["set"] is True
    assert body["flags"]["update_lock"] == {"set": False, "since": None, "lines": []}
    assert requests.get(exporter.url("/healthz"), timeout=5).json() == {"status": "ok",
                                                                        "state": "readable"}
    assert requests.get(exporter.url("/etc/passwd"), timeout=5).status_code == 404
    assert requests.get(exporter.url("/../status.json"), timeout=5).status_code == 404
    post = requests.post(exporter.url(), data=b"x", timeout=5)
    assert post.status_code == 405 and post.headers["Allow"] == "GET, HEAD"
    with_body = requests.request("GET", exporter.url(), data=b"x" * 10, timeout=5)
    assert with_body.status_code == 413
    many = requests.get(exporter.url(), headers={"X-%d" % i: "v" for i in range(40)}, timeout=5)
    assert many.status_code == 431
    assert requests.head(exporter.url(), timeout=5).status_code == 200
    time.sleep(0.2)
    lines = [line for line in exporter.log if '"GET /v1/status HTTP/1.1" 200' in line]
    assert lines, exporter.log     # one log line per request


def test_exporter_reports_a_broken_state_as_503(served):
    exporter = served("healthy-single")
    with open(os.path.join(exporter.state_dir, "status.json"), "w") as handle:
        handle.write("{garbled")
    answer = requests.get(exporter.url(), timeout=5)
    assert answer.status_code == 503 and "is not valid JSON" in answer.json()["error"]
    health = requests.get(exporter.url("/healthz"), timeout=5)
    assert (health.status_code, health.json()["state"]) == (503, "unreadable")
    assert "JSON" not in health.text       # the cause only behind the token
    outcome = run_check(versions.DEFINITION, ["--url", exporter.url()], now=T)
    assert outcome.code == 3
    assert outcome.text.startswith("VERSIONS UNKNOWN - %s answered HTTP 503: " % exporter.url())


def test_token_protected_exporter(served, tmp_path):
    token = tmp_path / "token"
    token.write_text("s3cr3t-token\n")
    wrong = tmp_path / "wrong"
    wrong.write_text("nope\n")
    exporter = served("healthy-single", "--token-file", str(token))
    assert requests.get(exporter.url(), timeout=5).status_code == 401
    without = run_check(versions.DEFINITION, ["--url", exporter.url()], now=T)
    assert (without.code, without.text) == (3, as_shown(
        "VERSIONS UNKNOWN - %s refused access (HTTP 401) - check --token-file against the "
        "exporter's token" % exporter.url()))
    assert run_check(versions.DEFINITION, ["--url", exporter.url(), "--token-file", str(wrong)],
                     now=T).code == 3
    good = run_check(versions.DEFINITION, ["--url", exporter.url(), "--token-file", str(token)],
                     now=T)
    assert good.code == 0
    assert "s3cr3t" not in good.output
    assert requests.get(exporter.url("/healthz"), timeout=5).status_code == 200


def test_tls_verification(served, tmp_path):
    cert, key = self_signed(str(tmp_path))
    exporter = served("healthy-single", "--tls-cert", cert, "--tls-key", key)
    assert exporter.scheme == "https"
    failed = run_check(versions.DEFINITION, ["--url", exporter.url()], now=T)
    assert failed.code == 3
    assert failed.text == ("VERSIONS UNKNOWN - TLS to %s failed: self-signed certificate, not "
                           "trusted - give its CA with --ca-file" % exporter.url())
    good = run_check(versions.DEFINITION, ["--url", exporter.url(), "--ca-file", cert], now=T)
    assert good.code == 0
    insecure = run_check(versions.DEFINITION, ["--url", exporter.url(), "--insecure"], now=T)
    assert insecure.code == 0


def test_black_hole_times_out_within_t():
    hole = BlackHole()
    try:
        started = time.monotonic()
        outcome = run_check(versions.DEFINITION, ["--url", hole.url(), "-t", "1"], now=T)
        elapsed = time.monotonic() - started
        assert outcome.code == 3
        assert outcome.text.startswith("VERSIONS UNKNOWN - %s did not answer within" % hole.url())
        assert elapsed < 2.0
    finally:
        hole.close()


def _drip(conn, path, server):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(100):
        conn.sendall(b" ")
        time.sleep(0.2)


def _fault(kind):
    body = json.dumps({"schema": "tgmon/1"}).encode()

    def respond(conn, path, server):
        if kind == "500":
            conn.sendall(http_answer("500 Internal Server Error", b'{"error": "disk full"}'))
        elif kind == "redirect":
            conn.sendall(http_answer("302 Found", b"", extra="Location: %s\r\n" % server.url()))
        elif kind == "html":
            conn.sendall(http_answer("200 OK", b"<html>login</html>", "text/html"))
        elif kind == "truncated":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + body)
        elif kind == "reset":
            import socket as _socket
            import struct
            conn.setsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif kind == "no_flags":
            doc = json.dumps(examples_doc()).encode()
            conn.sendall(http_answer("200 OK", doc))
        elif kind == "huge":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 9000000\r\n\r\n")
            chunk = b" " * 65536
            for _ in range(140):
                conn.sendall(chunk)
    return respond


def examples_doc():
    from tgmon.state.schema import to_document
    return to_document(examples.build("healthy-single", T))


@pytest.mark.parametrize("kind, cause", [
    ("500", "answered HTTP 500: disk full"),
    ("redirect", "redirects elsewhere (HTTP 302), tgmon follows none - point --url at the "
                 "exporter itself"),
    ("html", "is not valid JSON"),
    ("truncated", "was cut off"),
    ("reset", "cannot reach"),
    ("no_flags", "flags: required field is missing"),
    ("huge", "announces 9000000 bytes, more than the 1048576 a state can be"),
])
def test_http_faults_are_unknown_with_the_cause(kind, cause):
    server = RawServer(_fault(kind))
    try:
        started = time.monotonic()
        outcome = run_check(versions.DEFINITION, ["--url", server.url(), "-t", "3"], now=T)
        assert outcome.code == 3, outcome.output
        assert outcome.text.startswith("VERSIONS UNKNOWN - ")
        assert cause in outcome.text, outcome.text
        assert len(outcome.lines) == 1 and "Traceback" not in outcome.output
        assert time.monotonic() - started < 4
    finally:
        server.close()


def test_slow_drip_is_cut_at_t():
    server = RawServer(_drip)
    try:
        started = time.monotonic()
        outcome = run_check(versions.DEFINITION, ["--url", server.url(), "-t", "1.5"], now=T)
        assert outcome.code == 3
        assert time.monotonic() - started < 2.5
        assert outcome.text == ("VERSIONS UNKNOWN - no answer from %s within -t 1.5 s - check "
                                "DNS, the exporter and the network, or raise -t" % server.url())
    finally:
        server.close()


def test_bad_url_is_a_usage_error():
    outcome = run_check(versions.DEFINITION, ["--url", "http://[::1", "-t", "2"], now=T)
    assert outcome.code == 3 and "VERSIONS UNKNOWN - " in outcome.text


def test_state_dir_and_url_are_exclusive():
    outcome = run_check(versions.DEFINITION, ["--url", "http://x/v1/status", "--state-dir", "/x"])
    assert outcome.code == 3 and "not allowed with argument" in outcome.text


def test_cache_shares_one_fetch(served, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    os.mkdir(tmp_path / "run", 0o700)
    exporter = served("reboot-required-single")
    first = run_check(versions.DEFINITION, ["--url", exporter.url(), "--cache-ttl", "60"], now=T)
    assert first.code == 0
    cache = tmp_path / "run" / "tgmon"
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    files = os.listdir(cache)
    assert len(files) == 1 and stat.S_IMODE(os.stat(cache / files[0]).st_mode) == 0o600
    exporter.stop()
    second = run_check(TIGHTGATE, ["--url", exporter.url(), "--cache-ttl", "60"], now=T)
    assert second.code == 1 and "REBOOT" in second.text      # served from the cache
    expired = run_check(versions.DEFINITION, ["--url", exporter.url(), "--cache-ttl", "0.001"],
                        now=T)
    assert expired.code == 3 and "cannot reach" in expired.text


def test_cache_ignores_planted_symlinks_and_refuses_shared_dirs(served, tmp_path, monkeypatch):
    run = tmp_path / "run"
    os.mkdir(run, 0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    exporter = served("healthy-single")
    args = ["--url", exporter.url(), "--cache-ttl", "60"]
    assert run_check(versions.DEFINITION, args, now=T).code == 0
    cache = run / "tgmon"
    entry = cache / os.listdir(cache)[0]
    target = tmp_path / "evil.json"
    target.write_text(json.dumps({"schema": "tgmon/1"}))
    os.unlink(entry)
    os.symlink(target, entry)
    assert run_check(versions.DEFINITION, args, now=T).code == 0   # fetched, link not followed
    assert not os.path.islink(entry)                                # replaced atomically
    assert target.read_text() == json.dumps({"schema": "tgmon/1"})  # target untouched
    os.chmod(cache, 0o777)
    shared = run_check(versions.DEFINITION, args, now=T)
    assert shared.code == 3 and "is not a private directory" in shared.text
    os.chmod(cache, 0o700)


def test_cluster_over_urls_and_dirs(tmp_path):
    from tgmon.sim.scenario import load_scenario
    from .servers import Exporter as _Exporter
    scenario = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "scenarios", "parallel-collision.yml")
    sim = _Exporter(scenario, "--at", "2026-11-17T03:10", "--simulated-times", program="tgmon-sim")
    try:
        at = load_scenario(scenario).parse_time("2026-11-17T03:10", None, "t")
        urls = [sim.url("/%s/v1/status" % n) for n in ("tg-node1", "tg-node2", "tg-node3")]
        argv = []
        for url in urls:
            argv += ["--node", url]
        outcome = run_check(cluster_updates.DEFINITION, argv, now=at)
        assert outcome.code == 2
        assert outcome.text.startswith("CLUSTER CRITICAL - 2 nodes updating at once, "
                                       "max_parallel_updates 1: tg-node1, tg-node2")
        missing = run_check(cluster_updates.DEFINITION,
                            argv + ["--node", sim.url("/tg-node9/v1/status")], now=at)
        assert "    %s: the exporter not found (HTTP 404); the path is /v1/status (tgmon-sim " \
            "serve: /NODE/v1/status)" % sim.url("/tg-node9/v1/status") in missing.lines
        assert missing.text.endswith(", 1 node unreachable - spread update times in the admin "
                                     "update schedule settings")
    finally:
        assert sim.stop() == 0


def test_cluster_nodes_on_one_host_at_different_ports(tmp_path):
    """Eight exporters on 127.0.0.1, each its own port: urllib3 keeps a pool per port
    and closed the oldest while its fetch still ran when tgmon sized the pools by host
    name (a real Nagios run caught it as 'Pool is closed', a false UNKNOWN)."""
    now = utcnow().astimezone(examples.CET).replace(microsecond=0)
    exporters = []
    try:
        for index in range(8):
            path = str(tmp_path / ("n%d" % index))
            state = examples.build("healthy-cluster-node", now)
            write_state(path, state._replace(node=state.node._replace(name="tg%d" % index)))
            exporters.append(Exporter("--state-dir", path))
        argv = [arg for e in exporters for arg in ("--node", e.url())]
        for _ in range(5):
            outcome = run_check(cluster_updates.DEFINITION, argv, now=now)
            assert "[UNKNOWN]" not in outcome.output, outcome.output
            assert outcome.code == 1 and "nodes_unreachable=0" in outcome.perfdata, outcome
    finally:
        for exporter in exporters:
            exporter.stop()


def test_one_connection_pool_per_scheme_host_and_port():
    from tgmon.sources.nodes import pool_keys
    assert len(pool_keys(["https://tg1:9740/v1/status", "https://TG1:9740/x",
                          "https://tg1:9741/v1/status", "http://tg1:9740/v1/status",
                          "https://tg1/v1/status", "https://tg1:443/v1/status"])) == 4

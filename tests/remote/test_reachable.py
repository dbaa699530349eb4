"""check_reachable: the one service per node that pages when its state cannot be
read. Each way a read fails - against a real exporter, TLS, a token, a black
hole, hostile state dirs - is its CRITICAL finding naming the cause, in
bounded time, with the runbook link last; a readable state is OK."""

import os
import socket
import time

import pytest

from tgmon.state import examples
from tgmon.checks.reachable import DEFINITION
from tgmon.state.layout import write_state
from tgmon.timeutil import utcnow

from helpers import HOUR, run_check
from .servers import BlackHole, Exporter, self_signed

T = utcnow().astimezone(examples.CET).replace(microsecond=0)
LINK = "Runbook: http://localhost/tgmon-docs/checks/check_reachable.html#unreachable"


def _state(path, when=T, name="healthy-single"):
    write_state(str(path), examples.build(name, when))
    return str(path)


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fifo(path):
    os.makedirs(path)
    os.mkfifo(os.path.join(path, "status.json"))
    return str(path)


def _garbage(path):
    os.makedirs(path)
    with open(os.path.join(path, "status.json"), "wb") as handle:
        handle.write(b"\x00\xffnot json" * 100)
    return str(path)


# state dir -> argv, expected exit code, words the first line must hold
DIRS = [
    ("fresh", lambda p: ["--state-dir", _state(p)], 0, "state of tg-single read, fresh"),
    ("missing", lambda p: ["--state-dir", str(p / "nothing")], 2, "does not exist"),
    ("stale", lambda p: ["--state-dir", _state(p, T - 2 * HOUR)], 2, "is stale"),
    ("from the future", lambda p: ["--state-dir", _state(p, T + 2 * HOUR)], 2, "in the future"),
    ("not JSON", lambda p: ["--state-dir", _garbage(p / "g")], 2, "status.json"),
    ("a FIFO", lambda p: ["--state-dir", _fifo(p / "f")], 2, "status.json"),
    ("severity warning", lambda p: ["--state-dir", str(p / "nothing"),
                                    "--unreachable-severity", "warning"], 1, "does not exist"),
    ("connection refused", lambda p: ["--url", "http://127.0.0.1:%d/v1/status"
                                      % _closed_port()], 2, "connection refused"),
]


@pytest.mark.parametrize("name, argv, code, words", DIRS, ids=[d[0] for d in DIRS])
def test_each_way_a_read_fails_is_its_finding(short_tmp, name, argv, code, words):
    started = time.monotonic()
    outcome = run_check(DEFINITION, argv(short_tmp) + ["-t", "5"], now=T)
    assert time.monotonic() - started < 6
    assert outcome.code == code, outcome.output
    assert outcome.text.startswith("REACHABLE %s - " % ("OK", "WARNING", "CRITICAL")[code])
    assert words in outcome.text, outcome.output
    assert "Traceback" not in outcome.output and len(outcome.shown) <= 160
    if code:
        assert outcome.perfdata == "readable=0;;;0;1"
        assert outcome.lines[-1] == LINK
        assert outcome.lines[-2].startswith("    the node's other tgmon services")
    else:
        assert outcome.perfdata.startswith("readable=1;;;0;1 state_age=")
        assert len(outcome.lines) == 1


@pytest.fixture
def exporter(short_tmp):
    """An exporter over TLS behind a token, on a fresh healthy state."""
    cert, key = self_signed(str(short_tmp))
    token = short_tmp / "token"
    token.write_text("right-token\n")
    wrong = short_tmp / "wrong"
    wrong.write_text("wrong-token\n")
    running = Exporter("--state-dir", _state(short_tmp / "state"), "--token-file", str(token),
                       "--tls-cert", cert, "--tls-key", key)
    running.files = {"cert": cert, "token": str(token), "wrong": str(wrong)}
    yield running
    assert running.stop() == 0


def test_over_the_exporter_tls_and_token_each_name_their_cause(exporter):
    files = exporter.files
    url = exporter.url()
    read = run_check(DEFINITION, ["--url", url, "--ca-file", files["cert"], "--token-file",
                                  files["token"]], now=T)
    assert read.code == 0 and "state of tg-single read" in read.text, read.output
    untrusted = run_check(DEFINITION, ["--url", url, "--token-file", files["token"]], now=T)
    assert untrusted.code == 2 and "certificate" in untrusted.text, untrusted.output
    refused = run_check(DEFINITION, ["--url", url, "--ca-file", files["cert"], "--token-file",
                                     files["wrong"]], now=T)
    assert refused.code == 2 and "token" in refused.text, refused.output
    for outcome in (untrusted, refused):
        assert outcome.lines[-1] == LINK
        assert "right-token" not in outcome.output and "wrong-token" not in outcome.output


def test_a_server_that_never_answers_ends_within_t():
    hole = BlackHole()
    try:
        started = time.monotonic()
        outcome = run_check(DEFINITION, ["--url", hole.url(), "-t", "2"], now=T)
        assert time.monotonic() - started < 3
    finally:
        hole.close()
    # the reader's own deadline names what did not answer, as its finding
    assert outcome.code == 2 and "did not answer within" in outcome.text, outcome.output
    assert outcome.lines[-1] == LINK

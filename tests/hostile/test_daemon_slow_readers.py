"""Issue 18, class 9: clients that send requests and never read cannot tie up ``tgmon serve``.

300 connected clients ask for a large answer (or many small ones) and never
read: the exporter writes what their sockets take, keeps the rest without a
worker, and drops a connection whose answer has not gone out within its
write timeout. Meanwhile a legitimate client - raw, or the real plugin - is
answered within 1 s (a hang guard; the latency is in ``make bench``), and the
exporter's memory stays bounded.
"""

import collections
import socket
import ssl
import threading
import time

import pytest

from remote.servers import make_certificate

from .daemon import GET, HEALTHZ, Daemon, large_state_dir, legit_request, log_is_clean
from .harness import assert_clean, run_plugin

pytestmark = pytest.mark.slow
LEGIT_WITHIN = 1.0
# a bound, not a figure (make bench has those): 300 clients that each hold 8 large
# answers peaked at 120-156 MB in CI runs; an outbox that grew with the requests would
# pass any such number within seconds
MAX_EXPORTER_MB = 200


def peak_rss_mb(pid):
    with open("/proc/%d/status" % pid) as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    raise AssertionError("no VmHWM for %d" % pid)


def tls_wrap(sock):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context.wrap_socket(sock)


# (id, TLS, clients that never read, each sends, its receive buffer)
CASES = [
    ("300_large_answers_4_each", False, 300, GET * 4, 4096),
    ("300_large_answers_default_buffers", False, 300, GET * 8, None),
    ("300_small_answers_2000_each", False, 300, HEALTHZ * 2000, 4096),
    ("tls_100_large_answers", True, 100, GET * 4, 4096),
]


@pytest.fixture(scope="module")
def exporters(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("slow-readers")
    cert, key = str(tmp / "cert.pem"), str(tmp / "key.pem")
    make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1")
    state = str(large_state_dir(tmp))
    return tmp, state, (cert, key)


@pytest.mark.parametrize("name, tls, count, sends, rcvbuf", CASES, ids=[c[0] for c in CASES])
def test_clients_that_never_read_leave_legitimate_ones_answered(exporters, name, tls, count,
                                                                 sends, rcvbuf):
    _, state, (cert, key) = exporters
    daemon = Daemon("--state-dir", state, *(["--tls-cert", cert, "--tls-key", key]
                                            if tls else []))
    held = []
    try:
        for _ in range(count):
            sock = daemon.connect(rcvbuf)
            if tls:
                sock = tls_wrap(sock)
            sock.setblocking(False)
            try:
                sock.send(sends)       # as much as goes; what does not, never will
            except (BlockingIOError, ssl.SSLWantWriteError):
                pass
            held.append(sock)
        time.sleep(0.5)                # the exporter has found them all not reading
        for _ in range(10):
            if tls:
                raw = socket.create_connection(("127.0.0.1", daemon.port), timeout=LEGIT_WITHIN)
                started = time.monotonic()
                with tls_wrap(raw) as sock:
                    sock.settimeout(LEGIT_WITHIN)
                    sock.sendall(b"GET /v1/status HTTP/1.1\r\nConnection: close\r\n\r\n")
                    data = b""
                    while True:
                        chunk = sock.recv(1 << 20)
                        if not chunk:
                            break
                        data += chunk
                status, took = int(data.split(b" ", 2)[1]), time.monotonic() - started
            else:
                status, took, size = legit_request(daemon.port, LEGIT_WITHIN)
                assert size > 800 * 1024
            assert status == 200 and took < LEGIT_WITHIN, (status, took)
        assert peak_rss_mb(daemon.process.pid) < MAX_EXPORTER_MB
    finally:
        for sock in held:
            sock.close()
        code, took = daemon.stop()
    assert code == 0 and took < 2
    log_is_clean(daemon.lines)


def test_the_plugin_is_answered_while_300_clients_never_read(exporters):
    _, state, _ = exporters
    daemon = Daemon("--state-dir", state)
    held = []
    try:
        for _ in range(300):
            sock = daemon.connect(4096)
            sock.sendall(GET * 4)
            held.append(sock)
        run = run_plugin("check_versions", ["-t", "3", "--url", "http://127.0.0.1:%d/v1/status"
                                            % daemon.port])
        assert_clean(run, 3)
        assert run.code == 0 and run.lines[0].startswith("VERSIONS OK - "), run
    finally:
        for sock in held:
            sock.close()
        code, _ = daemon.stop()
    assert code == 0
    log_is_clean(daemon.lines)


def test_an_unwritable_connection_is_dropped_after_the_write_timeout(exporters):
    _, state, _ = exporters
    daemon = Daemon("--state-dir", state)
    try:
        sock = daemon.connect(4096)
        sock.sendall(GET)
        time.sleep(5 + 1.5)            # WRITE_TIMEOUT, and a margin
        sock.settimeout(5)
        received, closed = 0, False
        try:
            while True:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    closed = True
                    break
                received += len(chunk)
        except ConnectionResetError:
            closed = True
        sock.close()
        assert closed and received < 800 * 1024    # cut off, not sent whole
    finally:
        code, _ = daemon.stop()
    assert code == 0
    log_is_clean(daemon.lines)
    assert any("dropped: the client took no answer for 5 s" in line for line in daemon.lines)


def test_legitimate_clients_stay_answered_while_non_readers_keep_coming(exporters):
    """300 clients that never read, a tenth of them replaced by new ones every 0.1 s
    (each new one a request for the large answer): a client polling for 3 s is
    answered each time within 1 s."""
    _, state, _ = exporters
    daemon = Daemon("--state-dir", state)
    stop, held = threading.Event(), collections.deque()

    def attack():
        while not stop.is_set():
            while len(held) > 270:
                held.popleft().close()
            while len(held) < 300 and not stop.is_set():
                try:
                    sock = daemon.connect(4096)
                    sock.sendall(GET * 4)
                except OSError:
                    break
                held.append(sock)
            stop.wait(0.1)
    attacker = threading.Thread(target=attack, daemon=True)
    attacker.start()
    try:
        time.sleep(1)
        polled = 0
        end = time.monotonic() + 3
        while time.monotonic() < end:
            status, took, _ = legit_request(daemon.port, LEGIT_WITHIN)
            assert status == 200 and took < LEGIT_WITHIN, (status, took)
            polled += 1
        assert polled >= 3
    finally:
        stop.set()
        attacker.join(5)
        for sock in held:
            sock.close()
        code, took = daemon.stop()
    assert code == 0 and took < 2
    log_is_clean(daemon.lines)


def count_by_class():
    return {"9": len(CASES) + 3}

"""Issue 18, class 9: ``tgmon serve`` and its signals, whatever becomes of its log.

SIGTERM (and SIGINT) stop it with exit 0 within 2 s even when its log pipe is
full, closed or a full device: log writes never block it, and what was
dropped is counted and said. SIGHUP re-reads the token file and the TLS
certificate, keeps the old ones when the new ones are bad - one log line
each time, never a silent death. Real processes on 127.0.0.1, stopped by PID.
"""

import hashlib
import os
import re
import signal
import socket
import ssl
import time

import pytest

from remote.servers import make_certificate

from .common import state_dir, write
from .daemon import GET, HEALTHZ, Daemon, answers, large_state_dir, legit_request, log_is_clean

pytestmark = pytest.mark.slow
STOP_WITHIN = 2.0      # the bound: a hang guard, the figure is in make bench


def pipelined(daemon, count, request=HEALTHZ):
    """``count`` pipelined requests on one connection, all answers read: lines for the log."""
    with daemon.connect() as sock:
        sock.sendall(request * count)
        found, _ = answers(sock, ["GET"] * count, timeout=20)
    assert len(found) == count
    return lambda: None


def idle_connections(daemon, count):
    held = [daemon.connect() for _ in range(count)]
    return lambda: [sock.close() for sock in held]


def non_readers(daemon, count):
    """Clients that ask for the (large) state and never read the answer."""
    held = []
    for _ in range(count):
        sock = daemon.connect(rcvbuf=4096)
        sock.sendall(GET * 4)
        held.append(sock)
    return lambda: [sock.close() for sock in held]


def requests_then_idle(daemon):
    pipelined(daemon, 3000)
    return idle_connections(daemon, 300)


def requests_then_non_readers(daemon):
    pipelined(daemon, 3000)
    return non_readers(daemon, 50)


def sighups_then_requests(daemon):
    for _ in range(20):
        daemon.signal(signal.SIGHUP)
    return pipelined(daemon, 3000)


# (id, log, load before the signal, signal); the state is large (an answer of ~850 KB)
STOPS = [
    ("quiet_log_read", "read", None, signal.SIGTERM),
    ("log_pipe_full_20000_requests", "full", lambda d: pipelined(d, 20000), signal.SIGTERM),
    ("log_pipe_full_300_idle", "full", requests_then_idle, signal.SIGTERM),
    ("log_closed", "closed", lambda d: pipelined(d, 2000), signal.SIGTERM),
    ("log_on_dev_full", "dev-full", lambda d: pipelined(d, 2000), signal.SIGTERM),
    ("log_devnull_50_non_readers", "devnull", lambda d: non_readers(d, 50), signal.SIGTERM),
    ("log_pipe_full_50_non_readers", "full", requests_then_non_readers, signal.SIGTERM),
    ("sigint_log_pipe_full", "full", lambda d: pipelined(d, 20000), signal.SIGINT),
    ("sigterm_after_sighup_burst", "full", sighups_then_requests, signal.SIGTERM),
]


@pytest.mark.parametrize("name, log, load, number", STOPS, ids=[s[0] for s in STOPS])
def test_a_stop_signal_ends_it_within_2_s_whatever_its_log(tmp_path, name, log, load, number):
    daemon = Daemon("--state-dir", str(large_state_dir(tmp_path)), log=log)
    release = load(daemon) if load else (lambda: None)
    try:
        assert legit_request(daemon.port)[0] == 200     # still answering under the load
        started = time.monotonic()
        daemon.signal(number)
        code = daemon.process.wait(STOP_WITHIN + 3)
        took = time.monotonic() - started
    finally:
        release()
        daemon.kill()
    assert code == 0
    assert took < STOP_WITHIN, took
    if log == "read":
        log_is_clean(daemon.lines)
        assert daemon.lines[-1] == "tgmon serve: stopped\n"


def test_dropped_log_lines_are_counted_and_said_later_and_at_exit(tmp_path):
    daemon = Daemon("--state-dir", str(state_dir(tmp_path)), log="full")
    try:
        pipelined(daemon, 20000)        # the pipe takes ~64 KB, the queue 10000 lines
        daemon.read_log_now()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("dropped" in line
                                                      for line in daemon.lines):
            time.sleep(0.05)
        code, took = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0 and took < STOP_WITHIN
    log_is_clean(daemon.lines)
    later = [int(m.group(1)) for m in (re.search(r" - (\d+) log lines dropped \(the log was "
                                                 r"not read fast enough\)$", line)
                                       for line in daemon.lines) if m]
    assert later and sum(later) > 0, daemon.lines[-5:]
    last = re.match(r"^tgmon serve: stopped; (\d+) log lines were dropped, the log was not read "
                    r"fast enough\n$", daemon.lines[-1])
    assert last, daemon.lines[-1]
    assert int(last.group(1)) >= sum(later)
    # what got through is whole lines, in order: the 20000 answers are counted either way
    answered = sum(1 for line in daemon.lines if '"GET /healthz HTTP/1.1" 200' in line)
    assert answered + int(last.group(1)) == 20000


# ---------------------------------------------------------------- SIGHUP

def authorized(port, token):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /v1/status HTTP/1.1\r\nAuthorization: Bearer %s\r\n"
                     b"Connection: close\r\n\r\n" % token.encode())
        found, _ = answers(sock, ["GET"])
    return found[0][0]


def token_rotated(token):
    write(token, "NEW-S3CRET-7a\n")
    return {"NEW-S3CRET-7a": 200, "OLD-S3CRET-6b": 401}, "SIGHUP: re-read the token file"


def token_removed(token):
    os.unlink(token)
    return {"OLD-S3CRET-6b": 200}, "SIGHUP: kept the token file as read before: " \
                                   "--token-file %s does not exist - check the path" % token


def token_fifo(token):
    os.unlink(token)
    os.mkfifo(token)
    return {"OLD-S3CRET-6b": 200}, "is a FIFO, not a regular file"


def token_huge(token):
    with open(token, "wb") as handle:
        handle.truncate(10 * 1024 * 1024)
    return {"OLD-S3CRET-6b": 200}, "bytes, more than the 4096 allowed"


def token_empty(token):
    write(token, "")
    return {"OLD-S3CRET-6b": 200}, "must hold one token on one line"


def token_two_lines(token):
    write(token, "NEW-S3CRET-7a\nsecond line\n")
    return {"OLD-S3CRET-6b": 200, "NEW-S3CRET-7a": 401}, "must hold one token on one line"


def token_binary(token):
    write(token, b"\xff\xfeNEW\n")
    return {"OLD-S3CRET-6b": 200}, "is not ASCII text"


def token_link_to_dev_zero(token):
    os.unlink(token)
    os.symlink("/dev/zero", token)
    return {"OLD-S3CRET-6b": 200}, "is a character device, not a regular file"


def token_a_directory(token):
    os.unlink(token)
    os.mkdir(token)
    return {"OLD-S3CRET-6b": 200}, "is a directory, not a regular file"


def token_link_to_environ(token):
    """A file of another's secrets (the exporter's environment): refused, never quoted."""
    os.unlink(token)
    os.symlink("/proc/self/environ", token)
    return {"OLD-S3CRET-6b": 200}, "must hold one token on one line"


# (id, what happens to the token file before SIGHUP)
RELOADS = [
    ("rotated", token_rotated),
    ("removed", token_removed),
    ("replaced_by_a_fifo", token_fifo),
    ("grown_to_10_mb", token_huge),
    ("emptied", token_empty),
    ("two_lines", token_two_lines),
    ("binary", token_binary),
    ("link_to_dev_zero", token_link_to_dev_zero),
    ("a_directory", token_a_directory),
    ("link_to_proc_self_environ", token_link_to_environ),
]


@pytest.mark.parametrize("name, change", RELOADS, ids=[r[0] for r in RELOADS])
def test_sighup_rereads_the_token_file_or_keeps_the_old_one(tmp_path, name, change):
    token = write(tmp_path / "token", "OLD-S3CRET-6b\n", 0o600)
    daemon = Daemon("--state-dir", str(state_dir(tmp_path)), "--token-file", token)
    try:
        assert authorized(daemon.port, "OLD-S3CRET-6b") == 200
        expected, said = change(token)
        started = time.monotonic()
        daemon.signal(signal.SIGHUP)
        while time.monotonic() - started < 5 and not any("SIGHUP" in line for line in daemon.lines):
            time.sleep(0.02)
        assert time.monotonic() - started < 1        # a FIFO is never opened for reading
        for given, status in expected.items():
            assert authorized(daemon.port, given) == status, (given, daemon.lines)
        assert daemon.process.poll() is None
        code, took = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0 and took < STOP_WITHIN
    log_is_clean(daemon.lines)
    hups = [line for line in daemon.lines if " - SIGHUP: " in line]
    assert len(hups) == 1 and said in hups[0], daemon.lines
    assert not any("S3CRET" in line for line in daemon.lines)


def served_certificate(port):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw) as sock:
            return hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest()


def fingerprint(path):
    with open(path) as handle:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(handle.read())).hexdigest()


# (id, replace the certificate and key: True = a valid new pair, False = a broken one)
CERTIFICATES = [("rotated_pair", True), ("cert_of_another_key", False)]


@pytest.mark.parametrize("name, valid", CERTIFICATES, ids=[c[0] for c in CERTIFICATES])
def test_sighup_rereads_the_tls_certificate_or_keeps_the_old_one(tmp_path, name, valid):
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1")
    old = fingerprint(cert)
    daemon = Daemon("--state-dir", str(state_dir(tmp_path)), "--tls-cert", cert,
                    "--tls-key", key)
    try:
        assert served_certificate(daemon.port) == old
        if valid:
            make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1")
        else:
            make_certificate(cert, str(tmp_path / "other-key.pem"), "127.0.0.1", ip="127.0.0.1")
        daemon.signal(signal.SIGHUP)
        time.sleep(0.3)
        assert served_certificate(daemon.port) == (fingerprint(cert) if valid else old)
        code, took = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0 and took < STOP_WITHIN
    log_is_clean(daemon.lines)
    hups = [line for line in daemon.lines if " - SIGHUP: " in line]
    assert len(hups) == 1, daemon.lines
    assert ("re-read the TLS certificate and key" in hups[0]) == valid, hups
    assert ("cannot load the TLS certificate/key" in hups[0]) != valid, hups


# (id, log, SIGHUPs sent at once)
BURSTS = [("one_without_token_or_tls", "read", 1), ("fifty_at_once", "read", 50),
          ("twenty_with_the_log_pipe_full", "full", 20)]


@pytest.mark.parametrize("name, log, count", BURSTS, ids=[b[0] for b in BURSTS])
def test_sighup_without_files_to_reread_is_logged_and_it_serves_on(tmp_path, name, log, count):
    daemon = Daemon("--state-dir", str(state_dir(tmp_path)), log=log)
    try:
        for _ in range(count):
            daemon.signal(signal.SIGHUP)
        time.sleep(0.3)
        assert daemon.process.poll() is None
        assert legit_request(daemon.port)[0] == 200
        code, took = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0 and took < STOP_WITHIN
    if log == "read":
        log_is_clean(daemon.lines)
        hups = [line for line in daemon.lines if " - SIGHUP: " in line]
        assert 1 <= len(hups) <= count and all(
            "nothing to re-read (no --token-file, no TLS); serving on" in line for line in hups)


def count_by_class():
    return {"9": len(STOPS) + 1 + len(RELOADS) + len(CERTIFICATES) + len(BURSTS)}

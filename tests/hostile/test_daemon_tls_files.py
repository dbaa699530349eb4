"""Issue 18, class 9: ``tgmon serve``'s TLS certificate and key, at start and at SIGHUP.

OpenSSL reads whatever file it is given, in the serving thread, and asks for
an encrypted key's passphrase on the controlling terminal - the exporter
stopped answering, and OpenSSL's own signal handlers swallowed SIGTERM. Now
each file is read bounded (a regular file of at most 256 KiB) and a
passphrase is never asked for: at start a bad file is exit 2 in one line; at
SIGHUP the exporter keeps the certificate it has and says why in one log
line, while 300 clients hold connections a legitimate one is answered within
1 s, and SIGTERM stops it within 2 s. Every daemon runs with a controlling
terminal, as when an admin starts it by hand, so that a prompt would show.
"""

import hashlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest
from cryptography.hazmat.primitives import serialization

from remote.servers import make_certificate

from .common import sparse, state_dir
from .daemon import Daemon, log_is_clean, read_terminal, with_terminal
from .harness import TGMON

pytestmark = pytest.mark.slow
HANG_GUARD = 5.0
ANSWER_WITHIN = 1.0
STOP_WITHIN = 2.0
PROMPT = b"pass phrase"


def encrypt(cert, key):
    with open(key, "rb") as handle:
        private = serialization.load_pem_private_key(handle.read(), None)
    with open(key, "wb") as handle:
        handle.write(private.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.BestAvailableEncryption(b"pw")))
    return key, "--tls-key %s is encrypted (it needs a passphrase) - give the key without a " \
                "passphrase, readable only by the exporter's user" % key


def cert_of_300_mb(cert, key):
    os.unlink(cert)
    sparse(cert, 300 * 1024 * 1024)
    return cert, "--tls-cert %s is 314572800 bytes, more than the 262144 allowed" % cert


def cert_of_20_mb_pem(cert, key):
    """Text OpenSSL would read to its end (old: a stall of the serving thread)."""
    with open(cert + ".new", "wb") as handle:
        handle.write(b"-----BEGIN CERTIFICATE-----\n" + (b"A" * 64 + b"\n") * 320000)
    os.replace(cert + ".new", cert)
    return cert, "--tls-cert %s is 20800028 bytes, more than the 262144 allowed" % cert


def key_a_fifo(cert, key):
    os.unlink(key)
    os.mkfifo(key)
    return key, "--tls-key %s is a FIFO, not a regular file - point it at a regular file" % key


def cert_a_link_to_dev_zero(cert, key):
    os.unlink(cert)
    os.symlink("/dev/zero", cert)
    return cert, "--tls-cert %s is a character device, not a regular file" % cert


def key_a_directory(cert, key):
    os.unlink(key)
    os.mkdir(key)
    return key, "--tls-key %s is a directory, not a regular file" % key


def key_removed(cert, key):
    os.unlink(key)
    return key, "--tls-key %s does not exist - check the path" % key


def cert_holds_the_key(cert, key):
    shutil.copy(key, cert)
    return cert, "cannot load the TLS certificate/key: "


def cert_emptied(cert, key):
    open(cert, "wb").close()
    return cert, "cannot load the TLS certificate/key: "


# (id, what becomes of the certificate or key): each returns (the file, what is said)
BAD_FILES = [
    ("encrypted_key", encrypt),
    ("cert_of_300_mb_sparse", cert_of_300_mb),
    ("cert_of_20_mb_pem_text", cert_of_20_mb_pem),
    ("key_a_fifo", key_a_fifo),
    ("cert_a_link_to_dev_zero", cert_a_link_to_dev_zero),
    ("key_a_directory", key_a_directory),
    ("key_removed", key_removed),
    ("cert_holds_the_key", cert_holds_the_key),
    ("cert_emptied", cert_emptied),
]


def pair(tmp):
    cert, key = str(tmp / "cert.pem"), str(tmp / "key.pem")
    make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1")
    return cert, key


def fingerprint(path):
    with open(path) as handle:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(handle.read())).hexdigest()


def tls_request(port, timeout=ANSWER_WITHIN):
    """A client as a check is: (status, seconds, the served certificate's fingerprint)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with context.wrap_socket(raw) as sock:
            served = hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest()
            sock.settimeout(timeout)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    return int(data.split(b" ", 2)[1]), time.monotonic() - started, served


def half_handshakes(port, count):
    """Clients that start a TLS record (a ClientHello of 512 bytes) and send 5 of them."""
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"\x16\x03\x01\x02\x00")
        held.append(sock)
    return held


@pytest.mark.parametrize("name, change", BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_a_bad_tls_file_at_start_is_exit_2_in_one_line_never_a_prompt(tmp_path, name, change):
    cert, key = pair(tmp_path)
    _, says = change(cert, key)
    command = [TGMON, "serve", "--state-dir", str(state_dir(tmp_path)), "--tls-cert", cert,
               "--tls-key", key, "--port", "0"]
    terminal, stdin = with_terminal(command)
    try:
        started = time.monotonic()
        done = subprocess.run(command, stdin=stdin, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=HANG_GUARD)
        took = time.monotonic() - started
        said = read_terminal(terminal)
    finally:
        os.close(stdin)
        os.close(terminal)
    assert done.returncode == 2
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tgmon: " + says), lines
    assert PROMPT not in said, said
    assert took < HANG_GUARD


@pytest.mark.parametrize("name, change", BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_sighup_with_a_bad_tls_file_keeps_the_old_one_and_answers(tmp_path, name, change):
    cert, key = pair(tmp_path)
    old = fingerprint(cert)
    daemon = Daemon("--state-dir", str(state_dir(tmp_path)), "--tls-cert", cert,
                    "--tls-key", key, terminal=True)
    held = []
    try:
        held = half_handshakes(daemon.port, 300)
        _, says = change(cert, key)
        started = time.monotonic()
        daemon.signal(signal.SIGHUP)
        while time.monotonic() - started < HANG_GUARD and not any(
                " - SIGHUP: " in line for line in daemon.lines):
            time.sleep(0.02)
        status, took, served = tls_request(daemon.port)
        assert (status, served) == (200, old)
        assert took < ANSWER_WITHIN, took
        code, stopped = daemon.stop(STOP_WITHIN)
        said = daemon.said_on_terminal()
    finally:
        for sock in held:
            sock.close()
        daemon.kill()
    assert code == 0 and stopped < STOP_WITHIN, (code, stopped)
    assert PROMPT not in said, said
    log_is_clean(daemon.lines)
    hups = [line for line in daemon.lines if " - SIGHUP: " in line]
    assert len(hups) == 1, daemon.lines
    assert "SIGHUP: kept the TLS certificate and key as read before: " + says in hups[0], hups


def trickled_hello(daemon):
    """A client that sends a ClientHello header a byte every 10 ms while the signal comes."""
    stop = threading.Event()

    def trickle():
        with socket.create_connection(("127.0.0.1", daemon.port), timeout=5) as sock:
            for byte in b"\x16\x03\x01\x02\x00" + b"\x01" * 512:
                if stop.wait(0.01):
                    return
                try:
                    sock.send(bytes([byte]))
                except OSError:
                    return
    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    time.sleep(0.2)
    return lambda: (stop.set(), thread.join(5))


def held_half_handshakes(daemon):
    held = half_handshakes(daemon.port, 300)
    return lambda: [sock.close() for sock in held]


def reload_of(change):
    """SIGHUP after ``change``; the stop signal follows once the reload has been said (or
    after 1 s: a reload that never ends, as at a passphrase prompt)."""
    def load(daemon):
        change(daemon.cert, daemon.key)
        daemon.signal(signal.SIGHUP)
        end = time.monotonic() + 1
        while time.monotonic() < end and not any(" - SIGHUP: " in line
                                                 for line in daemon.lines):
            time.sleep(0.01)
        return lambda: None
    return load


# (id, what happens before the stop signal, the signal)
STOPS = [
    ("sigterm_during_300_half_handshakes", held_half_handshakes, signal.SIGTERM),
    ("sigint_during_a_trickled_client_hello", trickled_hello, signal.SIGINT),
    ("sigterm_during_a_reload_of_an_encrypted_key", reload_of(encrypt), signal.SIGTERM),
    ("sigterm_during_a_reload_of_a_20_mb_cert", reload_of(cert_of_20_mb_pem), signal.SIGTERM),
    ("sigint_during_a_reload_of_a_fifo_key", reload_of(key_a_fifo), signal.SIGINT),
]


@pytest.mark.parametrize("name, load, number", STOPS, ids=[case[0] for case in STOPS])
def test_a_stop_signal_at_any_tls_moment_ends_it_within_2_s(tmp_path, name, load, number):
    cert, key = pair(tmp_path)
    daemon = Daemon("--state-dir", str(state_dir(tmp_path)), "--tls-cert", cert,
                    "--tls-key", key, terminal=True)
    daemon.cert, daemon.key = cert, key
    release = lambda: None    # noqa: E731 - nothing to release until the load holds some
    try:
        release = load(daemon)
        started = time.monotonic()
        daemon.signal(number)
        code = daemon.process.wait(STOP_WITHIN + 3)
        took = time.monotonic() - started
        said = daemon.said_on_terminal()
    finally:
        release()
        daemon.kill()
    assert code == 0 and took < STOP_WITHIN, (code, took)
    assert PROMPT not in said, said
    if daemon.log_read is not None:
        daemon.log_read.join(5)
    log_is_clean(daemon.lines)
    assert daemon.lines[-1] == "tgmon serve: stopped\n", daemon.lines[-3:]


def count_by_class():
    return {"9": 2 * len(BAD_FILES) + len(STOPS)}

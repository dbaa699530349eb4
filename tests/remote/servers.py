"""Real servers on 127.0.0.1 for the remote tests: the exporter, and faulty ones."""

import datetime
import os
import re
import signal
import socket
import subprocess
import threading
import time

from helpers import VENV_BIN


class Exporter:
    """``tgmon serve`` (or ``tgmon-sim serve``) as a subprocess on a free port."""

    def __init__(self, *args, program="tgmon", path=None, port=0):
        # port: 0 for a free one; a given one to start it again where it was
        command = ([path or os.path.join(VENV_BIN, program), "serve"] + list(args)
                   + ["--port", str(port)])
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        line = self.process.stderr.readline()
        match = re.search(r"listening on (https?)://([\d.]+):(\d+)", line)
        if not match:
            self.process.kill()
            raise RuntimeError("exporter did not start: %r" % (line + self.process.stderr.read()))
        self.scheme, self.host, self.port = match.group(1), match.group(2), int(match.group(3))
        self.log = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.process.stderr:
            self.log.append(line)

    def url(self, path="/v1/status"):
        return "%s://127.0.0.1:%d%s" % (self.scheme, self.port, path)

    def stop(self):
        """SIGTERM by PID; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)


class RawServer:
    """A TCP server on 127.0.0.1 whose answer is a function of the request path."""

    def __init__(self, respond):
        self.respond = respond
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.running = True
        threading.Thread(target=self._loop, daemon=True).start()

    def url(self, path="/v1/status"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _loop(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            path = data.split(b" ", 2)[1].decode()
            self.respond(conn, path, self)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.running = False
        self.sock.close()


def http_answer(status, body, content_type="application/json", extra=""):
    return ("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n%s\r\n"
            % (status, content_type, len(body), extra)).encode() + body


class BlackHole:
    """Accepts TCP connections (the kernel does, via the backlog) and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    def url(self):
        return "http://127.0.0.1:%d/v1/status" % self.port

    def close(self):
        self.sock.close()


def make_certificate(cert_path, key_path, common_name, ip=None, rsa=False, valid_days=(-1, 1),
                     issuer=None, alt_name=True):
    """A certificate made now (EC, or RSA for Icinga 2), valid from ``valid_days[0]`` to
    ``valid_days[1]`` days from now; self-signed and CA-capable, or signed by ``issuer``
    (cert_path, key_path of a CA made here); ``alt_name=False``: no subjectAltName."""
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric import rsa as rsa_keys
    from cryptography.x509.oid import NameOID
    key = (rsa_keys.generate_private_key(public_exponent=65537, key_size=2048) if rsa
           else ec.generate_private_key(ec.SECP256R1()))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    alt = x509.IPAddress(ipaddress.ip_address(ip)) if ip else x509.DNSName(common_name)
    now = datetime.datetime.now(datetime.timezone.utc)
    issuer_name, signing_key = subject, key
    if issuer:
        with open(issuer[0], "rb") as handle:
            issuer_name = x509.load_pem_x509_certificate(handle.read()).subject
        with open(issuer[1], "rb") as handle:
            signing_key = serialization.load_pem_private_key(handle.read(), None)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=valid_days[0]))
               .not_valid_after(now + datetime.timedelta(days=valid_days[1]))
               .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None),
                              critical=True))
    if alt_name:
        builder = builder.add_extension(x509.SubjectAlternativeName([alt]), critical=False)
    cert = builder.sign(signing_key, hashes.SHA256())
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    os.chmod(key_path, 0o600)


def self_signed(directory, name="127.0.0.1"):
    """A certificate for the exporter on 127.0.0.1; returns (cert, key) paths."""
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    make_certificate(cert_path, key_path, name, ip=name)
    return cert_path, key_path


def wait_for(predicate, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False

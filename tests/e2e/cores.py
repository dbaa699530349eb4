"""Real monitoring cores for the end-to-end tests: availability and set-up."""

import datetime
import os
import shutil

import pytest


def need(binary, package):
    """The path of a core's binary; in CI a missing core fails, elsewhere it skips loudly."""
    for directory in ("/usr/sbin", "/usr/bin", "/sbin"):
        path = os.path.join(directory, binary)
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(binary)
    if found:
        return found
    message = ("%s (Debian package %s) is not installed: the end-to-end test in real cores "
               "cannot run. .ci/run installs it; here: apt-get install %s" % (binary, package, package))
    if os.environ.get("CI"):
        pytest.fail("CI must run this test: " + message)
    pytest.skip("SKIPPED LOUDLY - " + message)


def rsa_self_signed(cert_path, key_path, common_name):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
            .sign(key, hashes.SHA256()))
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    os.chmod(key_path, 0o600)

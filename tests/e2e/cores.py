"""Real monitoring cores for the end-to-end tests: availability and set-up."""

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
    from remote.servers import make_certificate
    make_certificate(cert_path, key_path, common_name, rsa=True)

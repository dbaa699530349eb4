"""No library warning reaches a plugin's output: the real console scripts against a
real TLS exporter on 127.0.0.1 whose certificate has no subjectAltName (urllib3 warns
about it on stderr, which Icinga 2 shows as part of the output)."""

import os
import subprocess

import pytest

from tgmon.state import examples
from tgmon.state.layout import write_state
from tgmon.timeutil import utcnow

from helpers import VENV_BIN
from .servers import Exporter, make_certificate


@pytest.fixture
def no_san_exporter(tmp_path):
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    make_certificate(cert, key, "127.0.0.1", alt_name=False)
    state = str(tmp_path / "state")
    write_state(state, examples.build("healthy-cluster-node",
                                      utcnow().astimezone(examples.CET).replace(microsecond=0)))
    exporter = Exporter("--state-dir", state, "--tls-cert", cert, "--tls-key", key)
    yield exporter, cert
    exporter.stop()


@pytest.mark.parametrize("plugin, args", [
    ("check_versions", ["--url", "{url}", "--ca-file", "{cert}"]),
    ("check_tightgate", ["--url", "{url}", "--ca-file", "{cert}", "-vv"]),
    ("check_cluster_updates", ["--node", "{url}", "--ca-file", "{cert}"]),
    ("check_versions", ["--url", "{url}", "--insecure"]),
])
def test_no_library_warning_reaches_the_output(no_san_exporter, plugin, args):
    exporter, cert = no_san_exporter
    argv = [a.format(url=exporter.url(), cert=cert) for a in args]
    result = subprocess.run([os.path.join(VENV_BIN, plugin)] + argv, capture_output=True,
                            text=True, timeout=30, env={"PATH": os.environ["PATH"]})
    assert result.stderr == "", result.stderr
    assert result.returncode in (0, 1, 2), result.stdout   # read and judged, whatever it found
    assert "Warning" not in result.stdout and "warnings.warn" not in result.stdout

"""The Nagios object sample passes a real Nagios 4 pre-flight check (nagios4 -v)."""

import os
import re
import subprocess

import pytest

from .cores import need
from helpers import ROOT

pytestmark = pytest.mark.e2e
SAMPLE = os.path.join(ROOT, "icinga-conf", "nagios")


def test_nagios_sample_has_no_errors_and_no_warnings(tmp_path):
    binary = need("nagios4", "nagios4-core")
    var = tmp_path / "var"
    var.mkdir()
    (tmp_path / "spool").mkdir()
    (tmp_path / "resource.cfg").write_text("$USER1$=/usr/lib/nagios/plugins\n")
    user = os.environ.get("USER") or "root"
    lines = ["cfg_file=%s" % os.path.join(SAMPLE, name) for name in sorted(os.listdir(SAMPLE))
             if name.endswith(".cfg")]
    lines += [
        "resource_file=%s" % (tmp_path / "resource.cfg"),
        "log_file=%s" % (var / "nagios.log"),
        "status_file=%s" % (var / "status.dat"),
        "object_cache_file=%s" % (var / "objects.cache"),
        "precached_object_file=%s" % (var / "objects.precache"),
        "temp_file=%s" % (var / "nagios.tmp"),
        "temp_path=%s" % var,
        "lock_file=%s" % (var / "nagios.lock"),
        "state_retention_file=%s" % (var / "retention.dat"),
        "command_file=%s" % (var / "nagios.cmd"),
        "check_result_path=%s" % (tmp_path / "spool"),
        "nagios_user=%s" % user,
        "nagios_group=%s" % user,
        "check_external_commands=0",
        "illegal_macro_output_chars=`~$&|'\"<>",
    ]
    config = tmp_path / "nagios.cfg"
    config.write_text("\n".join(lines) + "\n")
    result = subprocess.run([binary, "-v", str(config)], capture_output=True, text=True,
                            timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"Total Warnings:\s+0\b", output), output
    assert re.search(r"Total Errors:\s+0\b", output), output
    assert re.search(r"Checked 8 services", output), output

"""The installed entry points, run as a monitoring core runs them."""

import os
import subprocess
import sys

from tgmon.state import examples
from tgmon.state.layout import write_state
from tgmon.timeutil import utcnow

from helpers import ROOT, VENV_BIN



def _fresh(tmp_path, name):
    path = str(tmp_path / name)
    write_state(path, examples.build(name, utcnow().astimezone()))
    return path


def test_console_script(tmp_path):
    result = subprocess.run([os.path.join(VENV_BIN, "check_versions"), "--state-dir",
                             _fresh(tmp_path, "download-failed-single")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stdout.startswith("VERSIONS WARNING - Update download failed since ")
    assert result.stderr == ""


def test_plugins_dir_executable(tmp_path):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "plugins", "check_versions"),
                             "--state-dir", _fresh(tmp_path, "releases-behind-single")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout.startswith("VERSIONS CRITICAL - 2 releases behind")
    assert os.access(os.path.join(ROOT, "plugins", "check_versions"), os.X_OK)


def test_argparse_errors_exit_3_on_stdout():
    result = subprocess.run([os.path.join(VENV_BIN, "check_versions"), "--nope"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert result.stdout == ("VERSIONS UNKNOWN - bad option: unrecognized arguments: --nope - "
                             "see check_versions --help\n")


PROBE = """
import io, sys
from tgmon.checks.versions import DEFINITION
from tgmon.runtime.plugin import run
code = run(DEFINITION, sys.argv[1:], out=io.StringIO())
heavy = sorted(m for m in ("requests", "yaml", "urllib3", "dataclasses",
                           "pkg_resources", "importlib.metadata") if m in sys.modules)
print("CODE", code, "HEAVY", ",".join(heavy) or "-")
"""


def test_local_path_imports_neither_requests_nor_yaml(tmp_path):
    result = subprocess.run([sys.executable, "-c", PROBE, "--state-dir",
                             _fresh(tmp_path, "healthy-single")],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "CODE 0 HEAVY -"


def test_config_path_imports_yaml_only(tmp_path):
    config = tmp_path / "tgmon.yml"
    config.write_text("state_dir: %s\n" % _fresh(tmp_path, "healthy-single"))
    result = subprocess.run([sys.executable, "-c", PROBE, "--config", str(config)],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "CODE 0 HEAVY yaml"

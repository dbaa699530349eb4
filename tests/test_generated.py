"""Every generated file is in step with its source: ``make generate`` leaves the
tree unchanged (docs' help blocks, CheckCommands, Nagios/NRPE commands, the
Director baskets, the plugin wrappers, the example states)."""

import subprocess
import sys
import os

from helpers import ROOT


def test_every_generated_file_is_up_to_date():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "generate.py"),
                             "--check"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr == ""

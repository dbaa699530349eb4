"""One version everywhere the package states it; every launcher starts Python isolated."""

import os
import re
import subprocess
import sys

import pytest

import tgmon

from helpers import ROOT


def test_debian_changelog_names_the_version_of_the_code():
    with open(os.path.join(ROOT, "debian", "changelog")) as handle:
        first = handle.readline()
    match = re.match(r"^tgmon \(([^)]+)\) \S+; urgency=\w+$", first)
    assert match, first
    assert match.group(1) == tgmon.__version__


def test_man_pages_name_the_version_of_the_code():
    for name in ("tgmon.1", "tgmon-sim.1"):
        with open(os.path.join(ROOT, "docs", "man", name)) as handle:
            header = handle.readline()
        assert '"tgmon %s"' % tgmon.__version__ in header, (name, header)


ISOLATE = os.path.join(ROOT, "tools", "isolate-shebangs")
PIP_LONG = "#!/bin/sh\n'''exec' %s \"$0\" \"$@\"\n' '''\nimport sys\n"

# (first lines of a launcher, what they become; None: refused)
LAUNCHERS = [
    ("#!/usr/bin/python3\nimport sys\n", "#!/usr/bin/python3 -I\nimport sys\n"),
    ("#!/opt/tgmon/bin/python3.11\n", "#!/opt/tgmon/bin/python3.11 -I\n"),
    ("#!/opt/tgmon/bin/python -I\n", "#!/opt/tgmon/bin/python -I\n"),
    (PIP_LONG % '"/opt/with space/bin/python"', PIP_LONG % '"/opt/with space/bin/python" -I'),
    (PIP_LONG % "/opt/very/long/bin/python", PIP_LONG % "/opt/very/long/bin/python -I"),
    ("#!/usr/bin/env python3\n", None),
    ("#!/bin/sh\necho\n", None),
]


@pytest.mark.parametrize("before, after", LAUNCHERS)
def test_isolate_shebangs_starts_every_launcher_in_isolated_mode(tmp_path, before, after):
    script = tmp_path / "launcher"
    script.write_text(before)
    script.chmod(0o755)
    done = subprocess.run([sys.executable, ISOLATE, str(script)], capture_output=True,
                          text=True, timeout=30)
    if after is None:
        assert done.returncode == 1 and "starts no Python" in done.stderr
        assert script.read_text() == before
    else:
        assert done.returncode == 0, done.stderr
        assert script.read_text() == after
        assert script.stat().st_mode & 0o777 == 0o755
    assert sorted(os.listdir(tmp_path)) == ["launcher"]     # no temp file left


def test_every_plugin_wrapper_restarts_itself_isolated():
    for name in sorted(os.listdir(os.path.join(ROOT, "plugins"))):
        with open(os.path.join(ROOT, "plugins", name)) as handle:
            text = handle.read()
        guard = text.index("if not sys.flags.isolated")
        assert guard < text.index("from tgmon"), name
        assert 'os.execv(sys.executable, [sys.executable, "-I"] + sys.argv)' in text, name

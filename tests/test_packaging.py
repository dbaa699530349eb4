"""One version everywhere the package states it."""

import os
import re

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

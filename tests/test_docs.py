"""Per-check docs: sections, the --help text, every perfdata label."""

import os
import re
import subprocess
import sys

import pytest

from tgmon.state import examples
from tgmon.checks import cluster_updates
from tgmon.checks.registry import SINGLE_NODE_CHECKS, all_checks
from tgmon.options import default_settings

from helpers import NOW, ROOT

DEFINITIONS = all_checks()
# Runbook: one entry per finding, where the alerts link to (tests/test_runbooks.py)
SECTIONS = ("Overview", "Options", "States", "Perfdata", "Troubleshooting", "Runbook")


def _doc(definition):
    with open(os.path.join(ROOT, "docs", "checks", definition.prog + ".rst")) as handle:
        return handle.read()


def test_help_blocks_match_the_code():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "helpdocs.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("definition", DEFINITIONS, ids=[d.prog for d in DEFINITIONS])
def test_sections(definition):
    text = _doc(definition)
    found = re.findall(r"^(\w+)\n-+$", text, re.M)
    assert found == list(SECTIONS)


@pytest.mark.parametrize("definition", SINGLE_NODE_CHECKS, ids=[d.prog for d in SINGLE_NODE_CHECKS])
def test_every_perfdata_label_is_documented(definition):
    labels = set()
    for name in examples.EXAMPLES:
        verdict = definition.judge(examples.build(name, NOW), default_settings(definition), NOW)
        labels |= {p.label for p in verdict.perfdata}
    text = _doc(definition)
    assert all("``%s``" % label in text for label in labels), labels


def test_cluster_perfdata_is_documented():
    text = _doc(cluster_updates.DEFINITION)
    for label in ("nodes", "nodes_updating", "nodes_locked", "nodes_out_of_lb",
                  "nodes_in_maintenance", "nodes_unreachable", "schedule_overlap"):
        assert "``%s``" % label in text


@pytest.mark.parametrize("definition", DEFINITIONS, ids=[d.prog for d in DEFINITIONS])
def test_severity_options_are_documented(definition):
    text = _doc(definition)
    for condition in definition.conditions:
        assert "--%s-severity" % condition.name in text


@pytest.mark.parametrize("page, said", [
    (None, "is missing - write the page of check_versions first"),
    ("Overview\n--------\n", "has no '.. BEGIN HELP' / '.. END HELP' block - add an empty one"),
    (".. BEGIN HELP\n.. END HELP\n", None),
], ids=["missing", "no-block", "empty-block"])
def test_help_blocks_of_a_new_page(tmp_path, monkeypatch, page, said):
    """A page not yet written, or without its block, is one line naming it and the fix."""
    monkeypatch.syspath_prepend(os.path.join(ROOT, "tools"))
    import helpdocs
    path = tmp_path / "check_versions.rst"
    if page is not None:
        path.write_text(page, encoding="utf-8")
    monkeypatch.setattr(helpdocs, "doc_path", lambda definition: str(path))
    definition = SINGLE_NODE_CHECKS[0]
    if said is None:
        assert "usage: check_versions" in helpdocs.render(definition)[1]
        return
    with pytest.raises(SystemExit) as raised:
        helpdocs.render(definition)
    message = str(raised.value.code)
    assert said in message and "\n" not in message, message
    assert message.split()[0].endswith("check_versions.rst"), message   # names the page first

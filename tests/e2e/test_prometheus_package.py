"""What the package ships for Prometheus (issue 23): the alert rules and the
Grafana dashboard as in the tree, the rules loadable by promtool, and the
installed tgmon writing and serving metrics a strict parser reads."""

import json
import os
import shutil
import subprocess
import urllib.request

import pytest

from helpers import ROOT
from promtext import parse, promtool, values
from remote.servers import Exporter
from .cores import TGMON, WorkDir, need_installed_copy, need_package

pytestmark = pytest.mark.e2e
SHARE = "/usr/share/tgmon"
STATES = "/usr/share/doc/tgmon/examples/states"


@pytest.fixture
def locked_node():
    """The shipped example of a locked cluster node, its times moved to now."""
    need_package()
    work = WorkDir("tgmon-prom-")
    path = os.path.join(work.path, "state")
    shutil.copytree(os.path.join(STATES, "update-locked-cluster-node"), path)
    done = subprocess.run([TGMON, "refresh", path], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    yield work, path
    work.remove()


def test_the_rules_and_the_dashboard_are_shipped_as_generated():
    need_package()
    rules = os.path.join(SHARE, "prometheus", "tgmon-rules.yml")
    board = os.path.join(SHARE, "grafana", "tgmon-dashboard.json")
    need_installed_copy(rules, os.path.join(ROOT, "prometheus", "tgmon-rules.yml"))
    need_installed_copy(board, os.path.join(ROOT, "grafana", "tgmon-dashboard.json"))
    done = subprocess.run([promtool(), "check", "rules", rules], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and "SUCCESS" in done.stdout, done
    with open(board, encoding="utf-8") as handle:
        assert json.load(handle)["uid"] == "tgmon-updates"


def test_the_installed_textfile_command_of_the_unit(locked_node):
    work, path = locked_node
    output = os.path.join(work.sub("node-exporter"), "tgmon.prom")
    with open("/lib/systemd/system/tgmon-textfile.service", encoding="utf-8") as handle:
        unit = handle.read().replace("\\\n", " ")
    command = unit.split("ExecStart=", 1)[1].splitlines()[0].split()
    command = [word.replace("/var/lib/tgmon", path).replace(
        "/var/lib/prometheus/node-exporter/tgmon.prom", output) for word in command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), done
    with open(output, encoding="utf-8") as handle:
        samples = parse(handle.read())
    assert values(samples, "tgmon_check_status")[frozenset({("check", "update_lock")})] == 2


def test_the_installed_exporter_answers_metrics(locked_node):
    work, path = locked_node
    exporter = Exporter("--state-dir", path, path=TGMON)
    try:
        with urllib.request.urlopen(exporter.url("/metrics"), timeout=10) as answer:
            samples = parse(answer.read().decode("utf-8"))
    finally:
        assert exporter.stop() == 0
    assert values(samples, "tgmon_up") == {frozenset(): 1}
    assert values(samples, "tgmon_flag_set")[frozenset({("flag", "update_lock")})] == 1

"""icinga-conf/: generated files in step with the plugins; every option an
argument and every argument an option; the NRPE commands really run."""

import os
import re
import shlex
import subprocess
import sys

import pytest

from tgmon import examples
from tgmon.checks.registry import SINGLE_NODE_CHECKS, all_checks
from tgmon.stateformat import write_state
from tgmon.timeutil import utcnow
from helpers import ROOT, VENV_BIN

DEFINITIONS = all_checks()
COMMANDS = os.path.join(ROOT, "icinga-conf", "global-templates", "tgmon-commands.conf")


@pytest.mark.parametrize("tool", ["icingaconf.py", "nagiosconf.py"])
def test_generated_files_are_up_to_date(tool):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "tools", tool), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def _commands():
    with open(COMMANDS) as handle:
        text = handle.read()
    blocks = re.findall(r'object CheckCommand "(\w+)" \{(.*?)\n\}', text, re.S)
    return {name: body for name, body in blocks}


def _options(definition):
    parser = definition.parser()
    return {max(a.option_strings, key=len) for a in parser._actions
            if a.dest not in ("help", "version")}


@pytest.mark.parametrize("definition", DEFINITIONS, ids=[d.prog for d in DEFINITIONS])
def test_every_option_is_an_argument_and_back(definition):
    body = _commands()["tgmon_" + definition.short_name]
    arguments = set(re.findall(r'^    "(--[\w-]+)" = \{', body, re.M))
    assert arguments == _options(definition)
    assert 'PluginContribDir + "/%s"' % definition.prog in body
    for var in re.findall(r"\$(tgmon_\w+)\$", body):
        assert var.startswith("tgmon_%s_" % definition.short_name)
    timeout = int(re.search(r"^  timeout = (\d+)", body, re.M).group(1))
    plugin_timeout = float(re.search(r"vars\.tgmon_\w+_timeout = (\d+)", body).group(1))
    assert timeout > plugin_timeout


def test_flags_use_set_if():
    body = _commands()["tgmon_versions"]
    assert re.search(r'"--insecure" = \{\s+set_if = "\$tgmon_versions_insecure\$"', body)
    assert re.search(r'"--node" = \{\s+value = "\$tgmon_cluster_updates_node\$"\s+repeat_key = true',
                     _commands()["tgmon_cluster_updates"])


def test_nrpe_commands_run(tmp_path):
    state_dir = str(tmp_path / "state")
    write_state(state_dir, examples.build("update-locked-cluster-node", utcnow().astimezone()))
    with open(os.path.join(ROOT, "icinga-conf", "nrpe", "tgmon.cfg")) as handle:
        commands = [line.split("=", 1) for line in handle if line.startswith("command[")]
    assert len(commands) == len(SINGLE_NODE_CHECKS) + 1
    codes = {}
    for key, command in commands:
        argv = shlex.split(command.replace("/usr/lib/nagios/plugins", VENV_BIN)
                           .replace("/var/lib/tgmon", state_dir))
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        codes[key] = result.returncode
        assert re.match(r"^[A-Z_]+ (OK|WARNING|CRITICAL) - ", result.stdout), result.stdout
    assert codes["command[tgmon_update_lock]"] == 2
    assert codes["command[tgmon_tightgate]"] == 2
    assert codes["command[tgmon_hotfixes]"] == 0

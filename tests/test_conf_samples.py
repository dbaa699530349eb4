"""icinga-conf/: generated files in step with the plugins; every option an
argument and every argument an option; the NRPE commands really run."""

import os
import re
import shlex
import subprocess
import sys

import pytest

from tgmon.state import examples
from tgmon.checks.registry import SINGLE_NODE_CHECKS, all_checks
from tgmon.state.layout import write_state
from tgmon.timeutil import utcnow
from tgmon.options import build_parser
from tgmon.runtime.configure import options_from
from helpers import ROOT, VENV_BIN, run_check

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
    return dict(blocks)


def _options(definition):
    """Every option's long form as --help lists it, but -h and -V."""
    help_text = run_check(definition, ["--help"]).output
    return set(re.findall(r"^  (?:-\w(?: \S+)?, )?(--[\w-]+)", help_text, re.M)) - {
        "--help", "--version"}


@pytest.mark.parametrize("definition", DEFINITIONS, ids=[d.prog for d in DEFINITIONS])
def test_every_option_is_an_argument_and_back(definition):
    body = _commands()["tgmon_" + definition.short_name]
    arguments = set(re.findall(r'^    "(--[\w-]+)" = \{', body, re.M))
    assert arguments == _options(definition)
    assert 'PluginContribDir + "/%s"' % definition.prog in body
    for var in re.findall(r"\$(tgmon_\w+)\$", body):
        assert var.startswith("tgmon_%s_" % definition.short_name)
    timeout = int(re.search(r"^  timeout = (\d+)", body, re.M).group(1))
    assert timeout > build_parser(definition).get_default("timeout")


@pytest.mark.parametrize("definition", DEFINITIONS, ids=[d.prog for d in DEFINITIONS])
def test_no_var_has_a_default_so_the_config_file_applies(definition):
    """ITL style: a var not set leaves its argument out, and the plugin's default or
    its --config file applies. A default var put every default on the command line,
    where it beat the config file (issue 20: CRITICAL by hand, WARNING in Icinga)."""
    body = _commands()["tgmon_" + definition.short_name]
    assert not re.search(r"^\s*vars\.", body, re.M), body
    arguments = re.findall(r'^    "(--[\w-]+)" = \{(.*?)^    \}', body, re.M | re.S)
    assert len(arguments) == len(_options(definition))
    for option, spec in arguments:
        keys = re.findall(r"^      (\w+) = ", spec, re.M)
        var = "$tgmon_%s_%s$" % (definition.short_name, option[2:].replace("-", "_"))
        assert keys[0] in ("set_if", "value") and var in spec, (option, spec)
        assert set(keys) <= {"set_if", "value", "repeat_key", "description"}, (option, keys)


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
    assert len(commands) == len(SINGLE_NODE_CHECKS) + 2    # + check_tightgate, check_reachable
    codes = {}
    for key, command in commands:
        argv = shlex.split(command.replace("/usr/lib/nagios/plugins", VENV_BIN))
        assert argv[1:] == [], "no option set on the plugins' behalf: %s" % command
        argv += ["--state-dir", state_dir]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        codes[key] = result.returncode
        assert re.match(r"^[A-Z_]+ (OK|WARNING|CRITICAL) - ", result.stdout), result.stdout
    assert codes["command[tgmon_update_lock]"] == 2
    assert codes["command[tgmon_tightgate]"] == 2
    assert codes["command[tgmon_hotfixes]"] == 0
    assert codes["command[tgmon_reachable]"] == 0


def _nagios_command(name):
    with open(os.path.join(ROOT, "icinga-conf", "nagios", "tgmon-commands.cfg")) as handle:
        text = handle.read()
    match = re.search(r"command_name\s+%s\n\s+command_line\s+(.*)\n" % name, text)
    return match.group(1)


def test_nagios_empty_macros_leave_the_config_file_in_charge(short_tmp):
    """The _url commands pass the token and CA macros even when a host has none (as
    empty quoted arguments): such an empty option must not beat --config's value."""
    from tgmon.checks.versions import DEFINITION as VERSIONS
    config = short_tmp / "tgmon.yml"
    config.write_text("token_file: /etc/tgmon/token\nca_file: /etc/tgmon/ca.pem\n"
                      "check_versions:\n  warn-flag-severity: critical\n  warning_age: 1h\n")
    line = _nagios_command("tgmon_versions_url")
    for macro, value in (("$USER1$", VENV_BIN), ("$_HOSTTGMON_URL$", "https://tg1:9740/v1/status"),
                         ("$_HOSTTGMON_TOKEN_FILE$", ""), ("$_HOSTTGMON_CA_FILE$", ""),
                         ("$ARG1$", "--config %s" % config)):
        line = line.replace(macro, value)
    argv = shlex.split(line)[1:]
    opts = options_from(VERSIONS, argv)
    assert (opts.token_file, opts.ca_file) == ("/etc/tgmon/token", "/etc/tgmon/ca.pem")
    assert (opts.warn_flag_severity, opts.warning_age) == (2, 3600)
    given = options_from(VERSIONS, argv + ["--token-file", "/other", "--warning-age", "2h"])
    assert (given.token_file, given.warning_age) == ("/other", 7200)   # the command line wins

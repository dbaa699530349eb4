"""The registry of checks is the one list: every place that names the plugins
agrees with it, and the parts that need no plugin runtime do not load it."""

import configparser
import os
import re
import subprocess
import sys

import pytest

from tgmon.checks.registry import SINGLE_NODE_CHECKS, all_checks, by_prog

from helpers import ROOT

CHECKS = all_checks()
PROGS = {d.prog for d in CHECKS}
NODE_LEVEL = [d for d in CHECKS if d.scope != "cluster"]


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def _console_plugins():
    """setup.cfg's console scripts that are plugins: name -> target."""
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, "setup.cfg"))
    entries = dict(line.split(" = ") for line in
                   config["options.entry_points"]["console_scripts"].strip().splitlines())
    return {name: target for name, target in entries.items() if name.startswith("check_")}


def test_registry_lists_each_plugin_once_with_a_known_scope():
    assert len(PROGS) == len(CHECKS) == len(_console_plugins())
    assert {d.scope for d in CHECKS} == {"node", "all-in-one", "cluster", "reachability"}
    assert all(d.scope == "node" for d in SINGLE_NODE_CHECKS)
    assert by_prog("check_versions") is SINGLE_NODE_CHECKS[0]
    with pytest.raises(KeyError):
        by_prog("check_nothing")


def test_setup_cfg_entry_points_are_the_registry(monkeypatch):
    """Each console script is tgmon.plugins.<prog>, which runs that plugin's definition."""
    import tgmon.plugins
    plugins = _console_plugins()
    assert set(plugins) == PROGS
    ran = []
    monkeypatch.setattr(tgmon.plugins, "_run", ran.append)
    for prog, target in sorted(plugins.items()):
        assert target == "tgmon.plugins:%s" % prog
        getattr(tgmon.plugins, prog)()
        assert ran[-1] is by_prog(prog)
    assert len(ran) == len(PROGS)


def test_plugin_wrappers_are_the_registry():
    wrappers = {name for name in os.listdir(os.path.join(ROOT, "plugins"))
                if name.startswith("check_")}
    assert wrappers == PROGS
    for prog in PROGS:
        assert "from tgmon.plugins import %s as main" % prog in _read("plugins", prog)
    stale = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "wrappers.py"), "--check"],
                           capture_output=True, text=True, timeout=60)
    assert stale.returncode == 0, stale.stdout + stale.stderr


def test_docs_pages_are_the_registry():
    pages = {name[:-4] for name in os.listdir(os.path.join(ROOT, "docs", "checks"))
             if name.endswith(".rst")}
    assert pages == PROGS
    readme = _read("README.rst")
    for prog in PROGS:
        assert re.search(r"^%s\s" % prog, readme, re.M), prog


def test_icinga_commands_and_constants_are_the_registry():
    commands = set(re.findall(r'^object CheckCommand "(\w+)"', _read(
        "icinga-conf", "global-templates", "tgmon-commands.conf"), re.M))
    assert commands == {"tgmon_" + d.short_name for d in CHECKS}
    constants = _read("icinga-conf", "master", "tgmon-constants.conf")
    listed = set(re.findall(r'^  "(\w+)" = \{', constants, re.M))
    assert listed == {d.short_name for d in SINGLE_NODE_CHECKS}
    services = _read("icinga-conf", "master", "tgmon-services.conf")
    used = set(re.findall(r'check_command = "(tgmon_\w+)"', services))
    assert used <= commands
    assert {"tgmon_tightgate", "tgmon_reachable", "tgmon_cluster_updates"} <= used
    # every check's runbook template (notes, notes_url), generated from the registry
    oncall = _read("icinga-conf", "master", "tgmon-oncall.conf")
    templates = set(re.findall(r'^template Service "tgmon-runbook-(\w+)"', oncall, re.M))
    assert templates == {d.short_name for d in CHECKS} | {"agent"}


def test_nagios_and_nrpe_samples_are_the_registry():
    nagios = set(re.findall(r"command_name\s+(tgmon_\w+)", _read(
        "icinga-conf", "nagios", "tgmon-commands.cfg")))
    wanted = set()
    for definition in NODE_LEVEL:
        wanted |= {"tgmon_%s%s" % (definition.short_name, variant)
                   for variant in ("", "_url", "_nrpe")}
    wanted |= {"tgmon_%s_url" % d.short_name for d in CHECKS if d.scope == "cluster"}
    assert nagios == wanted
    sample = _read("icinga-conf", "nagios", "tgmon-services.cfg")
    used = set(re.findall(r"check_command\s+(tgmon_\w+)", sample))
    assert used <= nagios
    nrpe = set(re.findall(r"^command\[(tgmon_\w+)\]", _read("icinga-conf", "nrpe", "tgmon.cfg"),
                          re.M))
    assert nrpe == {"tgmon_" + d.short_name for d in NODE_LEVEL}


def test_the_timeline_and_the_tools_need_no_plugin_runtime():
    probe = ("import sys; import tgmon.sim.timeline, tgmon.checks.registry; "
             "registry = tgmon.checks.registry.all_checks(); "
             "print(sorted(m for m in ('nagiosplugin', 'requests', 'tgmon.sources.statedir', "
             "'tgmon.runtime.plugin') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_readme_table_of_checks_is_the_registry():
    """README.rst's "The checks": a row per plugin, with the name its first line
    starts with."""
    table = re.search(r"^The checks\n=+\n\n(.*?)\n\n", _read("README.rst"), re.M | re.S).group(1)
    rows = re.findall(r"^(check_\w+) +(\w+) ", table, re.M)
    assert sorted(rows) == sorted((d.prog, d.name) for d in CHECKS)

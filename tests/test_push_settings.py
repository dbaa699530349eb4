"""tgmon push judges each service as its plugin runs for it: with the config file's
common part and the plugin's section (thresholds, severities, max_age,
runbook_url), the pusher's own --max-age/--runbook-url winning over the file,
and - Icinga 2 - the service's own vars.tgmon_<check>_<option>, its
CheckCommand's command line, winning over both."""

import sys
from datetime import timedelta

import pytest

from tgmon.push.services import BY_NAME
from tgmon.push.targets import icinga_parts
from tgmon.timeutil import utcnow

from helpers import run_check
from hostile.pushcores import PushIcinga, node_services
from hostile.syncrun import password_file
from test_push import example_nodes, freeze, node_args, plugin, push


@pytest.fixture
def nodes(tmp_path, monkeypatch):
    freeze(monkeypatch, sys.modules[__name__], sys.modules[plugin.__module__])
    return example_nodes(tmp_path)


AGED_CONFIG = ("max_age: 45m\nrunbook_url: https://common.example/rb\n"
               "check_versions:\n  max_age: 2h\n  runbook_url: https://versions.example/rb\n"
               "check_update_lock:\n  max_age: 2h\n"
               "check_tightgate:\n  max_age: 3h\n  runbook_url: https://all.example/rb\n"
               "check_cluster_updates:\n  max_age: 2h\n")


CLI_PINNED = ["--max-age", "20m", "--runbook-url", "https://cli.example/rb"]


@pytest.mark.parametrize("push_section, push_argv, plugin_argv", [
    ("", [], []),                                    # each check as its plugin reads the file
    ("push:\n  max_age: 90m\n", [], ["--max-age", "90m"]),   # the push section: every check
    ("", CLI_PINNED, CLI_PINNED),                    # the pusher's command line: every check
])
def test_each_check_takes_its_plugins_max_age_and_runbook_from_the_config(
        tmp_path, monkeypatch, push_section, push_argv, plugin_argv):
    """A state 70 minutes old: stale for some checks, fresh for others, as the plugins
    say with the same file - and the pusher's own --max-age wins as a plugin's command
    line would."""
    freeze(monkeypatch, sys.modules[__name__])
    nodes = example_nodes(tmp_path, utcnow() - timedelta(minutes=70))
    config = tmp_path / "tgmon.yml"
    config.write_text(AGED_CONFIG + push_section)
    services = node_services("tg-node2") + [("tg-node2", "all", "tgmon_tightgate"),
                                            ("tgc", "cluster", "tgmon_cluster_updates")]
    api = PushIcinga(tmp_path, services)
    try:
        code, _out, err = push(node_args(nodes) + api.args(password_file(tmp_path))
                               + ["--config", str(config), "--cluster-host", "tgc"] + push_argv)
    finally:
        api.close()
    assert code == 0, err
    got = api.by_service()
    stale = set()
    for host, service, command_name in services:
        check = command_name[len("tgmon_"):]
        where = (["--state-dir", nodes[host]] if host != "tgc" else
                 ["--node", nodes["tg-node2"], "--node", nodes["tg-single"]])
        expected = run_check(BY_NAME[check], where + ["--config", str(config)] + plugin_argv,
                             now=utcnow())
        body = got["%s!%s" % (host, service)]
        assert (body["exit_status"], body["plugin_output"]) == (
            expected.code, icinga_parts(expected.output)[0]), service
        stale.add("is stale" in expected.output)
    # the file alone: fresh for some checks, stale for others; 90m: fresh; 20m: stale
    assert stale == ({False} if push_section else {True} if push_argv else {True, False})


# a service's own vars, as the apply rules or an admin set them: its CheckCommand's
# command line, which judges the active check - and so the pushed result
SERVICE_VARS = [
    ("tg-node2", "lock", "tgmon_update_lock",
     {"tgmon_update_lock_update_lock_severity": "warning",
      "tgmon_update_lock_runbook_url": "https://docs.example/tg",
      "tgmon_update_lock_state_dir": "/elsewhere", "tgmon_update_lock_timeout": 3}),
    ("tg-node2", "all", "tgmon_tightgate", {"tgmon_tightgate_verbose": True}),
    ("tg-node2", "json", "tgmon_maintenance", {"tgmon_maintenance_output_format": "json"}),
    ("tg-single", "hotfixes", "tgmon_hotfixes",
     {"tgmon_hotfixes_warning": 5, "tgmon_hotfixes_max_age": 60.0}),
    ("tgc", "cluster", "tgmon_cluster_updates",
     {"tgmon_cluster_updates_unreachable_severity": "ok", "tgmon_cluster_updates_node": ["x"],
      "tgmon_cluster_updates_runbook_url": "https://docs.example/tg"}),
]


def test_a_services_own_vars_judge_its_result_as_its_check_command_line(tmp_path, nodes):
    """vars.tgmon_<check>_<option> (TgmonDocsUrl's runbook_url on every shipped service)
    make the CheckCommand's command line: the pushed result is what that plugin run
    prints; the vars that say where to read (state_dir, node, timeout) stay the
    pusher's. A var the plugin refuses leaves that service to its ttl, with a line."""
    nodes["tg-gone"] = str(tmp_path / "missing")
    api = PushIcinga(tmp_path, [(h, s, c) for h, s, c, _v in SERVICE_VARS]
                     + [("tg-single", "bad", "tgmon_versions")])
    for service, (_h, _s, _c, variables) in zip(api.services, SERVICE_VARS):
        service["vars"].update(variables)
    api.services[-1]["vars"]["tgmon_versions_warning_age"] = "soon"
    try:
        code, _out, err = push(node_args(nodes) + api.args(password_file(tmp_path))
                               + ["--cluster-host", "tgc"])
    finally:
        api.close()
    assert code == 1
    assert [line for line in err.splitlines() if "tg-gone" not in line] == [
        "tgmon push: Icinga 2: tg-single/bad not pushed, its vars give check_versions bad "
        "option: argument --warning-age: the value is not a duration (e.g. 90, 15m, 24h, 7d) - see "
        "check_versions --help"], err
    got = api.by_service()
    for host, service, command_name, variables in SERVICE_VARS:
        check = command_name[len("tgmon_"):]
        argv = [a for name, value in sorted(variables.items())
                for a in (["--" + name[len(command_name) + 1:].replace("_", "-")]
                          + ([] if value is True else [str(int(value)) if isinstance(value, float)
                                                       else str(value)]))
                if not isinstance(value, list) and not name.endswith(("_dir", "_timeout"))]
        where = (["--state-dir", nodes[host]] if host != "tgc" else
                 [a for path in sorted(nodes.values()) for a in ("--node", path)])
        expected = run_check(BY_NAME[check], where + argv, now=utcnow())
        body = got["%s!%s" % (host, service)]
        assert (body["exit_status"], body["plugin_output"]) == (
            expected.code, icinga_parts(expected.output)[0]), service
    assert got["tg-node2!lock"]["exit_status"] == 1
    assert "https://docs.example/tg/checks/check_update_lock.html" in got[
        "tg-node2!lock"]["plugin_output"]
    assert got["tg-node2!json"]["plugin_output"].startswith("{")
    assert "Runbook: https://docs.example/tg/" in got["tgc!cluster"]["plugin_output"]
    assert "tg-single!bad" not in got


@pytest.mark.parametrize("variables, skipped", [
    ({"tgmon_versions_warning_age": "9" * 5000}, False),           # over MAX_VAR
    ({"tgmon_versions_warning_age": {"nested": [1]}}, False),      # no option takes it
    ({"tgmon_versions_verbose": "yes\n[1] X;y"}, False),           # a flag's var: true only
    ({"tgmon_versions_warning_age": float("inf")}, True),          # the plugin refuses it
    ({"tgmon_versions_runbook_url": "javascript:x\nline"}, True),  # the plugin refuses it
])
def test_hostile_vars_in_the_apis_answer_change_nothing_else(tmp_path, nodes, variables,
                                                             skipped):
    api = PushIcinga(tmp_path, [("tg-single", "versions", "tgmon_versions")])
    api.services[0]["vars"].update(variables)
    try:
        code, out, err = push(node_args(nodes) + api.args(password_file(tmp_path)))
    finally:
        api.close()
    assert all(line.isprintable() for line in (out + err).splitlines())
    if skipped:
        assert (code, api.results) == (1, [])
        [line] = err.splitlines()
        assert line.startswith("tgmon push: Icinga 2: tg-single/versions not pushed, its vars "
                               "give check_versions bad option"), line
        return
    assert (code, err) == (0, "")
    expected = plugin("versions", nodes["tg-single"])
    assert api.by_service()["tg-single!versions"]["plugin_output"] == icinga_parts(
        expected.output)[0]


def test_a_bad_plugin_section_in_the_config_is_a_usage_error_at_start(tmp_path, nodes):
    config = tmp_path / "tgmon.yml"
    config.write_text("check_hotfixes:\n  warning: lots\n")
    code, out, err = push(node_args(nodes) + ["--nsca-config", "/nonexistent", "--config",
                                              str(config)])
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert line.startswith("tgmon push: config %s line 2: warning is not a valid value"
                           % config), line


def test_the_vars_read_are_the_ones_the_generated_check_commands_pass():
    """plugin_argv's var -> option mapping is the generated CheckCommands' (one var per
    argument, value or set_if), for every option of every pushed check."""
    import os
    import re
    from helpers import ROOT
    from tgmon.push.services import READING, plugin_argv
    with open(os.path.join(ROOT, "icinga-conf", "global-templates",
                           "tgmon-commands.conf")) as handle:
        text = handle.read()
    argument = re.compile(r'"(--[a-z-]+)" = \{\s*(value|set_if) = "\$([a-z_]+)\$"')
    checked = 0
    for check in BY_NAME:
        block = text.split('object CheckCommand "tgmon_%s" {' % check)[1].split("\n}\n")[0]
        for flag, kind, variable in argument.findall(block):
            dest = flag[2:].replace("-", "_")
            argv = plugin_argv(check, {variable: True if kind == "set_if" else "7"})
            expected = () if dest in READING else (
                (dest, (flag,) if kind == "set_if" else (flag, "7")),)
            assert argv == expected, (check, variable)
            checked += 1
    assert checked > 100

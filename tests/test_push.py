"""tgmon push --once against stand-ins of the cores: what each core receives is the
plugin's own output for each service that exists, nothing for the others, and
the run's exit code and lines say what was sent, skipped, refused or failed."""

import io
import os
import re
import time
from datetime import timedelta

import pytest

from tgmon.cores.nagios import check_result
from tgmon.push import command
from tgmon.push.services import BY_NAME, ttl_of
from tgmon.push.targets import icinga_parts
from tgmon.state.examples import write_example
from tgmon.timeutil import utcnow

from helpers import run_check
from hostile.fakecores import FakeNagios
from hostile.pushcores import PushIcinga, fake_send_nsca, node_services, nsca_config
from hostile.syncrun import password_file

NODES = {"tg-single": "healthy-single", "tg-node2": "update-locked-cluster-node"}
SERVICE_CHECK = re.compile(r"^\[(\d+)\] PROCESS_SERVICE_CHECK_RESULT;([^;]+);([^;]+);(\d);(.*)$")


@pytest.fixture
def nodes(tmp_path):
    """Fresh example states, as {host: state dir}; their states call themselves so."""
    dirs = {}
    for host, example in NODES.items():
        dirs[host] = str(tmp_path / "nodes" / host)
        write_example(example, dirs[host], utcnow())
    return dirs


def node_args(nodes):
    return [a for host, path in sorted(nodes.items()) for a in ("--node", "%s=%s" % (host, path))]


def push(argv):
    out, err = io.StringIO(), io.StringIO()
    code = command.main(["--once"] + list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def plugin(check, directory):
    return run_check(BY_NAME[check], ["--state-dir", directory], now=utcnow())


def test_icinga_gets_each_existing_service_the_plugins_output(tmp_path, nodes):
    services = node_services("tg-single") + [
        ("tg-node2", "tightgate", "tgmon_tightgate"),
        ("tg-node2", "tightgate-reachable", "tgmon_reachable"),
        ("tg-node2", "ping", "ping4")]
    api = PushIcinga(tmp_path, services)
    try:
        code, out, err = push(node_args(nodes) + api.args(password_file(tmp_path))
                              + ["--check-source", "pusher1"])
    finally:
        api.close()
    assert (code, err) == (0, ""), err
    got = api.by_service()
    assert sorted(got) == sorted("%s!%s" % (h, s) for h, s, c in services if c != "ping4")
    for (host, service, command_name) in services[:-1]:
        check = command_name[len("tgmon_"):]
        body = got["%s!%s" % (host, service)]
        expected = plugin(check, nodes[host])
        text, perfdata = icinga_parts(expected.output)
        assert (body["exit_status"], body["plugin_output"], body["performance_data"]) == (
            expected.code, text, perfdata)
        assert body["ttl"] == ttl_of(check) and body["check_source"] == "pusher1"
        assert body["execution_start"] <= body["execution_end"]
        assert body["type"] == "Service"
    # nothing but queries and results: no object is created, changed or removed
    assert {path for path, _ in api.actions} == {"/v1/actions/process-check-result"}
    assert "round 1: 2 of 2 nodes read, 9 results judged; Icinga 2: 9 sent, 0 refused" in out


def test_a_refused_result_is_one_line_and_the_others_are_sent(tmp_path, nodes):
    def refuse(api, path, body):
        if body.get("service") == "tg-single!tightgate-hotfixes":
            return 500, {"results": [{"code": 409, "status": "bad <script> ; x"}]}
    api = PushIcinga(tmp_path, node_services("tg-single"), push_answer=refuse)
    try:
        code, out, err = push(node_args(nodes) + api.args(password_file(tmp_path)))
    finally:
        api.close()
    assert code == 1
    assert len(api.results) == 6
    [line] = err.splitlines()
    assert "tg-single/tightgate-hotfixes refused" in line and "bad" in line
    assert "6 sent, 1 refused" in out


@pytest.mark.parametrize("failure, exit_code, node_services_pushed", [
    ("unknown", 1, 7), ("expire", 1, 0)])
def test_a_node_not_read_gets_unknown_or_nothing(tmp_path, nodes, failure, exit_code,
                                                node_services_pushed):
    nodes["tg-gone"] = str(tmp_path / "missing")
    api = PushIcinga(tmp_path, node_services("tg-gone"))
    try:
        code, _out, err = push(node_args(nodes) + api.args(password_file(tmp_path))
                               + ["--node-failure", failure])
    finally:
        api.close()
    assert code == exit_code
    assert "node tg-gone (%s) not read: state dir" % nodes["tg-gone"] in err
    got = api.by_service()
    assert len(got) == node_services_pushed
    if got:
        assert got["tg-gone!tightgate-reachable"]["exit_status"] == 2
        assert {b["exit_status"] for k, b in got.items() if "reachable" not in k} == {3}
        for check in ("versions", "reachable"):
            expected = plugin(check, nodes["tg-gone"])
            assert got["tg-gone!tightgate-" + check]["plugin_output"] == icinga_parts(
                expected.output)[0]
            assert "does not exist" in expected.output


def test_the_cluster_host_gets_the_cluster_check(tmp_path, nodes):
    api = PushIcinga(tmp_path, [("tgc", "tightgate-cluster", "tgmon_cluster_updates"),
                                ("tg-single", "tightgate-cluster", "tgmon_cluster_updates")])
    try:
        code, _out, err = push(node_args(nodes) + api.args(password_file(tmp_path))
                               + ["--cluster-host", "tgc"])
    finally:
        api.close()
    assert (code, err) == (0, "")
    [body] = api.results
    expected = run_check(BY_NAME["cluster_updates"], ["--node", nodes["tg-node2"], "--node",
                                                      nodes["tg-single"]], now=utcnow())
    assert body["service"] == "tgc!tightgate-cluster"
    assert (body["exit_status"], body["plugin_output"]) == (
        expected.code, icinga_parts(expected.output)[0])


def test_nagios_gets_the_one_encoders_commands_for_its_services(tmp_path, nodes):
    nagios = FakeNagios(tmp_path, ["tg-single"], [("tg-single", "TightGate versions")],
                        command="tgmon_versions_url")
    nagios.services[("tg-single", "TightGate reachable")] = "tgmon_reachable"
    nagios.write_status()
    try:
        code, out, err = push(node_args(nodes) + nagios.args())
        deadline = time.monotonic() + 5
        while len(nagios.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        nagios.close()
    assert (code, err) == (0, ""), err
    lines = sorted(raw.decode() for raw in nagios.received)
    assert len(lines) == 2
    for line, (service, check) in zip(lines, [("TightGate reachable", "reachable"),
                                              ("TightGate versions", "versions")]):
        stamp, host, described, code_, _ = SERVICE_CHECK.match(line).groups()
        expected = plugin(check, nodes["tg-single"])
        assert (host, described) == ("tg-single", service)
        assert line.encode() + b"\n" == check_result(host, service, expected.code,
                                                     expected.output, int(stamp))


def test_nsca_gets_one_batch_of_the_encoders_commands_and_no_password(tmp_path, nodes,
                                                                      monkeypatch):
    binary, record = fake_send_nsca(tmp_path)
    monkeypatch.setattr("tgmon.cores.nsca.SEND_NSCA", binary)
    config = nsca_config(tmp_path)
    code, out, err = push(node_args(nodes) + ["--nsca-config", config])
    assert (code, err) == (0, ""), err
    argv = (tmp_path / "nsca-received.argv").read_text().split()
    assert argv == ["-C", "-c", config, "-o", "30"]
    lines = record.read_text().splitlines()
    assert len(lines) == 14
    assert all(SERVICE_CHECK.match(line) for line in lines)
    assert any(";tg-node2;TightGate update lock;2;UPDATE_LOCK CRITICAL" in line
               for line in lines)
    assert "nsca-secret" not in out + err + " ".join(argv)
    assert "NSCA-ng: 14 sent, 0 refused" in out


@pytest.mark.parametrize("exit_code, said, words", [
    (1, "Cannot connect to server", "send_nsca failed (exit 1): Cannot connect to server"),
    (2, "\x1b[31mbad\x07 $(id)", "send_nsca failed (exit 2):"),
    # a password file given as --nsca-config: send_nsca quotes its content
    (1, "send_nsca: [FATAL] /etc/x:1: Unknown variable name `hunter2'",
     "send_nsca failed (exit 1): send_nsca: [FATAL] /etc/x:1: Unknown variable name (...)"),
    (1, "send_nsca: [FATAL] /etc/x:2: Unexpected stuff after `hunter2' and \"hunter2\"",
     "Unexpected stuff after (...) and (...)"),
])
def test_a_failing_send_nsca_is_one_line_and_exit_2(tmp_path, nodes, monkeypatch, exit_code,
                                                   said, words):
    binary, _ = fake_send_nsca(tmp_path, exit_code, said)
    monkeypatch.setattr("tgmon.cores.nsca.SEND_NSCA", binary)
    code, _out, err = push(node_args(nodes) + ["--nsca-config", nsca_config(tmp_path)])
    assert code == 2
    [line] = err.splitlines()
    assert words in line and line.isprintable() and "\x1b" not in line
    assert "hunter2" not in line


@pytest.mark.parametrize("argv, words", [
    ([], "no monitoring core given"),
    (["--nsca-config", "{cfg644}"], "may be read or written by every user"),
    (["--nsca-config", "{link}"], "is not a regular file"),
    (["--nagios-command-file", "{missing}", "--nagios-status-file", "{missing}"],
     "does not exist"),
    (["--nsca-config", "{cfg}", "--round", "0"], "bad option"),
    (["--nsca-config", "{cfg}", "--node-failure", "maybe"], "bad option"),
])
def test_usage_errors_are_one_line_and_exit_2(tmp_path, nodes, argv, words):
    cfg = nsca_config(tmp_path)
    os.symlink(cfg, tmp_path / "link")
    (tmp_path / "wide.cfg").write_text("password = x\n")
    (tmp_path / "wide.cfg").chmod(0o644)
    paths = {"cfg": cfg, "cfg644": str(tmp_path / "wide.cfg"), "link": str(tmp_path / "link"),
             "missing": str(tmp_path / "nope")}
    code, out, err = push(node_args(nodes) + [a.format(**paths) for a in argv])
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert words in line


def test_the_config_files_plugin_sections_judge_the_pushed_results(tmp_path, nodes):
    """The same thresholds and severities as the plugins run with the same --config."""
    config = tmp_path / "tgmon.yml"
    config.write_text("check_update_lock:\n  update-lock-severity: warning\n"
                      "check_tightgate:\n  update-lock-update-lock-severity: unknown\n"
                      "push:\n  check_source: from-config\n")
    api = PushIcinga(tmp_path, [("tg-node2", "lock", "tgmon_update_lock"),
                                ("tg-node2", "all", "tgmon_tightgate")])
    try:
        code, _out, err = push(node_args(nodes) + api.args(password_file(tmp_path))
                               + ["--config", str(config)])
    finally:
        api.close()
    assert (code, err) == (0, "")
    got = api.by_service()
    for service, check, status in (("lock", "update_lock", 1), ("all", "tightgate", 3)):
        expected = run_check(BY_NAME[check], ["--state-dir", nodes["tg-node2"], "--config",
                                              str(config)], now=utcnow())
        body = got["tg-node2!" + service]
        assert body["exit_status"] == expected.code == status
        assert (body["plugin_output"], body["check_source"]) == (
            icinga_parts(expected.output)[0], "from-config")


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
        tmp_path, push_section, push_argv, plugin_argv):
    """A state 70 minutes old: stale for some checks, fresh for others, as the plugins
    say with the same file - and the pusher's own --max-age wins as a plugin's command
    line would."""
    nodes = {}
    for host, example in NODES.items():
        nodes[host] = str(tmp_path / "nodes" / host)
        write_example(example, nodes[host], utcnow() - timedelta(minutes=70))
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
        service["vars"] = variables
    api.services[-1]["vars"] = {"tgmon_versions_warning_age": "soon"}
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
    (["tgmon_versions_warning_age", "1d"], False),                 # not a mapping
    ({"tgmon_versions_warning_age": "9" * 5000}, False),           # over MAX_VAR
    ({"tgmon_versions_warning_age": {"nested": [1]}}, False),      # no option takes it
    ({"tgmon_versions_verbose": "yes\n[1] X;y"}, False),           # a flag's var: true only
    ({"tgmon_versions_warning_age": float("inf")}, True),          # the plugin refuses it
    ({"tgmon_versions_runbook_url": "javascript:x\nline"}, True),  # the plugin refuses it
])
def test_hostile_vars_in_the_apis_answer_change_nothing_else(tmp_path, nodes, variables,
                                                             skipped):
    api = PushIcinga(tmp_path, [("tg-single", "versions", "tgmon_versions")])
    api.services[0]["vars"] = variables
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


def test_the_docs_name_the_config_file_the_unit_starts_with():
    """A sleepy admin follows docs/push.rst: the file it says to write is the one the
    unit needs (its ConditionPathExists) and starts with; the lines go where --help
    says."""
    from helpers import ROOT
    with open(os.path.join(ROOT, "systemd", "tgmon-push.service")) as handle:
        unit = dict(line.split("=", 1) for line in handle.read().splitlines()
                    if "=" in line and not line.startswith("#"))
    with open(os.path.join(ROOT, "docs", "push.rst")) as handle:
        docs = handle.read()
    config = unit["ConditionPathExists"]
    assert unit["ExecStart"].endswith("push --config " + config)
    assert "cp /usr/share/doc/tgmon/examples/push.yml %s" % config in docs
    assert "/etc/default/tgmon-push" not in docs
    assert unit["ExecReload"] == "/bin/kill -HUP $MAINPID"     # SIGHUP reloads, never stops
    assert "``systemctl reload tgmon-push``" in docs
    out = io.StringIO()
    command.build_parser().print_help(out)
    assert "one summary line per round on stdout" in " ".join(out.getvalue().split())


def test_two_nodes_read_as_one_host_give_it_unknown_naming_both(tmp_path, nodes):
    """A state dir whose name gives it no NAME, and a node NAMEd so: both tg-single.
    Which one the host's services stand for cannot be told - neither wins silently."""
    clone = str(tmp_path / "clones" / "tg-single")
    write_example("update-locked-cluster-node", clone, utcnow())
    state_file = os.path.join(clone, "status.json")
    with open(state_file) as handle:
        text = handle.read().replace('"tg-node2"', '"tg-single"')
    with open(state_file, "w") as handle:
        handle.write(text)
    api = PushIcinga(tmp_path, node_services("tg-single"))
    try:
        code, _out, err = push(node_args(nodes) + ["--node", clone]
                               + api.args(password_file(tmp_path)))
    finally:
        api.close()
    assert code == 1
    [line] = err.splitlines()
    assert line == ("tgmon push: 2 nodes are read as host tg-single: %s, %s - give each node "
                    "its own NAME (NAME=SOURCE)" % (nodes["tg-single"], clone))
    got = api.by_service()
    assert len(got) == 7
    assert got["tg-single!tightgate-reachable"]["exit_status"] == 2
    assert {b["exit_status"] for k, b in got.items() if "reachable" not in k} == {3}
    assert all("2 nodes are read as host tg-single" in b["plugin_output"] for b in got.values())

"""tgmon push --once against stand-ins of the cores: what each core receives is the
plugin's own output for each service that exists, nothing for the others, and
the run's exit code and lines say what was sent, skipped, refused or failed."""

import io
import os
import re
import sys
import time

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


def example_nodes(tmp_path, at=None):
    """The example states written ``at`` (now), as {host: state dir}; their states call
    themselves so."""
    dirs = {}
    for host, example in NODES.items():
        dirs[host] = str(tmp_path / "nodes" / host)
        write_example(example, dirs[host], at or utcnow())
    return dirs


def freeze(monkeypatch, *modules):
    """One instant for the pusher's judging and the plugin runs of ``modules``: their
    ages (perfdata in seconds) would differ by one when a second ends between the two."""
    at = utcnow()
    monkeypatch.setattr("tgmon.push.daemon.utcnow", lambda: at)
    for module in modules:
        monkeypatch.setattr(module, "utcnow", lambda: at)
    return at


@pytest.fixture
def nodes(tmp_path, monkeypatch):
    freeze(monkeypatch, sys.modules[__name__])
    return example_nodes(tmp_path)


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


@pytest.mark.parametrize("attrs", [
    {"enable_passive_checks": False},                        # left to its active check
    {"vars": {}},                                            # not tgmon-pushed
    {"vars": {"tgmon_pushed": "true"}},                      # not the template's boolean
    {"vars": ["tgmon_pushed"]},                              # vars that are no mapping
    {"enable_passive_checks": "yes"},
])
def test_a_service_not_marked_pushed_gets_nothing_whatever_the_apiuser_may(tmp_path, nodes,
                                                                          attrs):
    """An ApiUser broader than docs/push.rst's (its filter lets everything through): the
    pusher itself sends only to services with passive checks on and vars.tgmon_pushed."""
    api = PushIcinga(tmp_path, [("tg-single", "pushed", "tgmon_versions"),
                                ("tg-single", "other", "tgmon_hotfixes")])
    api.services[1].update(attrs)
    try:
        code, out, err = push(node_args(nodes) + api.args(password_file(tmp_path)))
    finally:
        api.close()
    assert (code, err) == (0, "")
    assert list(api.by_service()) == ["tg-single!pushed"]
    assert "Icinga 2: 1 sent, 0 refused" in out

"""The hostile corpus of tgmon push: nodes that answer garbage, huge, never, or claim
another name; cores that lie, redirect, refuse, drip or vanish; a command pipe that
goes or is replaced. Every round goes on for the other nodes and cores, says each
problem in one line, injects nothing, leaks no secret, within -t, bounded memory."""

import os
import signal
import subprocess
import sys
import time

import pytest

from remote.servers import BlackHole, RawServer, http_answer
from .common import document, state_dir, write
from .fakecores import FakeNagios
from .harness import MAX_RSS_KB, SECRETS, TGMON, run_plugin
from .pushcores import PushIcinga, node_services
from .test_downtimes_api import CASES as API_CASES, after_body
from .test_http_client import Server, tls_context

PASSWORD = SECRETS[3]
TIMEOUT = 6


def password_file(tmp):
    return write(tmp / "icinga.password", PASSWORD + "\n", 0o600)


def healthy(tmp):
    """tg-single's fresh state dir."""
    return str(state_dir(tmp))


def push(argv, timeout=TIMEOUT):
    return run_plugin(TGMON, ["push", "--once", "-t", str(timeout)] + list(argv))


def assert_safe(run, timeout=TIMEOUT):
    everything = run.stdout + run.stderr
    assert "Traceback" not in everything, run
    for secret in SECRETS:
        assert secret not in everything, run
    assert all(line.isprintable() for line in everything.splitlines()), run
    assert all(line.startswith("tgmon push: ") for line in run.stderr.splitlines()), run
    assert run.elapsed < timeout + 1.5, run
    assert run.max_rss_kb < MAX_RSS_KB, run


def garbage(conn, path, server):
    conn.sendall(http_answer("200 OK", b"\x00\xff{{{" * 1000))


def huge(conn, path, server):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
    for _ in range(3000):
        conn.sendall(b"[" * 4096)


def nested(conn, path, server):
    conn.sendall(http_answer("200 OK", b"[" * 100000))


def redirect(conn, path, server):
    conn.sendall(http_answer("302 Found", b"", extra="Location: http://169.254.169.254/\r\n"))


def leak(conn, path, server):
    import json
    doc = document(node__name="tg-bad\n[1] PROCESS_SERVICE_CHECK_RESULT;x;y;0;owned")
    conn.sendall(http_answer("200 OK", json.dumps(doc).encode()))


NODE_ANSWERS = [("garbage", garbage), ("huge", huge), ("nested", nested),
                ("redirect", redirect), ("injection", leak), ("never", None)]


@pytest.mark.slow
@pytest.mark.parametrize("kind, answer", NODE_ANSWERS, ids=[k for k, _ in NODE_ANSWERS])
def test_a_hostile_node_gets_unknown_and_the_others_are_pushed(tmp_path, kind, answer):
    server = BlackHole() if answer is None else RawServer(answer)
    api = PushIcinga(tmp_path, node_services("tg-single", "tg-bad"))
    try:
        run = push(["--node", "tg-single=" + healthy(tmp_path), "--node",
                    "tg-bad=" + server.url()] + api.args(password_file(tmp_path)))
    finally:
        server.close()
        api.close()
    assert_safe(run)
    assert run.code == 1, run
    got = api.by_service()
    assert {k for k, b in got.items() if b["exit_status"] == 0} == {
        "tg-single!" + s for s, _ in (("tightgate-versions", 0), ("tightgate-update_lock", 0),
                                      ("tightgate-hotfixes", 0),
                                      ("tightgate-reboot_required", 0),
                                      ("tightgate-maintenance", 0),
                                      ("tightgate-update_schedule", 0),
                                      ("tightgate-reachable", 0))}
    bad = {k: b for k, b in got.items() if k.startswith("tg-bad!")}
    assert len(bad) == 7 and bad["tg-bad!tightgate-reachable"]["exit_status"] == 2
    assert {b["exit_status"] for k, b in bad.items() if "reachable" not in k} == {3}
    for body in got.values():
        assert "\n[" not in body["plugin_output"].split("\n", 1)[0]
        assert "PROCESS_SERVICE_CHECK_RESULT" not in body["plugin_output"]
        assert len(body["plugin_output"].split("\n", 1)[0]) <= 160
    [line] = [said for said in run.stderr.splitlines() if "tg-bad" in said]
    assert "not read" in line


def lying_services(api, path, body):
    if path == "/v1/objects/services":
        return 200, {"results": [
            {"name": "x", "attrs": {"host_name": "tg-other", "name": "tightgate-versions",
                                    "check_command": "tgmon_versions"}},
            {"name": "y", "attrs": {"host_name": "tg-single", "name": "bad\nname;x",
                                    "check_command": "tgmon_versions"}},
            {"name": "z", "attrs": {"host_name": "tg-single", "name": "tightgate-ping",
                                    "check_command": "ping4"}},
            {"name": "w", "attrs": "not a dict"}]}


def not_objects(api, path, body):
    return 200, {"results": [{"name": "w"}, "not an object"]}


def answer_with(status, document):
    return lambda api, path, body: (status, document)


CORE_ANSWERS = [
    ("lies about services", lying_services, 0, "Icinga 2: nothing due"),
    ("answers no objects", not_objects, 2, "answered without a list of results"),
    ("401", answer_with(401, {"error": 401}), 2, "refused user tgmon (HTTP 401)"),
    ("403", answer_with(403, {"error": 403}), 2, "may not use /v1/objects/services"),
    ("302", answer_with(302, {}), 2, "redirects elsewhere"),
    ("500 html", answer_with(500, "<html>"), 2, "with no results"),
    ("echoes the password", answer_with(500, {"status": "bad password " + PASSWORD}), 2,
     "answered HTTP 500: bad password ***"),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind, answer, code, words", CORE_ANSWERS,
                         ids=[c[0] for c in CORE_ANSWERS])
def test_a_core_that_lies_or_refuses_is_one_line(tmp_path, kind, answer, code, words):
    api = PushIcinga(tmp_path, node_services("tg-single"), push_answer=answer)
    try:
        run = push(["--node", "tg-single=" + healthy(tmp_path)]
                   + api.args(password_file(tmp_path)))
    finally:
        api.close()
    assert_safe(run)
    assert run.code == code, run
    assert words in run.stdout + run.stderr, run
    assert api.results == []      # nothing sent to a service the API did not list


@pytest.mark.slow
def test_a_core_that_never_answers_costs_one_line_within_t(tmp_path):
    hole = BlackHole()
    try:
        run = push(["--node", "tg-single=" + healthy(tmp_path), "--icinga-url",
                    "https://127.0.0.1:%d" % hole.port, "--icinga-user", "u",
                    "--icinga-password-file", password_file(tmp_path), "--icinga-insecure"])
    finally:
        hole.close()
    assert_safe(run)
    assert run.code == 2 and "did not answer within -t" in run.stderr, run


@pytest.mark.slow
@pytest.mark.parametrize("change", ["removed", "regular file", "symlink"])
def test_a_command_pipe_that_vanishes_or_is_replaced_gets_nothing(tmp_path, change):
    nagios = FakeNagios(tmp_path, ["tg-single"], [("tg-single", "TightGate versions")],
                        command="tgmon_versions")
    original = nagios.command_file
    # status.dat is read first, then the pipe is written: replace it in between by
    # giving a status file that a wrapper swaps - simpler: swap now, the run's first
    # check sees a pipe (a second path), its write the replacement
    os.rename(original, original + ".real")
    decoy = tmp_path / "decoy"
    os.mkfifo(original)
    try:
        proc = subprocess.Popen([TGMON, "push", "--round", "1", "-t", "3", "--node",
                                 "tg-single=" + healthy(tmp_path), "--interval",
                                 "versions=1"] + nagios.args(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        os.unlink(original)
        if change == "regular file":
            write(original, "")
        elif change == "symlink":
            write(decoy, "")
            os.symlink(str(decoy), original)
        time.sleep(3)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=5)
    finally:
        nagios.close()
    assert proc.returncode == 0, (out, err)
    assert "Traceback" not in out + err
    assert "Nagios: failed" in out or "Nagios' command file" in err, (out, err)
    if change == "regular file":
        assert open(original).read() == ""
    if change == "symlink":
        assert decoy.read_text() == ""


@pytest.mark.slow
def test_sigterm_stops_the_daemon_within_2_s_while_a_core_never_answers(tmp_path):
    hole = BlackHole()
    try:
        proc = subprocess.Popen([TGMON, "push", "-t", "60", "--node",
                                 "tg-single=" + healthy(tmp_path), "--icinga-url",
                                 "https://127.0.0.1:%d" % hole.port, "--icinga-user", "u",
                                 "--icinga-password-file", password_file(tmp_path),
                                 "--icinga-insecure"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        out, err = proc.communicate(timeout=3)
        stopped = time.monotonic() - started
    finally:
        hole.close()
    assert stopped < 2 + 1        # a hang guard; the figure is docs/benchmarks.rst's
    assert proc.returncode == 0 and "stopped by SIGTERM after 1 rounds" in out, (out, err)
    assert "Traceback" not in out + err and PASSWORD not in out + err


@pytest.mark.slow
def test_1000_nodes_stay_within_bounded_memory(tmp_path):
    """1000 nodes x 7 services in one round, into NSCA-ng (a stand-in send_nsca)."""
    from tgmon.state import examples
    from tgmon.state.layout import write_state
    from .common import now
    from .pushcores import fake_send_nsca, nsca_config
    base = examples.build("healthy-cluster-node", now())
    lines = []
    for number in range(1000):
        name = "tg%04d" % number
        path = tmp_path / "nodes" / name
        write_state(str(path), base._replace(node=base.node._replace(name=name)))
        lines.append("%s %s" % (name, path))
    cluster = write(tmp_path / "cluster", "\n".join(lines) + "\n")
    binary, record = fake_send_nsca(tmp_path)
    env = dict(os.environ, PATH=os.environ.get("PATH", ""))
    # the stand-in send_nsca through a config pointing the module at it
    script = ("import sys; import tgmon.cores.nsca as n; n.SEND_NSCA = %r; "
              "from tgmon.push.command import main; sys.exit(main(sys.argv[1:]))" % binary)
    run = run_plugin(sys.executable, ["-c", script, "--once", "-t", "120", "--cluster-file",
                                      cluster, "--nsca-config", nsca_config(tmp_path)],
                     env=env, hard_limit=300)
    assert run.code == 0, run
    assert len(record.read_text().splitlines()) == 7000
    assert "1000 of 1000 nodes read, 7000 results judged; NSCA-ng: 7000 sent" in run.stdout
    assert run.max_rss_kb < 200 * 1024, run


@pytest.mark.slow
@pytest.mark.parametrize("name, classes, respond, words", API_CASES,
                         ids=[c[0] for c in API_CASES])
def test_hostile_icinga_answers_to_the_pusher(short_tmp, name, classes, respond, words):
    """The shared API client's hostile corpus (lies, drips, floods, redirects), through
    tgmon push: one line, exit 2, nothing sent, no secret, within -t."""
    context, ca = tls_context(short_tmp, "good")
    server = Server(after_body(respond), context)
    try:
        run = run_plugin(TGMON, ["push", "--once", "-t", "2", "--node",
                                 "tg-single=" + healthy(short_tmp), "--icinga-url",
                                 "https://127.0.0.1:%d" % server.port, "--icinga-user",
                                 "tgmon", "--icinga-password-file", password_file(short_tmp),
                                 "--icinga-ca-file", ca])
    finally:
        server.close()
    assert run.code == 2, run
    [line] = run.stderr.splitlines()
    assert words.replace(" - sync fewer nodes per run", "") in line, run
    assert_safe(run, timeout=2)
    assert "services not listed" in run.stdout, run


def _wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.1)
    return predicate()


@pytest.mark.slow
def test_sighup_reads_the_password_file_again_and_never_stops_the_daemon(tmp_path):
    """A rotated ApiUser password: SIGHUP (also mid-round) makes the next round use the
    new one; a password file that is gone at SIGHUP keeps the old session, in a line."""
    api = PushIcinga(tmp_path, node_services("tg-single"), password=PASSWORD)
    secret = tmp_path / "icinga.password"
    write(secret, "the-old-password\n", 0o600)
    try:
        proc = subprocess.Popen([TGMON, "push", "--round", "1", "-t", "3", "--node",
                                 "tg-single=" + healthy(tmp_path), "--interval", "reachable=1"]
                                + api.args(str(secret)),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(1.5)                   # refused: HTTP 401, round after round
            os.unlink(secret)
            proc.send_signal(signal.SIGHUP)
            time.sleep(1.5)
            write(secret, PASSWORD + "\n", 0o600)
            proc.send_signal(signal.SIGHUP)
            assert _wait_for(lambda: len(api.results) >= 8, 10), api.results
            assert proc.poll() is None
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=5)
    finally:
        api.close()
    assert proc.returncode == 0, (out, err)
    assert "Traceback" not in out + err and PASSWORD not in out + err
    assert out.count("secrets read again, the services listed afresh") == 2, out
    assert "refused user tgmon (HTTP 401)" in err
    assert "Icinga 2: not reloaded, --icinga-password-file" in err, err
    assert all(line.isprintable() for line in (out + err).splitlines())


@pytest.mark.slow
@pytest.mark.parametrize("content", [PASSWORD + "\n", "password = %s x\n" % PASSWORD,
                                     'server = "%s\n' % PASSWORD])
def test_a_mistaken_nsca_config_never_shows_its_content(tmp_path, content):
    """The ApiUser's password file (mode 0600, so not refused) given as --nsca-config,
    or a mistyped config: Debian's real send_nsca quotes the line it cannot parse -
    tgmon push says which file and line, never what it holds."""
    binary = "/usr/sbin/send_nsca"
    assert os.access(binary, os.X_OK), "apt-get install nsca-ng-client (.ci/run does)"
    config = write(tmp_path / "mistaken.cfg", content, 0o600)
    run = push(["--node", "tg-single=" + healthy(tmp_path), "--nsca-config", config])
    assert_safe(run)
    assert run.code == 2, run
    assert "send_nsca failed (exit 1): send_nsca: [FATAL] " in run.stderr, run

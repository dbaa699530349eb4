"""The hostile corpus in the other output formats (issue 22): every case of the
state files, the hostile servers and the bad options answered as one JSON
document or as Checkmk local-check lines, as cleanly as the Nagios format
answers it (tests/hostile/test_state_files.py, test_http_client.py,
test_options.py); hostile text printed safely in both; and tgmon checkmk
given each hostile state dir as a node.

A clean answer: exit 3, a document valid against the shipped JSON Schema (or
lines that fit Checkmk's grammar, each UNKNOWN), the cause in it, nothing
else on stdout, no traceback, no secret, within -t + 1 s, under 100 MB.
"""

import json
import os
import signal
import socket
import subprocess

import pytest

from tgmon.render import jsonresult

from schemacheck import errors as schema_errors
from test_golden import assert_local_line

from . import common, test_http_client, test_options, test_state_files
from .test_downtimes_cores import strings
from .harness import SECRETS, TGMON, MAX_RSS_KB, Run, plugin_path, run_plugin

pytestmark = pytest.mark.slow

FORMATS = ("json", "checkmk-local")
with open(os.path.join(os.path.dirname(jsonresult.__file__), jsonresult.SCHEMA_FILE)) as _f:
    SCHEMA = json.load(_f)
# the plugin's NAME: how many Checkmk lines its UNKNOWN is (check_tightgate: one per aspect)
LINES = {"check_tightgate": 6}

# (id, plugin, setup, cause, -t) of every plugin-run case of the corpus
CASES = (
    [("state_" + c[0], "check_versions", c[2], c[3], test_state_files.TIMEOUT)
     for c in test_state_files.UNKNOWN_CASES]
    + [("server_" + c[0], "check_versions", c[2], c[3], test_http_client.TIMEOUT)
       for c in test_http_client.CASES]
    + [("option_" + c[0], c[2], c[3], c[4], test_options.TIMEOUT)
       for c in test_options.CASES]
)


def assert_clean_answer(run, timeout):
    everything = run.stdout + run.stderr
    assert "Traceback" not in everything and "internal error" not in everything, run
    for secret in SECRETS:
        assert secret not in everything, (secret, run)
    assert run.stderr == "", run
    assert run.elapsed < timeout + 1 and run.max_rss_kb < MAX_RSS_KB, run


def assert_unknown_in(fmt, run, plugin, cause, timeout):
    assert_clean_answer(run, timeout)
    assert run.code == 3, run
    if fmt == "json":
        assert len(run.lines) == 1, run
        document = json.loads(run.stdout)
        assert schema_errors(document, SCHEMA) == [], run
        assert document["state"] == "UNKNOWN" and document["check"]["plugin"] == plugin
        error = document["error"]
        said = error["cause"] + " - " + (error["fix"] or "")
    else:
        assert len(run.lines) == LINES.get(plugin, 1), run
        for line in run.lines:
            assert_local_line(line)
            assert line.startswith("3 "), line
        said = run.lines[0]
    from tgmon.safeio.text import sanitize
    assert sanitize(cause) in said, (cause, run)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name, plugin, setup, cause, timeout", CASES,
                         ids=[c[0] for c in CASES])
def test_the_corpus_in_every_format(short_tmp, fmt, name, plugin, setup, cause, timeout):
    stack = []
    try:
        argv = setup(short_tmp, stack)
        if "%s" in cause:     # test_options' cases naming the file they made
            cause = cause % [a for a in argv if a.startswith(str(short_tmp))][-1]
        run = run_plugin(plugin, ["-t", str(timeout)] + argv + ["--output-format", fmt])
    finally:
        for cleanup in stack:
            cleanup()
    assert_unknown_in(fmt, run, plugin, cause, timeout)


def _printable(text):
    return all(c.isprintable() and not (0xd800 <= ord(c) <= 0xdfff or 0x80 <= ord(c) <= 0x9f
                                         or 0x202a <= ord(c) <= 0x202e) for c in text)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("plugin", [c[2] for c in test_state_files.OUTPUT_CASES])
def test_hostile_text_is_printed_safely(tmp_path, fmt, plugin):
    path = test_state_files._hostile_text_state(tmp_path)
    run = run_plugin(plugin, ["-t", "2", "-vv", "--state-dir", str(path), "--output-format", fmt])
    assert_clean_answer(run, 2)
    assert run.code in (1, 2), run
    raw = run.stdout.encode("utf-8")
    assert raw.decode("utf-8") == run.stdout       # valid UTF-8, nothing replaced
    if fmt == "json":
        document = json.loads(run.stdout)
        assert schema_errors(document, SCHEMA) == []
        assert all(_printable(text) for text in strings(document)), run
    else:
        for line in run.lines:
            assert_local_line(line)
            assert _printable(line), ascii(line)


STATE_DIR_CASES = list(test_state_files.UNKNOWN_CASES)


@pytest.mark.parametrize("name, classes, setup, cause", STATE_DIR_CASES,
                         ids=[c[0] for c in STATE_DIR_CASES])
def test_the_datasource_gives_a_hostile_node_every_service(short_tmp, name, classes, setup,
                                                           cause):
    stack = []
    try:
        argv = setup(short_tmp, stack)
        run = run_plugin(TGMON, ["checkmk", "-t", "2", "--no-cluster-service",
                                 "--node", "tgx=" + argv[-1]])
    finally:
        for cleanup in stack:
            cleanup()
    assert_clean_answer(run, 2)
    assert run.code == 0, run
    assert run.lines[:2] == ["<<<<tgx>>>>", "<<<local:sep(0)>>>"] and run.lines[-1] == "<<<<>>>>"
    services = run.lines[2:-1]
    assert len(services) == 7, run
    for line in services:
        assert_local_line(line)
    assert services[0].startswith('2 "TightGate reachable" ')
    assert all(line.startswith("3 ") for line in services[1:]), run
    from tgmon.safeio.text import sanitize
    assert sanitize(cause) in services[0], (cause, run)


def _interrupted(command):
    """``command`` (given the URL of an exporter that never answers) interrupted by
    SIGINT once it waits for the answer."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(20)
        url = "http://127.0.0.1:%d/v1/status" % server.getsockname()[1]
        process = subprocess.Popen(command(url), stdin=subprocess.DEVNULL, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            connection, _ = server.accept()      # it waits in its read now
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=20)
            connection.close()
        finally:
            process.kill()
            process.wait()
    return Run(process.returncode, stdout, stderr, 0, 0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_interrupt_is_answered_in_the_chosen_format(fmt):
    """Ctrl-C (SIGINT) while the plugin waits: an UNKNOWN in the format asked for, not
    a Nagios line in the middle of JSON."""
    run = _interrupted(lambda url: [plugin_path("check_tightgate"), "--url", url, "-t", "30",
                                    "--output-format", fmt])
    assert_unknown_in(fmt, run, "check_tightgate",
                      "interrupted (SIGINT) before the check finished - run it again", 1)


def test_an_interrupted_datasource_says_so_and_prints_nothing():
    run = _interrupted(lambda url: [TGMON, "checkmk", "-t", "30", "--node", "tg1=" + url])
    assert (run.code, run.stdout) == (2, ""), run
    assert run.stderr == ("tgmon checkmk: interrupted (SIGINT), nothing printed - Checkmk "
                          "runs it again at the next check interval\n"), run


def test_large_states_and_a_node_that_never_answers_leave_no_node_without_services(short_tmp):
    """40 nodes with the largest hotfix lists a state may hold and one exporter that never
    answers, at -t 3: the reading takes nearly all of -t, judging them all does not fit
    in what is left - still every node's block, each service, in time (the services
    not judged UNKNOWN), in bounded memory."""
    document = common.document("healthy-cluster-node")
    installed = document["hotfixes"]["installed"][0]
    document["hotfixes"]["available"] = [
        dict(installed, id="HF-%04d" % n, title="%s, %s" % (installed["title"], "fixes " * 125))
        for n in range(1000)]
    argv = []
    for number in range(40):
        name = "tg%02d" % number
        document["node"]["name"] = name
        (short_tmp / name).mkdir()
        (short_tmp / name / "status.json").write_text(json.dumps(document))
        argv += ["--node", str(short_tmp / name)]
    with socket.socket() as silent:               # connects, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        argv += ["--node", "tgx=http://127.0.0.1:%d/v1/status" % silent.getsockname()[1]]
        run = run_plugin(TGMON, ["checkmk", "-t", "3"] + argv)
    assert run.code == 0 and run.stderr == "", run
    assert run.elapsed < 3 + 1 and run.max_rss_kb < 3 * MAX_RSS_KB, run
    blocks = run.stdout.split("<<<<>>>>\n")
    assert blocks[-1] == "" and len(blocks) == 42, run
    for block in blocks[:-1]:
        lines = block.splitlines()
        services = [line for line in lines[2:] if not line.startswith("<<<")]
        assert len(services) == 7 and all(line.count('"') >= 2 for line in services), block[:300]
        for line in services:
            assert_local_line(line)


def _link(target):
    def make(tmp):
        os.symlink(target, tmp / "link")
        return str(tmp / "link")
    return make


def _fifo(tmp):
    os.mkfifo(tmp / "fifo")
    return str(tmp / "fifo")


def _file(content):
    def make(tmp):
        (tmp / "file").write_bytes(content)
        return str(tmp / "file")
    return make


# (id, option, what it is given, words of the one line on stderr)
DATASOURCE_FILE_CASES = [
    ("token_link_to_dev_zero", "--token-file", _link("/dev/zero"), "is a character device"),
    ("token_directory", "--token-file", lambda tmp: str(tmp), "is a directory"),
    ("token_proc_environ", "--token-file", lambda tmp: "/proc/self/environ",
     "must hold one token on one line"),
    ("token_link_to_environ", "--token-file", _link("/proc/self/environ"),
     "must hold one token on one line"),
    ("ca_link_to_dev_zero", "--ca-file", _link("/dev/zero"), "is a character device"),
    ("ca_proc_environ", "--ca-file", lambda tmp: "/proc/self/environ", "holds no PEM"),
    ("cluster_file_fifo", "--cluster-file", _fifo, "is a FIFO"),
    ("cluster_file_huge", "--cluster-file", _file(b"/x\n" * 400000), "more than the 1048576"),
    ("cluster_file_binary", "--cluster-file", _file(b"\xff\xfe\x00/x" * 100), "is not UTF-8"),
    ("cluster_file_environ", "--cluster-file", lambda tmp: "/proc/self/environ",
     "line 1 is no URL or absolute path"),
]


@pytest.mark.parametrize("name, option, given, words", DATASOURCE_FILE_CASES,
                         ids=[c[0] for c in DATASOURCE_FILE_CASES])
def test_the_datasource_refuses_a_hostile_file_in_one_line_never_quoting_it(short_tmp, name,
                                                                           option, given, words):
    env = dict(os.environ, TGMON_TEST_SECRET=SECRETS[0])    # what /proc/self/environ holds
    run = run_plugin(TGMON, ["checkmk", "-t", "2", "--node", "tg1=https://tg1.invalid/v1/status",
                             option, given(short_tmp)], env=env)
    assert (run.code, run.stdout) == (2, ""), run
    assert len(run.stderr.splitlines()) == 1 and words in run.stderr, run
    assert run.stderr.startswith("tgmon checkmk: %s " % option), run
    assert SECRETS[0] not in run.stderr and "TGMON_TEST_SECRET" not in run.stderr, run
    assert run.elapsed < 2 + 1 and run.max_rss_kb < MAX_RSS_KB, run

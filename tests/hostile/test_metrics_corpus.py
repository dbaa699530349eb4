"""The hostile corpus against the metrics (issue 23): every spoiled state dir of
``test_state_files`` through ``tgmon textfile`` as a real process, and through
``tgmon serve``'s /metrics; hostile text in every label value. Whatever the input,
the output is the text format a strict parser reads, the cause named, no
traceback, within -t + 1 s and 100 MB."""

import json
import os
import urllib.request

import pytest

from tgmon.metrics.exposition import MAX_LABEL_VALUE
from tgmon.server.exporter import StateDirApp

from promtext import parse, values
from remote.servers import Exporter

from .common import document, spoiled, state_dir, status_dir
from .harness import MAX_RSS_KB, TGMON, run_plugin
from .test_state_files import HOSTILE_TEXT, TIMEOUT, UNKNOWN_CASES

pytestmark = pytest.mark.slow

# the cases of a state that is read but not judged (stale, from the future)
NOT_JUDGED = ("generated_2099", "generated_6min_ahead", "generated_stale")


def assert_metrics_say(text, cause, judged=True):
    """The text parses; the state is tgmon_up 0 with ``cause`` or, read but stale or
    from the future, up with every check UNKNOWN and check_reachable CRITICAL."""
    samples = parse(text)
    status = {dict(k)["check"]: v for k, v in values(samples, "tgmon_check_status").items()}
    assert status.pop("reachable") == 2 and set(status.values()) == {3}, status
    if not judged:
        assert values(samples, "tgmon_up") == {frozenset(): 1}
        return
    assert values(samples, "tgmon_up") == {frozenset(): 0}
    (labels, _), = values(samples, "tgmon_state_error_info").items()
    assert cause in dict(labels)["cause"], (cause, dict(labels)["cause"])
    assert all(set(s.labels) <= {"check", "finding", "cause"} for s in samples)


@pytest.mark.parametrize("name, classes, setup, cause", UNKNOWN_CASES,
                         ids=[c[0] for c in UNKNOWN_CASES])
def test_textfile_writes_the_cause_of_every_spoiled_state(short_tmp, name, classes, setup,
                                                          cause):
    output = short_tmp / "out" / "tgmon.prom"
    output.parent.mkdir()
    with spoiled(setup, short_tmp) as argv:
        run = run_plugin(TGMON, ["textfile", "-t", str(TIMEOUT)] + argv
                         + ["--output", str(output)])
    assert (run.code, run.stdout) == (0, ""), run
    assert "Traceback" not in run.stderr and len(run.stderr.splitlines()) <= 1, run
    assert run.elapsed < TIMEOUT + 1 and run.max_rss_kb < MAX_RSS_KB, run
    assert_metrics_say(output.read_text(encoding="utf-8"), cause, name not in NOT_JUDGED)
    assert os.listdir(output.parent) == ["tgmon.prom"]          # no temp file left


@pytest.mark.parametrize("name, classes, setup, cause", UNKNOWN_CASES,
                         ids=[c[0] for c in UNKNOWN_CASES])
def test_metrics_route_answers_every_spoiled_state(short_tmp, name, classes, setup, cause):
    with spoiled(setup, short_tmp) as argv:
        status, body, headers = StateDirApp(argv[argv.index("--state-dir") + 1]).route(
            "/metrics")
    assert status == 200
    assert_metrics_say(body.decode("utf-8"), cause, name not in NOT_JUDGED)


def _hostile_labels(tmp):
    doc = document("update-locked-cluster-node")
    doc["node"]["name"] = 'tg\u009b"node\\\u202e2\ud800\n}# TYPE'
    doc["node"]["cluster"] = "c\u2028l\"u\\s" + "t" * 100
    doc["maintenance"]["reason"] = HOSTILE_TEXT + '\n# HELP tgmon_up evil\ntgmon_up{x="1"} 1'
    doc["maintenance"]["planned"] = {"start": doc["generated"],
                                     "reason": HOSTILE_TEXT + "r" * 900}   # cut to 200
    path = status_dir(tmp, doc)
    (path / "update-lock").write_bytes(b"reason \xff\xfe\x1b[31m red | pipe\n")
    return path


def _assert_safe_labels(text):
    samples = parse(text)
    assert values(samples, "tgmon_up") == {frozenset(): 1}
    for sample in samples:
        for value in sample.labels.values():
            assert value.isprintable() and len(value) <= MAX_LABEL_VALUE, ascii(value)
            assert not any(0xd800 <= ord(c) <= 0xdfff or 0x202a <= ord(c) <= 0x202e
                           for c in value), ascii(value)
    names = {s.labels.get("node") for s in samples if s.name != "tgmon_up"}
    assert names == {'tg"node\\2 }# TYPE'}
    reasons = {dict(k)["kind"]: dict(k)["reason"]
               for k in values(samples, "tgmon_maintenance_info")}
    assert reasons["active"].endswith('# HELP tgmon_up evil tgmon_up{x="1"} 1')
    assert len(reasons["planned"]) == MAX_LABEL_VALUE
    assert {s.name for s in samples if s.name == "tgmon_up"} == {"tgmon_up"}
    assert len([s for s in samples if s.name == "tgmon_up"]) == 1


def test_hostile_text_in_labels_through_textfile(short_tmp):
    path = _hostile_labels(short_tmp)
    output = short_tmp / "tgmon.prom"
    run = run_plugin(TGMON, ["textfile", "--state-dir", str(path), "--output", str(output)])
    assert (run.code, run.stdout, run.stderr) == (0, "", ""), run
    _assert_safe_labels(output.read_text(encoding="utf-8"))


def test_hostile_text_in_labels_through_a_real_exporter(short_tmp):
    path = _hostile_labels(short_tmp)
    exporter = Exporter("--state-dir", str(path))
    try:
        with urllib.request.urlopen(exporter.url("/metrics"), timeout=10) as answer:
            _assert_safe_labels(answer.read().decode("utf-8"))
        # and a state that turns to bytes that are no UTF-8 under it
        (path / "status.json").write_bytes(b'{"schema": "tgmon/1", "x": "\xff\xfe"}')
        with urllib.request.urlopen(exporter.url("/metrics"), timeout=10) as answer:
            assert_metrics_say(answer.read().decode("utf-8"), "is not UTF-8 text")
    finally:
        assert exporter.stop() == 0
    assert not any("Traceback" in line for line in exporter.log)


def test_the_largest_state_gives_bounded_metrics(short_tmp):
    """As many offered releases and pending hotfixes as a state may hold."""
    doc = document()
    doc["releases"]["available"] = [{"version": "4.%d" % i, "released": doc["generated"]}
                                    for i in range(1000)]
    doc["hotfixes"]["available"] = [{"id": "HF-%d" % i, "title": "t" * 200,
                                     "released": doc["generated"]} for i in range(1000)]
    path = status_dir(short_tmp, json.dumps(doc))
    output = short_tmp / "tgmon.prom"
    run = run_plugin(TGMON, ["textfile", "--state-dir", str(path), "--output", str(output)])
    assert run.code == 0 and run.max_rss_kb < MAX_RSS_KB, run
    text = output.read_text(encoding="utf-8")
    assert len(text) < 512 * 1024
    samples = parse(text)
    assert len(values(samples, "tgmon_release_offered_timestamp_seconds")) == 1000
    assert values(samples, "tgmon_hotfixes_pending") == {frozenset(): 1000}


def test_a_fresh_valid_state_is_up(short_tmp):
    output = short_tmp / "tgmon.prom"
    run = run_plugin(TGMON, ["textfile", "--state-dir", str(state_dir(short_tmp)),
                             "--output", str(output)])
    assert run.code == 0, run
    assert values(parse(output.read_text()), "tgmon_up") == {frozenset(): 1}


def test_metrics_take_the_token_and_tls_of_v1_status(short_tmp):
    import ssl
    import urllib.error
    from remote.servers import make_certificate
    from .common import write
    cert, key = str(short_tmp / "cert.pem"), str(short_tmp / "key.pem")
    make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1")
    token = write(short_tmp / "token", "M3TRICS-S3CRET\n")
    exporter = Exporter("--state-dir", str(state_dir(short_tmp)), "--token-file", token,
                        "--tls-cert", cert, "--tls-key", key)
    context = ssl.create_default_context(cafile=cert)
    try:
        for given in (None, "Bearer wrong", "Basic TTNUUklDUy1TM0NSRVQ="):
            request = urllib.request.Request(exporter.url("/metrics"))
            if given:
                request.add_header("Authorization", given)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10, context=context)
            assert refused.value.code == 401
        request = urllib.request.Request(exporter.url("/metrics"),
                                         headers={"Authorization": "Bearer M3TRICS-S3CRET"})
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:
            assert values(parse(answer.read().decode("utf-8")), "tgmon_up") == {frozenset(): 1}
        with pytest.raises(urllib.error.URLError):       # TLS verified: an unknown CA fails
            urllib.request.urlopen(request, timeout=10, context=ssl.create_default_context())
    finally:
        assert exporter.stop() == 0
    assert exporter.scheme == "https"
    assert not any("M3TRICS-S3CRET" in line or "Traceback" in line for line in exporter.log)

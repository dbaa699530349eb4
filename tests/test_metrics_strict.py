"""The metrics as a strict Prometheus consumer takes them (issue 23, points 1-3,
reviewed): no series twice in one exposition whatever the state lists, no instant
from the future exported as a fact, tgmon_check_status the plugin's exit code on
every state the shipped scenarios pass through at several instants, promtool's
check on every output, and GET /metrics as scrapers ask it (HEAD, a query,
OpenMetrics first in Accept) and on a state dir that hangs."""

import os
from datetime import timedelta

import pytest

from tgmon.metrics import collect
from tgmon.metrics.exposition import exposition
from tgmon.sources.statedir import read_state
from tgmon.state import examples
from tgmon.state.freshness import FUTURE_TOLERANCE
from tgmon.state.layout import paths_for, write_state
from tgmon.state.model import Marker, Release

from helpers import DAY, NOW, ROOT, run_check
from promtext import parse, values

UPDATE_LOCK = frozenset({("flag", "update_lock")})


def text_of(state, now=NOW):
    return collect.metrics_text(collect.judge(state, now, "dir"))


# ---------------------------------------------------------------- one series once
def test_the_writer_never_writes_a_series_twice():
    twice = [((("version", "4.12"),), 1.0), ((("version", "4.12"),), 2.0),
             ((("version", "4.13"),), 3.0)]
    assert exposition([("m", "gauge", "h", twice)]) == (
        '# HELP m h\n# TYPE m gauge\nm{version="4.12"} 1.0\nm{version="4.13"} 3.0\n')


def test_two_label_values_that_escape_alike_are_one_series():
    """sanitize makes a line break a space and cuts at 200: the first one stays."""
    alike = [((("reason", "a\nb"),), 1), ((("reason", "a b"),), 2),
             ((("reason", "x" * 300),), 3), ((("reason", "x" * 201),), 4)]
    assert [s.value for s in parse(exposition([("m", "gauge", "h", alike)]))] == [1, 3]


def test_a_state_that_lists_a_release_twice_is_still_one_series_each():
    state = examples.build("healthy-single")
    offered = state.releases.available + (Release("4.13", NOW - DAY),) * 2
    samples = parse(text_of(state._replace(releases=state.releases._replace(
        available=offered))))
    assert values(samples, "tgmon_release_offered_timestamp_seconds")[
        frozenset({("version", "4.13")})] == (NOW - DAY).timestamp()


# ---------------------------------------------------------------- no fact from the future
@pytest.mark.parametrize("ahead, exported", [
    (0, True), (FUTURE_TOLERANCE, True), (FUTURE_TOLERANCE + 1, False), (DAY.total_seconds(),
                                                                       False)])
def test_a_marker_time_in_the_future_is_no_since(ahead, exported):
    """As the checks take it (freshness.known_since): set, since an unknown time."""
    state = examples.build("update-locked-cluster-node")
    since = NOW + timedelta(seconds=ahead)
    state = state._replace(flags=state.flags._replace(update_lock=Marker(True, since)))
    samples = parse(text_of(state))
    assert values(samples, "tgmon_flag_set")[UPDATE_LOCK] == 1
    assert values(samples, "tgmon_flag_set_timestamp_seconds").get(UPDATE_LOCK) == (
        since.timestamp() if exported else None)


# ---------------------------------------------------------------- verdicts = exit codes
SCENARIOS = os.path.join(ROOT, "scenarios")
# after the state was written: now, fresh, the last second within --max-age (30m), the first
# beyond it, a clock behind (the state from the future), days later
OFFSETS = (0, 600, 1800, 1801, -FUTURE_TOLERANCE - 1, 3 * 86400)


@pytest.mark.slow
@pytest.mark.parametrize("scenario_file", sorted(f for f in os.listdir(SCENARIOS)
                                                 if f.endswith(".yml")))
def test_check_status_is_the_plugins_exit_code_through_every_scenario(tmp_path,
                                                                     scenario_file):
    from tgmon.sim.scenario import load_scenario
    scenario = load_scenario(os.path.join(SCENARIOS, scenario_file))
    sim = scenario.build()
    compared = set()
    for step, (instant, _) in enumerate(sim.walk(scenario.end)):
        for name, node in sim.nodes.items():
            directory = str(tmp_path / ("%d-%s" % (step, name)))
            write_state(directory, node.snapshot())
            state = read_state(paths_for(directory))
            for offset in OFFSETS:
                now = instant + timedelta(seconds=offset)
                status = {dict(k)["check"]: v for k, v in values(
                    parse(text_of(state, now)), "tgmon_check_status").items()}
                for definition in collect.NODE_CHECKS:
                    code = run_check(definition, ["--state-dir", directory], now=now).code
                    assert status[definition.short_name] == code, (
                        instant.isoformat(), offset, name, definition.prog)
                    compared.add((definition.short_name, code))
    assert len({code for _, code in compared}) >= 3      # not only OK: a real comparison


# ---------------------------------------------------------------- /metrics on a hung mount
def test_metrics_on_a_state_dir_that_hangs_is_tgmon_up_0_in_bounded_time(state_dir,
                                                                         monkeypatch):
    """The read gives up after READ_SECONDS with the cause; while it hangs, the next
    scrapes wait their turn and give up too, none starts another stuck read."""
    import threading
    import time
    import tgmon.sources.statedir as statedir
    from tgmon.server.exporter import StateDirApp
    app = StateDirApp(state_dir(examples.build("healthy-single")))
    app.READ_SECONDS = 0.3
    released, reads = threading.Event(), []
    monkeypatch.setattr(statedir, "read_document", lambda paths: reads.append(1) or (
        released.wait(10), 1 / 0))
    try:
        for _ in range(3):
            started = time.monotonic()
            status, body, _ = app.route("/metrics")
            assert time.monotonic() - started < 0.3 + 1           # a hang guard
            samples = parse(body.decode("utf-8"))
            assert status == 200 and values(samples, "tgmon_up") == {frozenset(): 0}
            cause, = values(samples, "tgmon_state_error_info")
            assert dict(cause)["cause"] == ("reading the state dir %s took longer than 0.3 s"
                                            % app.state_dir)
        assert reads == [1]
    finally:
        released.set()


# ---------------------------------------------------------------- /metrics as scrapers ask
# what Prometheus 2.42 sends: OpenMetrics first; tgmon answers the text format it also takes
SCRAPE_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                 "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def test_metrics_answers_a_scrapers_request_head_and_query_alike(state_dir):
    import http.client
    import subprocess
    from promtext import promtool
    from remote.servers import Exporter
    from tgmon.metrics.exposition import CONTENT_TYPE
    exporter = Exporter("--state-dir", _fresh_locked(state_dir))
    answers = {}
    try:
        for method, target in (("GET", "/metrics"), ("HEAD", "/metrics"),
                               ("GET", "/metrics?collect%5B%5D=tgmon&x=%00")):
            connection = http.client.HTTPConnection("127.0.0.1", exporter.port, timeout=10)
            connection.request(method, target, headers={"Accept": SCRAPE_ACCEPT,
                                                        "Accept-Encoding": "gzip"})
            answer = connection.getresponse()
            answers[method, target] = (answer.status, answer.getheader("Content-Type"),
                                       int(answer.getheader("Content-Length")), answer.read())
            connection.close()
    finally:
        assert exporter.stop() == 0
    status, kind, length, body = answers["GET", "/metrics"]
    assert (status, kind, length) == (200, CONTENT_TYPE, len(body))
    assert answers["HEAD", "/metrics"] == (200, CONTENT_TYPE, len(body), b"")
    queried = answers["GET", "/metrics?collect%5B%5D=tgmon&x=%00"]
    assert queried[:2] == (200, CONTENT_TYPE)
    assert [s[:2] for s in parse(queried[3].decode())] == [s[:2] for s in parse(body.decode())]
    done = subprocess.run([promtool(), "check", "metrics"], input=body.decode(),
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), done


def _fresh_locked(state_dir):
    from tgmon.timeutil import utcnow
    return state_dir(examples.build("update-locked-cluster-node",
                                    utcnow().astimezone(examples.CET)))


# ---------------------------------------------------------------- promtool on every output
def _promtool_check_metrics(text):
    import subprocess
    from promtext import promtool
    done = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("name", sorted(examples.EXAMPLES))
def test_promtool_reads_every_example_fresh_stale_and_from_the_future(name):
    for now in (NOW, NOW + DAY, NOW - DAY):
        assert _promtool_check_metrics(text_of(examples.build(name), now)) == (0, ""), (name,
                                                                                   now)


@pytest.mark.slow
def test_promtool_reads_metrics_of_every_hostile_state_dir(short_tmp):
    from hostile.common import spoiled
    from hostile.test_state_files import UNKNOWN_CASES
    from tgmon.server.exporter import StateDirApp
    for name, _, setup, _ in UNKNOWN_CASES:
        case = short_tmp / name
        case.mkdir()
        with spoiled(setup, case) as argv:
            body = StateDirApp(argv[argv.index("--state-dir") + 1]).route("/metrics")[1]
        assert _promtool_check_metrics(body.decode("utf-8")) == (0, ""), name


def test_a_read_that_could_not_start_leaves_metrics_readable(state_dir, monkeypatch):
    """No thread to be had (a process at its limit) fails that request only."""
    import threading
    import time
    from tgmon.server.exporter import StateDirApp
    app = StateDirApp(_fresh_locked(state_dir))
    with monkeypatch.context() as patched:
        patched.setattr(threading.Thread, "start", lambda self: (_ for _ in ()).throw(
            RuntimeError("can't start new thread")))
        with pytest.raises(RuntimeError):
            app.route("/metrics")
    started = time.monotonic()
    samples = parse(app.route("/metrics")[1].decode("utf-8"))
    assert values(samples, "tgmon_up") == {frozenset(): 1}
    assert time.monotonic() - started < app.READ_SECONDS      # not held by the failed one

"""tgmon state: every verb round-trips (the checks read what it wrote), every refusal
leaves the state dir byte for byte as it was, 40 concurrent writers never show a
reader a torn or mixed state, and Debian's own reboot marker reads as Debian
writes it."""

import json
import os
import subprocess
import threading
import time

import pytest

from tgmon.checks.registry import by_prog
from tgmon.sources.statedir import read_document, read_state
from tgmon.state.layout import markers_agree, paths_for
from tgmon.timeutil import utcnow

from helpers import VENV_BIN, run_check

TGMON = os.path.join(VENV_BIN, "tgmon")


def tgmon(*args, stdin=None):
    done = subprocess.run([TGMON, "state"] + [str(a) for a in args], input=stdin,
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def check(prog, state_dir, *args):
    """A plugin's verdict on the dir now: (exit code, first line)."""
    outcome = run_check(by_prog(prog), ["--state-dir", str(state_dir)] + list(args),
                        now=utcnow())
    return outcome.code, outcome.text


@pytest.fixture
def node(short_tmp):
    path = short_tmp / "state"
    done = tgmon("init", path, "--node", "tg1", "--role", "cluster-node", "--cluster", "tgc",
                 "--installed", "4.11")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    return path


def test_init_is_a_valid_state_that_claims_nothing(node):
    state = read_state(paths_for(str(node)))
    assert (state.node.name, state.node.role, state.node.cluster) == ("tg1", "cluster-node",
                                                                       "tgc")
    assert abs((utcnow() - state.generated).total_seconds()) < 60
    # never an OK it cannot know: no server contact yet
    assert check("check_versions", node)[0] == 1
    assert check("check_update_lock", node) == (0, "UPDATE_LOCK OK - no update lock")
    again = tgmon("init", node, "--node", "tg1", "--role", "single")
    assert again.returncode == 2 and "already holds a state" in again.stderr


def test_set_and_clear_every_flag(node):
    assert tgmon("set-flag", node, "update-lock", "--reason", "scheduled update failed"
                 ).returncode == 0
    code, text = check("check_update_lock", node)
    assert code == 2 and text.startswith("UPDATE_LOCK CRITICAL - update lock since ")
    assert tgmon("set-flag", node, "warn-flag", "--reason", "Update download failed",
                 "--line", "10 download attempts failed").returncode == 0
    assert check("check_versions", node)[1].startswith(
        "VERSIONS WARNING - Update download failed since ")
    since = (utcnow().replace(microsecond=0) - __import__("datetime").timedelta(hours=30))
    assert tgmon("set-flag", node, "reboot-required", "--line", "linux-image-6.1",
                 "--since", since.isoformat()).returncode == 0
    code, text = check("check_reboot_required", node)
    assert code == 2 and "reboot required for 1d 6h, longer than 1d" in text
    marker = read_state(paths_for(str(node))).flags.reboot_required
    assert marker.lines == ("linux-image-6.1",) and marker.since == since
    for flag, _prog in (("update-lock", "check_update_lock"), ("warn-flag", "check_versions"),
                       ("reboot-required", "check_reboot_required")):
        assert tgmon("clear-flag", node, flag).returncode == 0
    assert check("check_update_lock", node)[0] == 0
    assert check("check_reboot_required", node) == (0, "REBOOT OK - no reboot required")
    assert not read_state(paths_for(str(node))).flags.warn_flag.is_set


def test_a_flag_set_again_keeps_its_time(node):
    tgmon("set-flag", node, "update-lock", "--reason", "first",
          "--since", "2026-11-17T03:20:00+01:00")
    tgmon("set-flag", node, "update-lock", "--reason", "second")
    marker = read_state(paths_for(str(node))).flags.update_lock
    assert marker.since.isoformat() == "2026-11-17T02:20:00+00:00"
    assert marker.lines == ("second",)


def test_update_merges_objects_and_replaces_lists(node):
    stamp = utcnow().replace(microsecond=0).isoformat()
    patch = {"update_server": {"last_check": stamp, "last_check_ok": True,
                               "last_successful_check": stamp},
             "releases": {"available": [{"version": "4.12", "released": stamp}]},
             "schedule": {"update": {"active": True, "weekday": "tuesday", "start": "03:00"},
                          "download": {"active": True, "weekday": "tuesday", "start": "01:00",
                                       "end": "02:45"}},
             "maintenance": {"planned": {"start": "2030-01-01T02:00:00+01:00",
                                         "end": None, "reason": "disk swap"}}}
    done = tgmon("update", node, "--json", "-", stdin=json.dumps(patch))
    assert (done.returncode, done.stderr) == (0, "")
    state = read_state(paths_for(str(node)))
    assert state.releases.installed == "4.11"                       # merged, kept
    assert [r.version for r in state.releases.available] == ["4.12"]
    assert state.schedule.update.active and state.cluster.max_parallel_updates == 1
    assert check("check_versions", node)[0] == 0
    assert check("check_update_schedule", node)[0] == 0
    assert "planned maintenance" in check("check_maintenance", node)[1]
    done = tgmon("update", node, "--json", "-", stdin='{"releases": {"available": []}}')
    assert read_state(paths_for(str(node))).releases.available == ()
    path = node.parent / "patch.json"
    path.write_text('{"active_sessions": 12}')
    assert tgmon("update", node, "--json", path).returncode == 0
    assert read_state(paths_for(str(node))).active_sessions == 12


def test_heartbeat_refreshes_generated_only(node):
    before = read_document(paths_for(str(node)))[0]
    time.sleep(1.1)
    assert tgmon("heartbeat", node).returncode == 0
    after = read_document(paths_for(str(node)))[0]
    assert after["generated"] > before["generated"]
    assert dict(after, generated=None) == dict(before, generated=None)


def snapshot(path):
    return {name: (open(os.path.join(path, name), "rb").read(),
                   os.stat(os.path.join(path, name)).st_mtime_ns)
            for name in sorted(os.listdir(path)) if name != ".tgmon-state.lock"}


REFUSALS = [
    # (name, args, stdin, words)
    ("broken_json", ["update", "{dir}", "--json", "-"], '{"active_sessions": ',
     "is not valid JSON (expecting value at line 1 column 21)"),
    ("not_an_object", ["update", "{dir}", "--json", "-"], "[1]", "must be a JSON object"),
    ("unknown_field", ["update", "{dir}", "--json", "-"], '{"releases": {"instaled": "4.12"}}',
     "releases.instaled is no field of status.json"),
    ("unknown_field_in_list", ["update", "{dir}", "--json", "-"],
     '{"releases": {"available": [{"version": "4.12", "released": "2026-11-01T00:00:00Z",'
     ' "kernel": true}]}}', "releases.available[0].kernel is no field"),
    ("wrong_type", ["update", "{dir}", "--json", "-"], '{"active_sessions": "many"}',
     "active_sessions: expected an integer"),
    ("timestamp_without_offset", ["update", "{dir}", "--json", "-"],
     '{"update_server": {"last_check": "2026-11-16T10:00:00"}}',
     "update_server.last_check"),
    ("timestamp_in_the_future", ["update", "{dir}", "--json", "-"],
     '{"update_server": {"last_check": "2099-01-01T00:00:00+00:00"}}',
     "update_server.last_check: lies after generated"),
    ("generated_by_hand", ["update", "{dir}", "--json", "-"], '{"generated": "x"}',
     "generated is set by tgmon state"),
    ("flags_by_update", ["update", "{dir}", "--json", "-"], '{"flags": {}}',
     "use set-flag and clear-flag"),
    ("null_required", ["update", "{dir}", "--json", "-"], '{"node": {"name": null}}',
     "node.name: must not be null"),
    ("single_with_cluster_settings_gone", ["update", "{dir}", "--json", "-"],
     '{"cluster": null}', "cluster: a cluster-node needs the cluster settings"),
    ("huge", ["update", "{dir}", "--json", "-"], " " * (1024 * 1024 + 10),
     "more than 1048576 bytes"),
    ("deep", ["update", "{dir}", "--json", "-"], "[" * 100000, "nested too deeply"),
    ("json_file_missing", ["update", "{dir}", "--json", "/nonexistent/patch.json"], None,
     "--json /nonexistent/patch.json does not exist"),
    ("json_file_fifo", ["update", "{dir}", "--json", "{fifo}"], None, "is a FIFO"),
    ("since_in_the_future", ["set-flag", "{dir}", "update-lock", "--since",
                             "2099-01-01T00:00:00+00:00"], None, "--since lies in the future"),
    ("since_without_offset", ["set-flag", "{dir}", "update-lock", "--since",
                              "2026-11-16T10:00"], None, "has no UTC offset"),
    ("unknown_flag", ["set-flag", "{dir}", "update-warn"], None,
     "argument flag: must be one of reboot-required, update-lock, warn-flag"),
    ("init_again", ["init", "{dir}", "--node", "x", "--role", "single"], None,
     "already holds a state"),
    ("cluster_node_without_cluster", ["init", "{dir}", "--node", "x", "--role",
                                      "cluster-node", "--force"], None, "needs --cluster"),
]


@pytest.mark.parametrize("name, args, stdin, words", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_change_nothing(node, name, args, stdin, words):
    fifo = node.parent / "fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    before = snapshot(node)
    done = tgmon(*[a.format(dir=node, fifo=fifo) for a in args], stdin=stdin)
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert words in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr    # argparse's errors too
    assert snapshot(node) == before


@pytest.mark.parametrize("mtime", [-86400, 2 ** 40], ids=["before_1970", "far_ahead"])
def test_a_marker_time_no_state_can_hold_is_refused_not_rewritten(node, mtime):
    assert tgmon("set-flag", node, "update-lock").returncode == 0
    os.utime(node / "update-lock", (mtime, mtime))   # ext4 keeps 2446 of the far one
    before = snapshot(node)
    done = tgmon("heartbeat", node)
    assert done.returncode == 2 and done.stdout == "", done
    assert "update-lock has a time outside the years 1970-2200" in done.stderr, done.stderr
    assert snapshot(node) == before


def test_commands_on_a_dir_without_a_state(short_tmp):
    for args in (["heartbeat"], ["clear-flag", ..., "warn-flag"], ["update", ..., "--json", "-"]):
        argv = [str(short_tmp / "none") if a is ... else a for a in args]
        if len(argv) == 1:
            argv.append(str(short_tmp / "none"))
        done = tgmon(*argv, stdin="{}")
        assert done.returncode == 2 and "no state dir" in done.stderr, done.stderr


def test_the_lock_file_is_no_symlink_target(node, short_tmp):
    lock = node / ".tgmon-state.lock"
    os.unlink(lock)
    target = short_tmp / "elsewhere"
    os.symlink(target, lock)
    done = tgmon("heartbeat", node)
    assert done.returncode == 2 and "is a symlink" in done.stderr
    assert not target.exists()


@pytest.mark.slow
def test_forty_concurrent_writers_and_a_reader_never_see_a_torn_or_mixed_state(node):
    """Each writer process runs one verb; a reader reads meanwhile as the checks do.
    Every call ends 0 (they queue on the lock); every read parses and its markers
    agree with status.json's expected_markers."""
    verbs = []
    for index in range(40):
        kind = index % 4
        if kind == 0:
            verbs.append(["set-flag", node, ("update-lock", "warn-flag", "reboot-required")[
                index % 3], "--reason", "writer %d" % index])
        elif kind == 1:
            verbs.append(["clear-flag", node, ("update-lock", "warn-flag", "reboot-required")[
                index % 3]])
        elif kind == 2:
            verbs.append(["update", node, "--json", "-"])
        else:
            verbs.append(["heartbeat", node])
    reads, problems, stop = [0], [], threading.Event()

    def reader():
        paths = paths_for(str(node))
        while not stop.is_set():
            try:
                document, flags = read_document(paths)
                read_state(paths)
                if not markers_agree(document, flags):
                    problems.append("mixed: %r %r" % (document.get("expected_markers"), flags))
            except Exception as exc:   # a torn file would fail to parse
                problems.append(repr(exc))
            reads[0] += 1
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        processes = [subprocess.Popen([TGMON, "state"] + [str(a) for a in verb],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for verb in verbs]
        results = [p.communicate('{"active_sessions": %d}' % i, timeout=120)
                   for i, p in enumerate(processes)]
    finally:
        stop.set()
        thread.join()
    codes = [p.returncode for p in processes]
    assert codes == [0] * 40, [(c, r[1]) for c, r in zip(codes, results) if c]
    assert problems == [], problems[:5]
    assert reads[0] > 50
    assert not [f for f in os.listdir(node) if f.startswith(".") and
                f != ".tgmon-state.lock"], os.listdir(node)          # no temp file left


DEBIAN_BANNER = "*** System restart required ***\n"


@pytest.mark.parametrize("pkgs, expected", [
    (None, []),
    ("linux-image-6.1.0-27-amd64\nlinux-base\nlinux-image-6.1.0-27-amd64\n",
     ["linux-image-6.1.0-27-amd64", "linux-base"]),
    ("", []),
])
def test_debians_reboot_marker(node, short_tmp, pkgs, expected):
    """--config files: reboot_required: pointed at Debian's marker: its banner is no
    package, the packages come from the sibling .pkgs, each once."""
    marker = short_tmp / "reboot-required"
    marker.write_text(DEBIAN_BANNER)
    if pkgs is not None:
        (short_tmp / "reboot-required.pkgs").write_text(pkgs)
    config = short_tmp / "tgmon.yml"
    config.write_text("files:\n  reboot_required: %s\n" % marker)
    outcome = run_check(by_prog("check_reboot_required"),
                        ["--state-dir", str(node), "--config", str(config)], now=utcnow())
    assert outcome.code == 1
    assert "System restart required" not in outcome.output
    assert [line.split("package: ")[1] for line in outcome.lines
            if "package: " in line] == expected

"""``tgmon textfile`` (issue 23, point 3): the metrics of /metrics in a file for
node_exporter's textfile collector, written atomically, and its systemd units."""

import os
import shlex
import subprocess
import time

import pytest

from tgmon.cli import _parser
from tgmon.errors import UsageError
from tgmon.metrics import collect, textfile
from tgmon.safeio.writeerror import WriteError
from tgmon.sources.statedir import read_state
from tgmon.state import examples
from tgmon.state.layout import DEFAULT_STATE_DIR, paths_for

from helpers import NOW, ROOT, VENV_BIN
from promtext import parse, values
from test_systemd_units import exec_start, service_section

UNIT = os.path.join(ROOT, "systemd", "tgmon-textfile.service")
TIMER = os.path.join(ROOT, "systemd", "tgmon-textfile.timer")


def test_the_file_holds_what_metrics_would_say(state_dir, short_tmp):
    path = state_dir(examples.build("update-locked-cluster-node"))
    output = short_tmp / "tgmon.prom"
    view = textfile.write_textfile(path, str(output), NOW)
    assert view.cause is None
    written = output.read_text()
    assert written == collect.metrics_text(collect.judge(read_state(paths_for(path)), NOW))
    assert values(parse(written), "tgmon_flag_set")[frozenset({("flag", "update_lock")})] == 1
    assert oct(os.stat(output).st_mode & 0o777) == "0o644"      # node_exporter reads it
    assert sorted(os.listdir(short_tmp)) == sorted(["tgmon.prom", "state0"])   # no temp file


def test_a_state_that_cannot_be_read_is_written_as_tgmon_up_0(short_tmp):
    output = short_tmp / "tgmon.prom"
    view = textfile.write_textfile(str(short_tmp / "missing"), str(output), NOW)
    assert "does not exist" in view.cause
    samples = parse(output.read_text())
    assert values(samples, "tgmon_up") == {frozenset(): 0}
    assert "does not exist" in dict(next(iter(values(samples, "tgmon_state_error_info"))))[
        "cause"]


def test_a_read_that_hangs_is_a_cause_within_the_timeout(state_dir, short_tmp, monkeypatch):
    import tgmon.sources.statedir as statedir
    path = state_dir(examples.build("healthy-single"))
    monkeypatch.setattr(statedir, "read_state", lambda paths: time.sleep(3))
    started = time.monotonic()
    view = textfile.write_textfile(path, str(short_tmp / "tgmon.prom"), NOW, timeout=0.3)
    assert time.monotonic() - started < 0.3 + 1          # a hang guard, not a timing
    assert view.cause == "reading the state dir %s took longer than 0.3 s" % path


@pytest.mark.parametrize("name, refused", [
    ("tgmon.prom", False), ("node-tg1.prom", False), ("tgmon.txt", True), ("tgmon", True),
    (".prom", True), (".tgmon.prom", True), ("tgmon.prom.tmp", True)])
def test_only_a_file_the_collector_reads(state_dir, short_tmp, name, refused):
    path = state_dir(examples.build("healthy-single"))
    if refused:
        with pytest.raises(UsageError, match="ending in .prom"):
            textfile.write_textfile(path, str(short_tmp / name), NOW)
        assert not os.path.exists(short_tmp / name)
    else:
        textfile.write_textfile(path, str(short_tmp / name), NOW)
        assert parse((short_tmp / name).read_text())


def _world_writable(tmp):
    os.chmod(tmp, 0o777)
    return tmp


# (id, how the output's place is spoiled, words of the cause)
REFUSED = [
    ("dir_missing", lambda tmp: tmp / "gone", "does not exist"),
    ("dir_writable_by_all", _world_writable, "writable"),
    ("output_is_a_dir", lambda tmp: (tmp / "tgmon.prom").mkdir() or tmp, "directory"),
]


@pytest.mark.parametrize("name, spoil, cause", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_place_that_must_not_be_written_is_refused(state_dir, short_tmp, name, spoil, cause):
    path = state_dir(examples.build("healthy-single"))
    target = short_tmp / "out"
    target.mkdir()
    directory = spoil(target)
    with pytest.raises(WriteError, match=cause):
        textfile.write_textfile(path, str(directory / "tgmon.prom"), NOW)
    assert not [n for n in os.listdir(target) if n != "tgmon.prom"]   # no temp file


def test_a_link_at_the_output_is_replaced_never_followed(state_dir, short_tmp):
    path = state_dir(examples.build("healthy-single"))
    victim = short_tmp / "victim"
    victim.write_text("keep me\n")
    os.symlink(victim, short_tmp / "tgmon.prom")
    textfile.write_textfile(path, str(short_tmp / "tgmon.prom"), NOW)
    assert victim.read_text() == "keep me\n"
    assert not os.path.islink(short_tmp / "tgmon.prom")
    assert parse((short_tmp / "tgmon.prom").read_text())


# (id, argv after "textfile", exit code, stderr words)
CLI_CASES = [
    ("written", ["--output", "{tmp}/t.prom"], 0, ""),
    ("unreadable_state_written", ["--state-dir", "{tmp}/none", "--output", "{tmp}/t.prom"], 0,
     "tgmon: warning: {tmp}/t.prom written as tgmon_up 0: state dir {tmp}/none does not exist"),
    ("not_prom", ["--output", "{tmp}/t.txt"], 2, "tgmon: --output must name a file ending in "
     ".prom (not a dot file) - node_exporter's textfile collector reads only *.prom files"),
    ("no_dir", ["--output", "{tmp}/none/t.prom"], 2,
     "tgmon: {tmp}/none does not exist - create it, or check the path"),
    ("bad_timeout", ["--output", "{tmp}/t.prom", "-t", "0"], 2, "the value must be more than 0"),
]


@pytest.mark.parametrize("name, argv, code, said", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_the_command_line(state_dir, short_tmp, name, argv, code, said):
    path = state_dir(examples.build("healthy-single", examples.EXAMPLE_INSTANT))
    argv = [arg.format(tmp=short_tmp) for arg in argv]
    if "--state-dir" not in argv:
        argv = ["--state-dir", path] + argv
    done = subprocess.run([os.path.join(VENV_BIN, "tgmon"), "textfile"] + argv,
                          capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout) == (code, ""), done
    assert said.format(tmp=short_tmp) in done.stderr and len(done.stderr.splitlines()) <= 2
    assert "Traceback" not in done.stderr
    assert os.path.exists(short_tmp / "t.prom") == (code == 0)


def test_the_unit_runs_a_command_line_tgmon_accepts_and_writes_only_the_collectors_dir():
    entries = service_section(UNIT)
    words = shlex.split(exec_start(entries))
    assert words[:2] == ["/usr/bin/tgmon", "textfile"]
    parsed = _parser().parse_args(words[1:])
    assert parsed.state_dir == DEFAULT_STATE_DIR
    textfile.check_output_name(parsed.output)
    writable = [value for key, value in entries if key == "ReadWritePaths"]
    assert writable == [os.path.dirname(parsed.output)]
    with open(UNIT) as handle:
        assert "ConditionPathIsDirectory=%s\n" % os.path.dirname(parsed.output) in handle.read()
    assert ("PrivateNetwork", "yes") in entries and ("CapabilityBoundingSet", "") in entries
    with open(TIMER) as handle:
        timer = handle.read()
    assert "OnUnitActiveSec=1min" in timer and "WantedBy=timers.target" in timer

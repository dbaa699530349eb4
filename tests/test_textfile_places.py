"""``tgmon textfile`` where its output lands (issue 23, point 3, reviewed): a FIFO in
the output's place, a full disk, a temp file a killed run left, two runs at once.
node_exporter must only ever read a whole file, the last one written or the one
before, and nothing but ``*.prom`` files of ours."""

import errno
import os
import subprocess

import pytest

from tgmon.metrics import textfile
from tgmon.safeio import atomic
from tgmon.safeio.writeerror import WriteError
from tgmon.state import examples
from tgmon.timeutil import utcnow

from helpers import NOW, VENV_BIN
from promtext import parse, values

TGMON = os.path.join(VENV_BIN, "tgmon")


def _fresh(state_dir):
    return state_dir(examples.build("update-locked-cluster-node",
                                    utcnow().astimezone(examples.CET)))


def _textfile(state, output):
    return subprocess.run([TGMON, "textfile", "--state-dir", state, "--output", str(output)],
                          capture_output=True, text=True, timeout=30)


def test_a_fifo_in_the_outputs_place_is_replaced_never_opened(state_dir, short_tmp):
    """Opened, a FIFO with no reader would hang the run (a hang guard: the timeout)."""
    output = short_tmp / "tgmon.prom"
    os.mkfifo(output)
    done = _textfile(_fresh(state_dir), output)
    assert (done.returncode, done.stderr) == (0, ""), done
    assert output.is_file() and parse(output.read_text())


def test_a_full_disk_keeps_the_last_file_whole_and_leaves_no_temp(state_dir, short_tmp,
                                                                  monkeypatch):
    output = short_tmp / "tgmon.prom"
    textfile.write_textfile(state_dir(examples.build("healthy-single")), str(output), NOW)
    before, locked = output.read_text(), state_dir(examples.build("update-locked-cluster-node"))

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(atomic.os, "write", full)
    with pytest.raises(WriteError, match="^no space left on %s; free space$" % short_tmp):
        textfile.write_textfile(locked, str(output), NOW)
    monkeypatch.undo()
    assert output.read_text() == before
    assert sorted(os.listdir(short_tmp)) == ["state0", "state1", "tgmon.prom"]


def test_a_temp_file_a_killed_run_left_is_removed_and_a_live_ones_kept(state_dir, short_tmp):
    """Temp names never end in .prom, so the collector never reads one meanwhile."""
    dead = _dead_pid()
    left = short_tmp / ("%s%d.%s" % (atomic.TEMP_PREFIX, dead, "0" * 16))
    alive = short_tmp / ("%s%d.%s" % (atomic.TEMP_PREFIX, os.getpid(), "1" * 16))
    for temp in (left, alive):
        temp.write_text("tgmon_up 1\n")
        assert not temp.name.endswith(textfile.SUFFIX)
    output = short_tmp / "tgmon.prom"
    assert _textfile(_fresh(state_dir), output).returncode == 0
    assert not left.exists() and alive.exists()


def _dead_pid():
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_two_runs_at_once_each_replace_the_file_whole(state_dir, short_tmp):
    output = short_tmp / "tgmon.prom"
    paths = [_fresh(state_dir), state_dir(examples.build("healthy-single", utcnow().astimezone(
        examples.CET)))]
    runs = [subprocess.Popen([TGMON, "textfile", "--state-dir", path, "--output", str(output)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for path in paths * 3]
    for run in runs:
        assert run.wait(30) == 0 and run.stderr.read() == ""
        run.stdout.close()
        run.stderr.close()
    samples = parse(output.read_text())           # one whole file, either node's
    assert {s.labels.get("node") for s in samples} - {None} in ({"tg-node2"}, {"tg-single"})
    assert values(samples, "tgmon_up") == {frozenset(): 1}
    assert sorted(os.listdir(short_tmp)) == ["state0", "state1", "tgmon.prom"]

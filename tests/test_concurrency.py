"""Writers keep writing while checks read: zero torn or half-written reads.

A writer process alternates a state dir between two states that differ in
status.json and in every marker, as fast as it can. Readers read it 10,000
times directly and 2,000 times through a running ``tgmon serve``; every read
must be exactly one of the two states.
"""

import os
import subprocess
import sys
import textwrap
import time

import pytest
import requests

from tgmon.state import examples
from tgmon.sources.http import state_from_body
from tgmon.sources.statedir import read_state
from tgmon.state.layout import paths_for
from tgmon.state.layout import write_state
from tgmon.timeutil import utcnow

from remote.servers import Exporter

pytestmark = pytest.mark.slow

WRITER = textwrap.dedent("""
    import sys, time
    from tgmon.state import examples
    from tgmon.state.layout import write_state
    from tgmon.timeutil import utcnow
    now = utcnow().astimezone(examples.CET).replace(microsecond=0)
    states = [examples.build("healthy-single", now), examples.build("update-locked-cluster-node", now)]
    path, seconds = sys.argv[1], float(sys.argv[2])
    end = time.monotonic() + seconds
    count = 0
    while time.monotonic() < end:
        write_state(path, states[count % 2])
        count += 1
    print(count)
""")


def signature(state):
    return (state.node.name, state.flags.warn_flag.is_set, state.flags.update_lock.is_set,
            state.maintenance.active, state.schedule.update.active)


EXPECTED = {signature(examples.build("healthy-single")),
            signature(examples.build("update-locked-cluster-node"))}


def start_writer(path, seconds):
    return subprocess.Popen([sys.executable, "-c", WRITER, path, str(seconds)],
                            stdout=subprocess.PIPE, text=True)


def test_direct_reads_during_writes(tmp_path):
    path = str(tmp_path / "state")
    write_state(path, examples.build("healthy-single", utcnow().astimezone(examples.CET)))
    writer = start_writer(path, 120)
    seen, reads = set(), 0
    try:
        time.sleep(0.3)
        paths = paths_for(path)
        while reads < 10000:
            state = read_state(paths)       # raises on a torn or garbled file
            sig = signature(state)
            assert sig in EXPECTED, sig
            seen.add(sig)
            reads += 1
    finally:
        writer.terminate()
        writer.communicate(timeout=10)
    assert reads == 10000
    assert seen == EXPECTED     # the writer really was switching under the reader


def test_served_reads_during_writes(tmp_path):
    path = str(tmp_path / "state")
    write_state(path, examples.build("healthy-single", utcnow().astimezone(examples.CET)))
    writer = start_writer(path, 120)
    exporter = Exporter("--state-dir", path)
    seen = set()
    try:
        session = requests.Session()
        session.trust_env = False
        for _ in range(2000):
            answer = session.get(exporter.url(), timeout=10)
            assert answer.status_code == 200, answer.text
            sig = signature(state_from_body(answer.content, exporter.url()))
            assert sig in EXPECTED, sig
            seen.add(sig)
    finally:
        writer.terminate()
        writer.communicate(timeout=10)
        assert exporter.stop() == 0
    assert seen == EXPECTED


def test_checks_never_write_into_the_state_dir(tmp_path):
    """Read-only: a read-only state dir (and files) is all a check needs."""
    from helpers import run_check
    from tgmon.checks.registry import TIGHTGATE
    path = tmp_path / "state"
    write_state(str(path), examples.build("update-locked-cluster-node"))
    before = {name: os.stat(path / name).st_mtime_ns for name in os.listdir(path)}
    for name in os.listdir(path):
        os.chmod(path / name, 0o444)
    os.chmod(path, 0o555)
    try:
        outcome = run_check(TIGHTGATE, ["--state-dir", str(path)])
        assert outcome.code == 2
        assert {name: os.stat(path / name).st_mtime_ns for name in os.listdir(path)} == before
    finally:
        os.chmod(path, 0o755)

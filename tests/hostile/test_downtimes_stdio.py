"""A closed stdout (``>&-``), a reader that went away (``| head -c0``), a closed stderr:
tgmon downtimes sync still syncs every core to the end, exits as it would have with
a terminal (1: a node is not read, one line on stderr), and prints no traceback
where it still can print.

Classes (issue 18): 3 nothing stops a sync halfway, 10 a closed stdout never changes
the exit code. Review finding 2.
"""

import os
import subprocess

import pytest

from .harness import TGMON
from .syncrun import assert_safe, cores, fresh_base, node, password_file, sync
from .test_downtimes_nodes import BOTH, icinga_downtimes, nagios_downtimes

pytestmark = pytest.mark.slow

TIMEOUT = 5


def closed(fd):
    return lambda: os.close(fd)


def reader_gone():
    """A pipe whose reading end is closed before the sync starts: every write is EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


CASES = [
    # (id, stdout, stderr, in the child before it runs)
    ("stdout_closed", subprocess.DEVNULL, subprocess.PIPE, closed(1)),
    ("stdout_reader_gone", "gone", subprocess.PIPE, None),
    ("stderr_closed", subprocess.PIPE, subprocess.DEVNULL, closed(2)),
    ("stderr_reader_gone", subprocess.PIPE, "gone", None),
    ("both_closed", subprocess.DEVNULL, subprocess.DEVNULL, lambda: (os.close(1), os.close(2))),
]


@pytest.mark.parametrize("name, stdout, stderr, before", CASES, ids=[c[0] for c in CASES])
def test_a_sync_nobody_reads_is_done_all_the_same(short_tmp, name, stdout, stderr, before):
    fresh_base()
    nagios, api = cores(short_tmp)
    # a node that cannot be read: one line on stderr, exit 1, the other two synced
    argv = ["--node", node(short_tmp, "n/tg-node1"),
            "--node", node(short_tmp, "n/tg-node2", claim="tg-node2", offset=1),
            "--node", str(short_tmp / "n" / "tg-gone")] \
        + nagios.args() + api.args(password_file(short_tmp))
    gone = [reader_gone() if kind == "gone" else kind for kind in (stdout, stderr)]
    try:
        done = subprocess.run([TGMON, "downtimes", "sync", "-t", str(TIMEOUT)] + argv,
                              stdin=subprocess.DEVNULL, stdout=gone[0], stderr=gone[1],
                              preexec_fn=before, timeout=TIMEOUT + 5)
        after = sync(argv, timeout=TIMEOUT)       # finds all done: nothing was cut short
    finally:
        for fd in gone:
            if isinstance(fd, int) and fd > 2:
                os.close(fd)
        nagios.close()
        api.close()
    assert done.returncode == 1, done             # as a terminal would have seen it
    for text in (done.stdout, done.stderr):
        assert not text or b"Traceback" not in text and b"Error" not in text, done
    assert set(nagios.ours()) == nagios_downtimes(BOTH)
    assert set(api.ours()) == icinga_downtimes(BOTH)
    assert after.code == 1 and "tg-gone not read" in after.stderr, after
    assert_safe(after, timeout=TIMEOUT)
    assert "Icinga 2: 0 added, 0 removed, 4 unchanged; Nagios: 0 added, 0 removed, " \
        "2 unchanged" in after.stdout, after

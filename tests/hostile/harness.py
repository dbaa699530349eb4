"""Run an installed plugin as a monitoring core would, and judge its answer.

The plugin comes from TGMON_PLUGIN_DIR (CI points it at the installed
package's /usr/lib/nagios/plugins) or else the venv's console scripts. Each
run is timed and its peak memory read from the kernel (wait4's rusage).
"""

import os
import re
import subprocess
import sys
import time

from tgmon.render.nagios import ILLEGAL_MACRO_CHARS, NAGIOS_REWRITES, NOTIFICATION_SAFE as FIRST_LINE_CHARS

from helpers import VENV_BIN

PLUGIN_DIR = os.environ.get("TGMON_PLUGIN_DIR") or VENV_BIN
MAX_RSS_KB = 100 * 1024
FIRST_LINE = re.compile(r"^[A-Z_]+ (OK|WARNING|CRITICAL|UNKNOWN) - \S")
# written into files given as options and URLs: must never come back in output
SECRETS = ("TOKEN-S3CRET-7f1c", "CONFIG-S3CRET-91ab", "CLUSTER-S3CRET-55aa", "PASSW0RD-e2d4",
           "CA-S3CRET-0c0c")


class Run:
    def __init__(self, code, stdout, stderr, elapsed, max_rss_kb):
        self.code = code
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.max_rss_kb = max_rss_kb
        self.lines = stdout.splitlines()

    def __repr__(self):
        return "Run(code=%r, %.2fs, %d KB, %r, stderr=%r)" % (
            self.code, self.elapsed, self.max_rss_kb, self.stdout[:600], self.stderr[:300])


# the tgmon command next to the plugins: the venv's, or the installed package's
TGMON = os.path.join(VENV_BIN, "tgmon") if PLUGIN_DIR == VENV_BIN else "/usr/bin/tgmon"
TGMON_SIM = os.path.join(os.path.dirname(TGMON), "tgmon-sim")


def plugin_path(name):
    return name if os.path.isabs(name) else os.path.join(PLUGIN_DIR, name)


MEASURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "measure.py")


def run_plugin(name, argv, env=None, wrapper=(), hard_limit=60):
    """Run plugin ``name`` with ``argv``; stdout/stderr, exit code, seconds, peak RSS."""
    import tempfile
    with tempfile.NamedTemporaryFile(prefix="tgmon-rss-") as rss:
        command = list(wrapper) + [sys.executable, MEASURE, rss.name, plugin_path(name)] \
            + list(argv)
        started = time.monotonic()
        try:
            result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                    env=env, timeout=hard_limit)
        except subprocess.TimeoutExpired as exc:
            result = subprocess.CompletedProcess(command, -9, exc.stdout or b"", exc.stderr or b"")
        elapsed = time.monotonic() - started
        text = rss.read().decode() or "0"
    return Run(result.returncode, result.stdout.decode("utf-8", "replace"),
               result.stderr.decode("utf-8", "replace"), elapsed, int(text))


def assert_unknown_line(run, name, cause, timeout, secrets=SECRETS, contents=()):
    """The promise: exit 3, one line ``NAME UNKNOWN - cause...``, no traceback,
    nothing secret or from a file's content, within -t + 1 s, under 100 MB."""
    assert run.code == 3, run
    assert len(run.lines) == 1, run
    assert run.lines[0].startswith("%s UNKNOWN - " % name), run
    assert cause.translate(FIRST_LINE_CHARS) in run.lines[0], (cause, run)
    assert_clean(run, timeout, secrets, contents)


def assert_clean(run, timeout, secrets=SECRETS, contents=()):
    """What holds for any answer: a plugin line, no traceback, no secret, in time."""
    assert run.code in (0, 1, 2, 3), run
    assert run.lines and FIRST_LINE.match(run.lines[0]), run
    first = run.lines[0].split("|", 1)[0]   # what a core shows, space included
    assert len(first) <= 160 and not set(first) & set(ILLEGAL_MACRO_CHARS + NAGIOS_REWRITES), run
    everything = run.stdout + run.stderr
    assert "Traceback" not in everything, run
    assert "internal error" not in everything, run
    for secret in tuple(secrets) + tuple(contents):
        assert secret not in everything, (secret, run)
    assert run.elapsed < timeout + 1, run
    assert run.max_rss_kb < MAX_RSS_KB, run


def python():
    return sys.executable

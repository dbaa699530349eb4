"""What many tests share: paths, time units, the fixed instant, running a check."""

import io
import os
import sys
from datetime import timedelta

from tgmon.state import examples
from tgmon.runtime.plugin import run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.dirname(sys.executable)    # the venv's console scripts
NOW = examples.EXAMPLE_INSTANT                 # the instant the example states are built at

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class Outcome:
    def __init__(self, code, output):
        self.code = code
        self.output = output
        self.lines = output.splitlines()
        first = self.lines[0] if self.lines else ""
        self.text, _, self.perfdata = first.partition(" | ")
        # what a core shows as the output: everything before '|' (Icinga 2 keeps
        # the space in front of it)
        self.shown = first.split("|", 1)[0]

    def __repr__(self):
        return "Outcome(%d, %r)" % (self.code, self.output)


def as_shown(text):
    """``text`` as a plugin's first line shows it (Nagios' illegal macro characters replaced)."""
    from tgmon.render.nagios import NOTIFICATION_SAFE
    return text.translate(NOTIFICATION_SAFE)


def run_check(definition, argv, now=NOW, **run_options):
    """Run a check in-process at ``now``: its exit code and output (``run_options``:
    run()'s, e.g. the reader)."""
    out = io.StringIO()
    code = run(definition, argv, now=now, out=out, **run_options)
    return Outcome(code, out.getvalue())

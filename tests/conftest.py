import io
import os
import sys

import pytest

from tgmon import examples
from tgmon.runtime.plugin import run
from tgmon.statewriter import write_state

NOW = examples.EXAMPLE_INSTANT
VENV_BIN = os.path.dirname(sys.executable)


class Outcome:
    def __init__(self, code, output):
        self.code = code
        self.output = output
        self.lines = output.splitlines()
        first = self.lines[0] if self.lines else ""
        self.text, _, self.perfdata = first.partition(" | ")

    def __repr__(self):
        return "Outcome(%d, %r)" % (self.code, self.output)


def run_check(definition, argv, now=NOW):
    out = io.StringIO()
    code = run(definition, argv, now=now, out=out)
    return Outcome(code, out.getvalue())


@pytest.fixture
def state_dir(tmp_path):
    """write(state) -> path of a state dir holding exactly that state."""
    counter = iter(range(1000))

    def write(state):
        path = tmp_path / ("state%d" % next(counter))
        write_state(str(path), state)
        return str(path)
    return write

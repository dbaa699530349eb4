import shutil
import tempfile
from pathlib import Path

import pytest

from tgmon.stateformat import write_state


@pytest.fixture
def short_tmp():
    """A temporary dir with a short path (/tmp/tg-XXXXXXXX), so that an alert line
    naming a file shows it whole: pytest's own tmp_path is long enough to be cut."""
    path = tempfile.mkdtemp(prefix="tg-")
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def state_dir(short_tmp):
    """write(state) -> path of a state dir holding exactly that state."""
    counter = iter(range(1000))

    def write(state):
        path = short_tmp / ("state%d" % next(counter))
        write_state(str(path), state)
        return str(path)
    return write

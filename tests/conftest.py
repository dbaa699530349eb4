import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tgmon.state.layout import write_state


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


# In CI a skipped test is a failure: a skip there hides a missing part.
_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") and _skipped:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if os.environ.get("CI") and _skipped:
        terminalreporter.write_line("CI: %d skipped tests count as failures: %s"
                                    % (len(_skipped), ", ".join(_skipped[:10])), red=True)

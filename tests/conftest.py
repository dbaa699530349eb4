import pytest

from tgmon.stateformat import write_state


@pytest.fixture
def state_dir(tmp_path):
    """write(state) -> path of a state dir holding exactly that state."""
    counter = iter(range(1000))

    def write(state):
        path = tmp_path / ("state%d" % next(counter))
        write_state(str(path), state)
        return str(path)
    return write

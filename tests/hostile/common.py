"""Builders shared by the hostile corpus: fresh state dirs and documents to spoil."""

import json
import os
from contextlib import contextmanager

from tgmon.state import examples
from tgmon.state.schema import to_document
from tgmon.state.layout import expected_markers, write_state
from tgmon.timeutil import utcnow


def now():
    return utcnow().astimezone(examples.CET).replace(microsecond=0)


def document(name="healthy-single", **changes):
    """A fresh example's status.json as a dict; ``a__b=value`` sets doc[a][b] (KeyError drops)."""
    state = examples.build(name, now())
    doc = to_document(state)
    doc["expected_markers"] = expected_markers(state.flags)
    for path, value in changes.items():
        target = doc
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is KeyError:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return doc


def large_document():
    """A valid status.json whose answer is large (~860 KB: the most installed hotfixes a
    state may list, each with a long title): more than a client's socket takes."""
    doc = document()
    first = doc["hotfixes"]["installed"][0]
    doc["hotfixes"]["installed"] = [dict(first, id="HF-%04d" % n, title="%s, %s" % (
        first["title"], "fixes " * 125)) for n in range(1000)]
    return doc


def state_dir(tmp, name="healthy-single", state=None):
    """A fresh, valid state dir (an example as of now)."""
    path = tmp / "state"
    write_state(str(path), state or examples.build(name, now()))
    return path


def status_dir(tmp, content):
    """A state dir whose status.json holds ``content`` (bytes, str or a document)."""
    path = tmp / "state"
    path.mkdir(exist_ok=True)
    if isinstance(content, dict):
        content = json.dumps(content)
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    (path / "status.json").write_bytes(content)
    return path


def sparse(path, size):
    with open(path, "wb") as handle:
        handle.truncate(size)


def write(path, text, mode=0o644):
    with open(path, "wb") as handle:
        handle.write(text if isinstance(text, bytes) else text.encode())
    os.chmod(path, mode)
    return str(path)


@contextmanager
def spoiled(setup, tmp):
    """The argv a corpus case's ``setup(tmp, stack)`` gives; what it pushed on its
    stack (a socket to close) is cleaned up after."""
    stack = []
    try:
        yield setup(tmp, stack)
    finally:
        for cleanup in stack:
            cleanup()

"""Write a state dir atomically: temp file in the same dir, fsync, rename.

Used by the simulator, the example generator and tests; never by a check.
A reader sees either the old or the new version of each file, never a part.
"""

import json
import os

from .atomic import atomic_write
from .schema import to_document
from .sources.statedir import MARKER_FILES, STATUS_FILE


def status_bytes(state):
    return (json.dumps(to_document(state), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_state(state_dir, state):
    """Write status.json and set/clear the three markers to match ``state``."""
    os.makedirs(state_dir, exist_ok=True)
    for name, filename in MARKER_FILES:
        marker = getattr(state.flags, name)
        path = os.path.join(state_dir, filename)
        if marker.is_set:
            text = "".join(line + "\n" for line in marker.lines)
            atomic_write(path, text.encode("utf-8"), mtime=marker.since.timestamp())
        else:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
    atomic_write(os.path.join(state_dir, STATUS_FILE), status_bytes(state))

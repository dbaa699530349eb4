"""Write a state dir atomically: temp file in the same dir, fsync, rename.

Used by the simulator, the example generator and tests; never by a check.
A reader sees either the old or the new version of each file, never a part.
"""

import json
import os

from .atomic import discard, fsync_dir, stage
from .schema import to_document
from .sources.statedir import MARKER_FILES, STATUS_FILE


def status_bytes(state):
    document = to_document(state)
    # which markers go with this status.json: lets readers detect a write in progress
    document["expected_markers"] = {name: marker.is_set
                                    for name, marker in state.flags._asdict().items()}
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_state(state_dir, state):
    """Make ``state_dir`` hold ``state``: markers set/cleared, then status.json.

    Every file is staged (written and fsynced) first; then the renames run
    back to back, the markers first and status.json, the commit point, last.
    So the moment in which markers and status.json disagree is a few
    microseconds, and readers detect it (sources.statedir.read_document).
    """
    os.makedirs(state_dir, exist_ok=True)
    staged, removals = [], []
    try:
        for name, filename in MARKER_FILES:
            marker = getattr(state.flags, name)
            path = os.path.join(state_dir, filename)
            if marker.is_set:
                text = "".join(line + "\n" for line in marker.lines)
                staged.append((stage(path, text.encode("utf-8"), mtime=marker.since.timestamp()),
                               path))
            else:
                removals.append(path)
        status = os.path.join(state_dir, STATUS_FILE)
        staged.append((stage(status, status_bytes(state)), status))
    except BaseException:
        for tmp, _ in staged:
            discard(tmp)
        raise
    for tmp, path in staged[:-1]:
        os.replace(tmp, path)
    for path in removals:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    os.replace(*staged[-1])
    fsync_dir(state_dir)

"""tgmon state: the appliance side's writer, for its update scripts, hooks and jobs.

    tgmon state init DIR --node NAME --role single|cluster-node [--cluster NAME]
    tgmon state set-flag DIR warn-flag|update-lock|reboot-required [--reason T] [--line T]...
    tgmon state clear-flag DIR warn-flag|update-lock|reboot-required
    tgmon state update DIR --json FILE|-
    tgmon state heartbeat DIR

Every verb takes the state dir's lock (``.tgmon-state.lock``, flock), reads the
current state, changes it and writes it with ``stateformat.write_state`` (each
file staged and fsynced, markers renamed first, status.json last with its
``expected_markers``), so concurrent writers queue up and a reader never sees
a torn or mixed state. Every write sets ``generated`` to now: the process that
knows the state vouches for it (docs/appliance.rst). Anything invalid is
refused with one line naming the field, and nothing is written.
"""

import errno
import fcntl
import json
import os
import time
from datetime import datetime

from .errors import TgmonError
from .model import (MARKER_UNSET, NO_FLAGS, SCHEMA, ClusterSettings, Hotfixes, Maintenance,
                    Marker, Node, Releases, Schedule, ScheduledDownload, ScheduledUpdate, State,
                    UpdateServer)
from .schema import MAX_MARKER_LINE, MAX_MARKER_LINES, SchemaError, parse_status, to_document
from .stateformat import MARKER_FILES, write_state

LOCK_FILE = ".tgmon-state.lock"
LOCK_WAIT = 10.0
MAX_UPDATE_BYTES = 1024 * 1024
# the names the command line uses for the markers, and their Flags fields
FLAG_NAMES = {filename: name for name, filename in MARKER_FILES}
FLAG_NAMES["warn-flag"] = "warn_flag"
del FLAG_NAMES["update-warn-flag"]
# set by tgmon state itself, never by an update document
NOT_UPDATABLE = ("schema", "generated", "expected_markers", "flags")


class WriteError(TgmonError):
    """Refused: nothing was written."""


def now():
    """The appliance's wall clock, to the second, with its UTC offset."""
    return datetime.now().astimezone().replace(microsecond=0)


# ----------------------------------------------------------------- the lock
class StateLock:
    """An exclusive flock on DIR/.tgmon-state.lock, waited for at most LOCK_WAIT s."""

    def __init__(self, state_dir, wait=LOCK_WAIT):
        self.path = os.path.join(state_dir, LOCK_FILE)
        self.wait = wait
        self.fd = None

    def __enter__(self):
        if not os.path.isdir(os.path.dirname(self.path)):
            raise WriteError("%s is no state dir" % os.path.dirname(self.path),
                             "tgmon state init creates it")
        flags = os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            self.fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise WriteError("the lock %s is a symlink" % self.path,
                                 "remove it: tgmon state makes its own") from None
            raise WriteError("cannot open the lock %s: %s" % (self.path, _words(exc)),
                             "run as the state dir's writer (owner) or fix its permissions") \
                from None
        give_up = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > give_up:
                    os.close(self.fd)
                    raise WriteError("another writer held the lock %s for %g s"
                                     % (self.path, self.wait),
                                     "look for a hung tgmon state process") from None
                time.sleep(0.005 + (time.monotonic_ns() % 10000) / 1e6)

    def __exit__(self, *exc):
        os.close(self.fd)   # closing releases the flock


# ----------------------------------------------------------------- the verbs
def minimal_state(node, role, cluster, installed, at):
    """A valid state that claims nothing: no server contact yet, the schedule off."""
    return State(
        SCHEMA, at, Node(node, role, cluster),
        Releases(installed, None, ()),
        UpdateServer(None, None, None, None),
        Hotfixes((), (), True),
        Schedule(ScheduledDownload(False, "tuesday", "01:00", None),
                 ScheduledUpdate(False, "tuesday", "03:00"), None),
        ClusterSettings(False, 1, True) if role == "cluster-node" else None,
        Maintenance(False, None, None, False, None),
        False, None, 0, NO_FLAGS, "tgmon state")


def init(state_dir, node, role, cluster=None, installed="0", force=False):
    if role == "cluster-node" and not cluster:
        raise WriteError("a cluster-node needs --cluster NAME", "name its cluster")
    if role == "single" and cluster:
        raise WriteError("a single system has no cluster", "drop --cluster, or --role "
                         "cluster-node")
    _make_dir(state_dir)
    with StateLock(state_dir):
        if os.path.lexists(os.path.join(state_dir, "status.json")) and not force:
            raise WriteError("%s already holds a state" % state_dir,
                             "tgmon state update changes it; --force starts over")
        state = minimal_state(node, role, cluster, installed, now())
        _write(state_dir, _validated(to_document(state), state.flags))


def set_flag(state_dir, flag, reason=None, lines=(), since=None):
    text = ([reason] if reason else []) + list(lines)
    for line in text:
        if "\n" in line or "\r" in line or len(line) > MAX_MARKER_LINE:
            raise WriteError("a marker line must be one line of at most %d characters"
                             % MAX_MARKER_LINE, "split it into several --line")
    if len(text) > MAX_MARKER_LINES:
        raise WriteError("at most %d marker lines" % MAX_MARKER_LINES, "give fewer --line")
    with StateLock(state_dir):
        state = _current(state_dir)
        field = FLAG_NAMES[flag]
        old = getattr(state.flags, field)
        at = now()
        if since is not None and since > at:
            raise WriteError("--since lies in the future", "give the time the flag was set")
        # a flag set again keeps its time: it has been set since then
        marker = Marker(True, since or (old.since if old.is_set and old.since else at),
                        tuple(line.strip() for line in text if line.strip()))
        _write(state_dir, state._replace(generated=at,
                                         flags=state.flags._replace(**{field: marker})))


def clear_flag(state_dir, flag):
    with StateLock(state_dir):
        state = _current(state_dir)
        _write(state_dir, state._replace(generated=now(), flags=state.flags._replace(
            **{FLAG_NAMES[flag]: MARKER_UNSET})))


def update(state_dir, data):
    """Merge a partial status.json document (objects merge, lists replace)."""
    patch = _decode(data)
    with StateLock(state_dir):
        state = _current(state_dir)
        document = to_document(state)
        _check_known(patch, document_shape(), "")
        merged = _merge(document, patch)
        merged["generated"] = now().isoformat()
        _write(state_dir, _validated(merged, state.flags))


def heartbeat(state_dir):
    with StateLock(state_dir):
        state = _current(state_dir)
        _write(state_dir, state._replace(generated=now()))


# ----------------------------------------------------------------- helpers
def _make_dir(state_dir):
    try:
        os.makedirs(state_dir, mode=0o755, exist_ok=True)
    except OSError as exc:
        raise WriteError("cannot create %s: %s" % (state_dir, _words(exc)),
                         "create it as the writer, readable by the monitoring user") from None


def _current(state_dir):
    from .sources.statedir import read_state
    from .stateformat import paths_for
    try:
        return read_state(paths_for(state_dir))
    except TgmonError as exc:
        raise WriteError("%s holds no valid state (%s)" % (state_dir, exc.cause),
                         "tgmon state init --force starts over") from None


def _validated(document, flags):
    """The document as a State, or WriteError naming the field."""
    try:
        return parse_status(document, flags, "tgmon state")
    except SchemaError as exc:
        raise WriteError("refused, nothing written: %s" % exc, "fix that field") from None


def _write(state_dir, state):
    try:
        write_state(state_dir, state)
    except OSError as exc:
        raise WriteError("cannot write to %s: %s" % (state_dir, _words(exc)),
                         "run as the state dir's writer (owner)") from None


def _decode(data):
    if len(data) > MAX_UPDATE_BYTES:
        raise WriteError("the update document is more than %d bytes" % MAX_UPDATE_BYTES,
                         "send only what changed")
    try:
        patch = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise WriteError("the update document is not UTF-8", "write JSON in UTF-8") from None
    except RecursionError:
        raise WriteError("the update document is nested too deeply", "send a flat patch") \
            from None
    except ValueError as exc:
        raise WriteError("the update document is not JSON (line %d column %d)"
                         % (getattr(exc, "lineno", 0), getattr(exc, "colno", 0)),
                         "send a JSON object of the fields to change") from None
    if not isinstance(patch, dict):
        raise WriteError("the update document must be a JSON object",
                         "send e.g. {\"active_sessions\": 12}")
    for key in NOT_UPDATABLE:
        if key in patch:
            raise WriteError("%s is set by tgmon state, not by an update" % key,
                             "drop it from the document" if key != "flags" else
                             "use set-flag and clear-flag")
    return patch


def _check_known(patch, shape, path):
    """Every key of ``patch`` must be a field of status.json where it stands."""
    for key, value in patch.items():
        where = "%s.%s" % (path, key) if path else key
        if key not in shape:
            raise WriteError("refused, nothing written: %s is no field of status.json" % where,
                             "see docs/state-format.rst")
        inner = shape[key]
        if isinstance(value, dict) and isinstance(inner, dict):
            _check_known(value, inner, where)
        elif isinstance(value, list) and isinstance(inner, list) and inner:
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    _check_known(item, inner[0], "%s[%d]" % (where, index))


def _merge(base, patch):
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _words(exc):
    return (exc.strerror or type(exc).__name__).lower()


def document_shape():
    """Every field status.json may hold, as a tree ({field: subtree}, [item], None):
    to_document (the schema's one home) of a state with every optional part set."""
    from . import examples
    from .model import PlannedMaintenance
    at = examples.EXAMPLE_INSTANT
    state = examples.update_locked_cluster_node(at)
    state = state._replace(
        maintenance=state.maintenance._replace(planned=PlannedMaintenance(at, at, "x")),
        hotfixes=state.hotfixes._replace(available=state.hotfixes.installed))

    def shape(value):
        if isinstance(value, dict):
            return {key: shape(item) for key, item in value.items()}
        if isinstance(value, list):
            return [shape(value[0])] if value else []
        return None
    return shape(to_document(state))

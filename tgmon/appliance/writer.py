"""tgmon state: the appliance side's writer, for its update scripts, hooks and jobs.

    tgmon state init DIR --node NAME --role single|cluster-node [--cluster NAME]
    tgmon state set-flag DIR warn-flag|update-lock|reboot-required [--reason T] [--line T]...
    tgmon state clear-flag DIR warn-flag|update-lock|reboot-required
    tgmon state update DIR --json FILE|-
    tgmon state heartbeat DIR

Every verb opens the state dir as ``atomic`` does (never through a link
another user owns, never a dir another user could write: it may run as root),
takes its lock (``statelock``), reads the current state - only files it wrote
itself: a planted symlink or hard link is refused, never read through -
changes it and writes it with ``stateformat.write_state_into`` (each file
staged and fsynced, markers renamed first, status.json last with its
``expected_markers``), so concurrent writers queue up and a reader never sees
a torn or mixed state. Every write sets ``generated`` to now: the process that
knows the state vouches for it (docs/appliance.rst). Anything invalid is
refused with one line naming the field (never quoting the input beyond a
field name), and nothing is written. What is written is checked as a reader
will see it: one printable line per text, a host name, a status.json a
reader reads - so no verb writes back what an older writer left unusable.

A flag is never lost: ``--reason``/``--line`` are made one printable line
each, with a warning; and where status.json cannot be read or written back
(too large, invalid), ``set-flag`` sets the marker alone and says so
(``PartlyWritten``, exit 1) - the marker is the alarm. ``init`` keeps the
markers that are set: only ``clear-flag`` clears one.
"""

import os
import re
import select
import sys
import time
from datetime import datetime

from ..errors import TgmonError
from ..safeio.text import check_text, field_name, host_name_problem, one_line_each
from ..safeio.writeerror import PartlyWritten, WriteError
from ..state.fields import FIRST_YEAR, LAST_YEAR, MAX_DOCUMENT_BYTES, MAX_MARKER_BYTES
from ..state.layout import MARKER_FILES, STATUS_FILE, write_marker_into, write_state_into
from ..state.lock import locked
from ..state.model import (MARKER_UNSET, NO_FLAGS, SCHEMA, ClusterSettings, Flags, Hotfixes,
                           Maintenance, Marker, Node, Releases, Schedule, ScheduledDownload,
                           ScheduledUpdate, State, UpdateServer)
from ..state.fields import MAX_MARKER_LINE, MAX_MARKER_LINES, SchemaError
from ..state.schema import parse_status, to_document
from ..timeutil import UTC

STDIN_WAIT = 10.0
MAX_UPDATE_BYTES = 1024 * 1024
# the names the command line uses for the markers, and their Flags fields
FLAG_NAMES = {filename: name for name, filename in MARKER_FILES}
FLAG_NAMES["warn-flag"] = "warn_flag"
del FLAG_NAMES["update-warn-flag"]
# set by tgmon state itself, never by an update document
NOT_UPDATABLE = ("schema", "generated", "expected_markers", "flags")


def now():
    """The appliance's wall clock, to the second, with its UTC offset."""
    return datetime.now().astimezone().replace(microsecond=0)


class UnusableState(WriteError):
    """status.json is there, but cannot be read, or written back as it is."""


START_OVER = "tgmon state init --force starts over (the markers set are kept)"
REPAIR = "correct that field with tgmon state update, or start over with tgmon state init --force"


# ----------------------------------------------------------------- reading
def read_own_state(directory):
    """The state in ``directory`` (an open ``atomic.SafeDir``), read as its writer:
    every file must be one tgmon wrote - regular, one link, owned by the writer or
    root. A symlink or hard link planted there is refused, never read through
    (its target's content would end up in a world-readable marker). A status.json
    that cannot be used is ``UnusableState``."""
    return _status_with(directory, read_own_flags(directory))


def read_own_flags(directory):
    from ..sources.decode import file_marker
    markers = []
    for _, filename in MARKER_FILES:
        marker = directory.read(filename, MAX_MARKER_BYTES)
        if marker is None:
            markers.append(MARKER_UNSET)
            continue
        markers.append(file_marker(marker[0], marker[1].st_mtime))
        if markers[-1].since is None:
            raise WriteError("%s has a time outside the years %d-%d"
                             % (directory.shown(filename), FIRST_YEAR, LAST_YEAR),
                             "touch it: its time is when the flag was set")
    return Flags(*markers)


def _status_with(directory, flags):
    from ..sources.decode import decode_state
    where = directory.shown(STATUS_FILE)
    info = directory.lstat(STATUS_FILE)
    if info is not None and info.st_size > MAX_DOCUMENT_BYTES:
        raise UnusableState("%s is %d bytes, more than the %d a reader reads"
                            % (where, info.st_size, MAX_DOCUMENT_BYTES), START_OVER)
    try:
        found = directory.read(STATUS_FILE, MAX_DOCUMENT_BYTES)
    except WriteError as exc:
        raise UnusableState(exc.cause, exc.fix) from None
    if found is None:
        raise WriteError("%s holds no state (no %s)" % (directory.path, STATUS_FILE),
                         "tgmon state init creates one")
    try:
        return decode_state(found[0], where, directory.path, flags)
    except TgmonError as exc:
        raise UnusableState("%s holds no valid state (%s)" % (directory.path, exc.cause),
                            START_OVER) from None


def check_writable(state, where):
    """UnusableState unless ``state`` is one a reader can use as it is written:
    every text one printable line, the node named by a host name. So no writer
    writes back what an older writer left unusable (``where``: its status.json)."""
    try:
        check_text(to_document(state), WriteError)
    except WriteError as exc:
        raise UnusableState(exc.cause.replace(": ", ": %s: " % where, 1), REPAIR) from None
    problem = host_name_problem(state.node.name)
    if problem:
        raise UnusableState("refused, nothing written: %s: node.name is no host name: %s"
                            % (where, problem), REPAIR)


def _write(directory, state):
    check_writable(state, directory.shown(STATUS_FILE))
    write_state_into(directory, state)


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
    check_text({"--node": node, "--cluster": cluster, "--installed": installed}, WriteError)
    state = _validated(to_document(minimal_state(node, role, cluster, installed, now())),
                       NO_FLAGS, {"node.name": "--node", "node.cluster": "--cluster",
                                 "releases.installed": "--installed"})
    with locked(state_dir, create=True) as directory:
        if directory.lstat(STATUS_FILE) is not None and not force:
            raise WriteError("%s already holds a state" % state_dir,
                             "tgmon state update changes it; --force starts over")
        # a flag set is an alarm: starting over keeps it (clear-flag clears it)
        _write(directory, state._replace(flags=read_own_flags(directory)))


def set_flag(state_dir, flag, reason=None, lines=(), since=None):
    """Set a marker; returns warnings (its text had to be made safe), never refuses for it.
    Where status.json cannot be rewritten, the marker is set alone: PartlyWritten."""
    given = ([("--reason", reason)] if reason else []) + [("--line", line) for line in lines]
    text, warnings = one_line_each(given, MAX_MARKER_LINE, MAX_MARKER_LINES)
    with locked(state_dir) as directory:
        at = now()
        _check_since(since, at)
        field = FLAG_NAMES[flag]
        flags = read_own_flags(directory)
        old = getattr(flags, field)
        # a flag set again keeps its time: it has been set since then
        marker = Marker(True, since or (old.since if old.is_set and old.since else at), text)
        flags = flags._replace(**{field: marker})
        try:
            state = _status_with(directory, flags)
            _write(directory, state._replace(generated=at, flags=flags))
        except UnusableState as exc:
            # the marker is the alarm: set it, whatever status.json holds
            filename = dict(MARKER_FILES)[field]
            write_marker_into(directory, filename, marker)
            partly = PartlyWritten("partly written: %s set, but %s not rewritten: %s"
                                   % (filename, STATUS_FILE, _unrefused(exc.cause)), exc.fix)
            partly.warnings = warnings
            raise partly from None
        except PartlyWritten as exc:
            exc.warnings = warnings
            raise
    return warnings


def _check_since(since, at):
    """--since within the times a state may hold (schema.FIRST_YEAR up to now)."""
    if since is None:
        return
    if since > at:
        raise WriteError("--since lies in the future", "give the time the flag was set")
    try:
        year = since.astimezone(UTC).year
    except OverflowError:
        year = 0
    if year < FIRST_YEAR:
        raise WriteError("--since lies before %d" % FIRST_YEAR, "give the time the flag was set")


def _unrefused(cause):
    return cause.replace("refused, nothing written: ", "")


def clear_flag(state_dir, flag):
    with locked(state_dir) as directory:
        state = read_own_state(directory)
        _write(directory, state._replace(generated=now(), flags=state.flags._replace(
            **{FLAG_NAMES[flag]: MARKER_UNSET})))


def update(state_dir, data):
    """Merge a partial status.json document (objects merge, lists replace)."""
    patch = _decode(data)
    _check_known(patch, document_shape(), "")
    check_text(patch, WriteError)
    with locked(state_dir) as directory:
        state = read_own_state(directory)
        merged = _merge(to_document(state), patch)
        merged["generated"] = now().isoformat()
        _write(directory, _validated(merged, state.flags))


def heartbeat(state_dir):
    with locked(state_dir) as directory:
        state = read_own_state(directory)
        _write(directory, state._replace(generated=now()))


# ----------------------------------------------------------------- helpers
def _validated(document, flags, names=None):
    """The document as a State, or WriteError naming the field (``names``: the
    option a field came from). A field's value is never quoted: it may come from
    a file only root can read."""
    names = names or {}
    try:
        state = parse_status(document, flags, "tgmon state")
    except SchemaError as exc:
        raise WriteError("refused, nothing written: %s: %s"
                         % (names.get(exc.path, exc.path), _unquoted(exc.problem)),
                         "fix that field") from None
    problem = host_name_problem(state.node.name)
    if problem:
        raise WriteError("refused, nothing written: %s is no host name: %s"
                         % (names.get("node.name", "node.name"), problem),
                         "give the node's host name (RFC 1123), e.g. tg-node1")
    plan = state.maintenance.planned
    if plan is not None and plan.end is not None and plan.end <= plan.start:
        raise WriteError("refused, nothing written: maintenance.planned.end lies %s its start"
                         % ("at" if plan.end == plan.start else "before"),
                         "give an end after the start, or null")
    return state


def _unquoted(problem):
    """A schema problem without the excerpt of the value it quotes (", got '...'")."""
    return re.sub(r", got ['\"].*$", "", problem, flags=re.S)


def read_update_document(name):
    """The bytes of ``--json NAME`` (- is stdin, waited for at most STDIN_WAIT s)."""
    if name != "-":
        from ..safeio.files import read_option_file
        return read_option_file(name, "--json", MAX_UPDATE_BYTES, WriteError)
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        raise WriteError("--json -: there is no stdin", "give --json FILE") from None
    chunks, size, give_up = [], 0, time.monotonic() + STDIN_WAIT
    while size <= MAX_UPDATE_BYTES:
        left = give_up - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise WriteError("--json -: stdin did not end within %g s" % STDIN_WAIT,
                             "pipe the document in and close it, or give --json FILE")
        try:
            chunk = os.read(fd, 65536)
        except OSError as exc:
            raise WriteError("--json -: cannot read stdin: %s" % (exc.strerror or exc),
                             "pipe the document in, or give --json FILE") from None
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _decode(data):
    from ..sources.decode import decode_document
    if len(data) > MAX_UPDATE_BYTES:
        raise WriteError("the update document is more than %d bytes" % MAX_UPDATE_BYTES,
                         "send only what changed")
    try:
        patch = decode_document(data, "the update document")
    except TgmonError as exc:
        raise WriteError(exc.cause, "send a JSON object of the fields to change") from None
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
        where = field_name(path, key)
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


def document_shape():
    """Every field status.json may hold, as a tree ({field: subtree}, [item], None):
    to_document (the schema's one home) of a state with every optional part set."""
    from ..state import examples
    from ..state.model import PlannedMaintenance
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

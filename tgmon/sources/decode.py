"""The one decoder of a node's state: bytes -> State, however they came.

A state is status.json plus three markers (docs/state-format.rst). Read from
a state dir (``statedir``, and the writer reading its own), the markers are
files, made into Flags here (``file_marker``); read over HTTP (``http``, the
remote form that ``tgmon serve`` answers), they are the document's ``flags``
object. Either way the bytes are decoded by ``decode_document`` and the
document by ``state_of``: the same bounds (``state.fields``), the same
words for what is wrong, and the same State for the same files.
"""

import json
import sys
from datetime import datetime

from ..errors import SourceError
from ..state.fields import (FIRST_YEAR, LAST_YEAR, MAX_JSON_DEPTH, MAX_MARKER_LINE,
                            MAX_MARKER_LINES, SchemaError, StatusFields)
from ..state.model import MARKER_UNSET, Flags, Marker
from ..state.schema import check_schema_tag, parse_status
from ..timeutil import UTC

WRITER_FIX = "fix the writer"
EXPORTER_FIX = "point the URL at a tgmon exporter"   # the flags object is the exporter's


def decode_state(data, where, origin, flags=None):
    """status.json's bytes (``flags``: its markers, read from files) or the remote
    form's (``flags`` None: from its ``flags`` object) -> State; SourceError naming
    ``where`` (never the content), the cause and the fix."""
    return state_of(decode_document(data, where), where, origin, flags)


def decode_document(data, where):
    """Bytes -> the decoded JSON document: UTF-8, not empty, no NaN, bounded depth."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError("%s is not UTF-8 text (binary or corrupted)" % where,
                          "restore it from the writer") from None
    if not text.strip():
        raise SourceError("%s is empty" % where,
                          "check the writer on the node")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise SourceError("%s is nested too deeply: more than %d levels, a tgmon state has 5"
                          % (where, MAX_JSON_DEPTH), "restore it from the writer") from None
    except ValueError as exc:
        raise SourceError("%s is not valid JSON (%s)" % (where, _json_problem(exc)),
                          "restore it from the writer") from None


def state_of(document, where, origin, flags=None):
    """A decoded document -> State, with the markers' ``flags`` or (None) the
    document's own ``flags`` object (the remote form)."""
    try:
        if flags is None:
            check_schema_tag(document)   # another major's flags may differ: say that first
            flags = remote_flags(document)
        return parse_status(document, flags, origin)
    except SchemaError as exc:
        raise SourceError("%s: %s" % (where, exc),
                          EXPORTER_FIX if exc.path.startswith("flags") else WRITER_FIX) from None
    except RecursionError:
        raise SourceError("%s is nested too deeply" % where, "restore it") from None


def remote_flags(document):
    """The ``flags`` object of the remote form -> Flags (SchemaError naming the field).

    The exporter sends a marker's lines as a reader takes them from its file
    (``marker_lines``), so more or longer lines are no exporter's: refused.
    A set marker whose ``since`` is null has an unknown age (its file time was
    no time a state can hold, ``file_time``); the checks judge it as such.
    """
    flags_f = StatusFields(document, "").obj_field("flags")
    markers = []
    for name in Flags._fields:
        marker_f = flags_f.obj_field(name)
        is_set = marker_f.boolean("set")
        since = marker_f.timestamp("since", required=False)
        lines = marker_f.texts("lines", MAX_MARKER_LINES, MAX_MARKER_LINE)
        markers.append(Marker(True, since, _kept(lines)) if is_set else MARKER_UNSET)
    return Flags(*markers)


def file_marker(data, mtime):
    """A marker file's bytes and modification time -> a set Marker."""
    return Marker(True, file_time(mtime), marker_lines(data))


def marker_lines(data, most=MAX_MARKER_LINES):
    """A marker file's bytes as its lines: stripped, none empty, each and (``most``,
    None: all) their number bounded as docs/state-format.rst says."""
    return _kept(data.decode("utf-8", errors="replace").splitlines())[:most]


def _kept(lines):
    """A marker's lines as a state holds them, from a file or the remote form."""
    return tuple(line.strip()[:MAX_MARKER_LINE] for line in lines if line.strip())


def file_time(mtime):
    """A file's mtime as an aware datetime to the second (the resolution of a
    state's every time, and of its remote form); None when it is beyond the
    calendar or the years a state's times may lie in (ext4 clamps a time far
    ahead to 2446): an unknown time, as the remote form says it."""
    try:
        stamp = datetime.fromtimestamp(mtime, UTC).replace(microsecond=0)
    except (OverflowError, OSError, ValueError):
        return None
    return stamp if FIRST_YEAR <= stamp.year <= LAST_YEAR else None


def _json_problem(exc):
    """What the json module says, without quoting the text: where it stopped reading."""
    if "digits" in str(exc):    # Python's limit on converting huge integers
        return "a number has more than %d digits" % sys.get_int_max_str_digits()
    if isinstance(exc, json.JSONDecodeError):
        if "BOM" in exc.msg:
            return "it starts with a byte order mark"
        return "%s at line %d column %d" % (exc.msg.split(":")[0].lower(), exc.lineno, exc.colno)
    return str(exc)[:60]


def _no_constant(name):
    raise ValueError("%s is not a JSON value" % name)

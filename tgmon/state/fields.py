"""Typed reads out of status.json, and the limits of a tgmon/1 state.

``StatusFields`` wraps one JSON object of a decoded document: each read checks
the value's type and bounds and names the field's path in its SchemaError
(``releases.available[1].released: lies outside the years 1970-2200``),
never more of the file than that. ``schema`` reads a whole document with it;
the decoder (``tgmon.sources.decode``) reads the remote form's ``flags``.

Every value is bounded; the limits below are the table "Limits" of
docs/state-format.rst.
"""

from .lifecycle import parse_clock
from ..timeutil import UTC, parse_timestamp

# What a reader takes in at all: larger is refused before it is decoded.
MAX_DOCUMENT_BYTES = 1024 * 1024   # status.json, and the remote form's answer
MAX_MARKER_BYTES = 64 * 1024
MAX_JSON_DEPTH = 1000              # the json module's own limit: deeper is a RecursionError
MAX_MARKER_LINES = 50              # what a reader takes of a marker file (the rest is cut)
MAX_MARKER_LINE = 200
# The fields of a document.
MAX_NAME = 128        # node and cluster names, hotfix ids
MAX_TEXT = 1000       # reasons, messages, titles
MAX_ITEMS = 1000      # releases, hotfixes
MAX_SESSIONS = 1000000
MAX_PARALLEL = 1000
FIRST_YEAR, LAST_YEAR = 1970, 2200


class SchemaError(ValueError):
    """A field of status.json is missing or wrong; ``path`` names it."""

    def __init__(self, path, problem):
        super().__init__("%s: %s" % (path, problem) if path else problem)
        self.path = path
        self.problem = problem


class StatusFields:
    """Typed access to one JSON object, every error carrying its path.

    ``stamps`` collects (path, time) of every timestamp read, shared by the
    objects of one document, so that the times can be checked against
    ``generated`` at the end.
    """

    def __init__(self, obj, path, stamps=None):
        if not isinstance(obj, dict):
            raise SchemaError(path, "expected an object, got %s" % json_kind(obj))
        self.obj = obj
        self.path = path
        self.stamps = stamps if stamps is not None else []

    def sub(self, key):
        return "%s.%s" % (self.path, key) if self.path else key

    def raw(self, key, required=True):
        if key not in self.obj:
            if required:
                raise SchemaError(self.sub(key), "required field is missing")
            return None
        return self.obj[key]

    def _typed(self, key, types, name, required, nullable):
        value = self.raw(key, required)
        if value is None:
            if key in self.obj and not nullable:
                raise SchemaError(self.sub(key), "must not be null")
            return None
        if isinstance(value, bool) and bool not in types:
            raise SchemaError(self.sub(key), "expected %s, got boolean" % name)
        if not isinstance(value, types):
            raise SchemaError(self.sub(key),
                              "expected %s, got %s" % (name, json_kind(value)))
        return value

    def boolean(self, key, required=True, nullable=False):
        return self._typed(key, (bool,), "true/false", required, nullable)

    def string(self, key, required=True, nullable=False, limit=MAX_TEXT):
        value = self._typed(key, (str,), "a string", required, nullable)
        if value is not None and len(value) > limit:
            raise SchemaError(self.sub(key), "is %d characters, over the limit %d"
                              % (len(value), limit))
        return value

    def integer(self, key, required=True, nullable=False, minimum=None, maximum=None):
        value = self._typed(key, (int,), "an integer", required, nullable)
        if value is not None and minimum is not None and value < minimum:
            raise SchemaError(self.sub(key), "must be at least %d, got %s"
                              % (minimum, number_words(value)))
        if value is not None and maximum is not None and value > maximum:
            raise SchemaError(self.sub(key), "must be at most %d, got %s"
                              % (maximum, number_words(value)))
        return value

    def timestamp(self, key, required=True, nullable=True):
        value = self.string(key, required, nullable, limit=64)
        if value is None:
            return None
        try:
            stamp = parse_timestamp(value)
            year = stamp.astimezone(UTC).year
        except OverflowError:
            raise SchemaError(self.sub(key), "beyond the calendar") from None
        except ValueError as exc:
            problem = ("has no UTC offset" if "offset" in str(exc) else
                       "is not an ISO-8601 timestamp (e.g. 2026-11-22T03:00:00+01:00)")
            raise SchemaError(self.sub(key), problem) from None
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise SchemaError(self.sub(key), "%s lies outside the years %d-%d"
                              % (value[:10], FIRST_YEAR, LAST_YEAR))
        self.stamps.append((self.sub(key), stamp))
        return stamp

    def clock(self, key, example, required=True, nullable=False):
        """A time of day 'HH:MM' (a schedule setting)."""
        value = self.string(key, required, nullable, limit=16)
        if value is not None:
            try:
                parse_clock(value)
            except ValueError:
                raise SchemaError(self.sub(key), "expected e.g. %s, got %r"
                                  % (example, value)) from None
        return value

    def choice(self, key, choices, required=True, nullable=False):
        value = self.string(key, required, nullable, limit=MAX_NAME)
        if value is not None and value not in choices:
            listed = ", ".join(choices)
            if len(listed) > 40:
                listed = "%s ... %s" % (choices[0], choices[-1])
            raise SchemaError(self.sub(key), "expected one of %s, got %r"
                              % (listed, value[:40]))
        return value

    def pattern(self, key, regex, example, required=True, nullable=False, limit=32):
        value = self.string(key, required, nullable, limit=limit)
        if value is not None and not regex.match(value):
            raise SchemaError(self.sub(key), "expected e.g. %s, got %r"
                              % (example, value))
        return value

    def obj_field(self, key, required=True, nullable=False):
        value = self.raw(key, required)
        if value is None:
            if key in self.obj and not nullable:
                raise SchemaError(self.sub(key), "must not be null")
            return None
        return StatusFields(value, self.sub(key), self.stamps)

    def items(self, key, required=True, limit=MAX_ITEMS):
        value = self.raw(key, required)
        if value is None:
            if key in self.obj:
                raise SchemaError(self.sub(key), "must be a list, not null")
            return []
        if not isinstance(value, list):
            raise SchemaError(self.sub(key),
                              "expected a list, got %s" % json_kind(value))
        if len(value) > limit:
            raise SchemaError(self.sub(key), "has %d items, over the limit %d"
                              % (len(value), limit))
        return [StatusFields(item, "%s[%d]" % (self.sub(key), index), self.stamps)
                for index, item in enumerate(value)]

    def texts(self, key, items, limit):
        """An optional list of at most ``items`` strings of at most ``limit`` characters."""
        value = self.raw(key, required=False) or []
        if not isinstance(value, list):
            raise SchemaError(self.sub(key), "expected a list, got %s" % json_kind(value))
        if len(value) > items:
            raise SchemaError(self.sub(key), "has %d items, over the limit %d"
                              % (len(value), items))
        for index, text in enumerate(value):
            where = "%s[%d]" % (self.sub(key), index)
            if not isinstance(text, str):
                raise SchemaError(where, "expected a string, got %s" % json_kind(text))
            if len(text) > limit:
                raise SchemaError(where, "is %d characters, over the limit %d"
                                  % (len(text), limit))
        return value


def number_words(value):
    """An integer for a message: a huge one by its size, not its thousands of digits."""
    text = str(value) if abs(value) < 10 ** 15 else None
    return text or "%d digits" % len(str(abs(value)))


def json_kind(value):
    """What a JSON value is, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)

"""Typed reads out of a scenario document, each wrong value named by its path.

A scenario comes from ``yamlsafe`` as LineMaps and LineLists. Every value the
simulator uses is taken through ``Fields``, which checks its type and says
where it is: ``bad.yml:14: clusters[0].nodes[1].users: must be a whole number
>= 0, not text``. Identifiers (names, ids, versions) must be one printable
line; free text (titles, reasons, notes) is cleaned as plugin output is, so
nothing the simulator prints can carry a line break, an escape or a bidi
control from the file.
"""

from ..safeio.text import sanitize
from ..state.fields import MAX_NAME, MAX_TEXT
from .errors import ScenarioError

NO_VALUE = object()
MAX_WHOLE = 1000000


# what a YAML value is, in words; bool before int, which it is a kind of
_KINDS = ((type(None), "empty"), (bool, "true/false"), (int, "a whole number"),
          (float, "a number"), (str, "text"), (dict, "a mapping"), (list, "a list"))


def kind_of(value):
    """What a YAML value is, in words."""
    for kind, words in _KINDS:
        if isinstance(value, kind):
            return words
    return "a %s value" % type(value).__name__


def join(path, key):
    return str(key) if not path else "%s.%s" % (path, key)


def shown(value):
    """A value quoted in an error: short, and escaped (repr) so it stays one line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Fields:
    """Reads of one scenario file; every error names the file, line and path."""

    def __init__(self, file):
        self.file = file

    def error(self, where, path, message, key=None):
        line = None
        if where is not None:
            line = where.line_of(key) if key is not None and hasattr(where, "line_of") \
                else getattr(where, "line", None)
        place = "%s:%d" % (self.file, line) if line else self.file
        return ScenarioError(place, "%s: %s" % (path, message) if path else message)

    def wrong(self, parent, key, path, wanted, value):
        return self.error(parent, join(path, key), "must be %s, not %s" % (wanted, kind_of(value)),
                          key)

    # ------------------------------------------------------------ containers
    def mapping(self, parent, key, path, allowed, value=NO_VALUE):
        """parent[key] as a mapping of the ``allowed`` keys ({} when absent)."""
        value = parent.get(key) if value is NO_VALUE else value
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.wrong(parent, key, path, "a mapping", value)
        return self.keys(value, join(path, key), allowed)

    def keys(self, mapping, path, allowed):
        for name in mapping:
            if name not in allowed:
                raise self.error(mapping, path, "unknown key %s (known: %s)"
                                 % (shown(name), ", ".join(allowed)), name)
        return mapping

    def items(self, parent, key, path):
        """[(item, its path)] of the list parent[key] ([] when absent)."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.wrong(parent, key, path, "a list", value)
        return [(item, "%s[%d]" % (join(path, key), index)) for index, item in enumerate(value)]

    def item_mapping(self, item, path, allowed, list_where):
        """A list item that must be a mapping (of the ``allowed`` keys, unless None)."""
        if not isinstance(item, dict):
            raise self.error(list_where, path, "must be a mapping, not %s" % kind_of(item))
        return item if allowed is None else self.keys(item, path, allowed)

    # ------------------------------------------------------------ scalars
    def text(self, parent, key, path, default=NO_VALUE):
        """Free text, cleaned to one printable line, as long as a state may hold it."""
        value = parent.get(key, default)
        if value is NO_VALUE:
            raise self.error(parent, join(path, key), "required", key)
        if value is default:
            return value
        if not isinstance(value, str):
            raise self.wrong(parent, key, path, "text", value)
        if len(value) > MAX_TEXT:
            raise self.error(parent, join(path, key), "is %d characters; at most %d"
                             % (len(value), MAX_TEXT), key)
        return sanitize(value)

    def text_lines(self, parent, key, path):
        """Free text of several lines (a description), each line cleaned."""
        value = parent.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.wrong(parent, key, path, "text", value)
        # its own line breaks are "\n"; any other (U+2028, U+2029, NEL, ...) is cleaned away
        return "\n".join(sanitize(line) for line in value.strip().split("\n"))

    def identifier(self, parent, key, path, default=NO_VALUE):
        """A name, id or version: text of one printable line, as it is."""
        value = parent.get(key, default)
        if value is NO_VALUE:
            raise self.error(parent, join(path, key), "required", key)
        problem = value is not default and identifier_problem(value)
        if problem:
            raise self.error(parent, join(path, key), problem, key)
        return value

    def identifiers(self, parent, key, path):
        """A list of identifiers."""
        found = []
        for item, item_path in self.items(parent, key, path):
            problem = identifier_problem(item)
            if problem:
                raise self.error(parent, item_path, problem, key)
            found.append(item)
        return found

    def whole(self, parent, key, path, default, minimum, maximum=MAX_WHOLE):
        value = parent.get(key, default)
        wanted = "a whole number from %d to %d" % (minimum, maximum)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.wrong(parent, key, path, wanted, value)
        if not minimum <= value <= maximum:
            raise self.error(parent, join(path, key), "must be %s, not %s"
                             % (wanted, shown(value)), key)
        return value

    def flag(self, parent, key, path, default):
        value = parent.get(key, default)
        if not isinstance(value, bool):
            raise self.wrong(parent, key, path, "true or false", value)
        return value

    def choice(self, parent, key, path, default, choices):
        value = parent.get(key, default)
        if not isinstance(value, str) or value not in choices:
            raise self.error(parent, join(path, key), "%s is not one of %s"
                             % (shown(value), ", ".join(choices)), key)
        return value


def identifier_problem(value):
    """Why ``value`` cannot be a name, id or version; None when it can."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return 'must be text, not %s (quote it: "%s")' % (kind_of(value), value)
    if not isinstance(value, str):
        return "must be text, not %s" % kind_of(value)
    if not value or sanitize(value) != value or len(value) > MAX_NAME:
        return ("must be 1-%d printable characters without line breaks, tabs, control or "
                "bidi characters" % MAX_NAME)
    return None

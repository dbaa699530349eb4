"""The one YAML loader: files people write (--config, scenarios), safe against hostile ones.

SafeLoader never builds objects, but a small document can still cost a lot:
aliases let a few lines expand into billions of items once anything walks
them ("billion laughs"), and deep nesting exhausts Python's recursion. So
aliases are refused and nesting is limited; so are merge keys (``<<``, made
for aliases) and a key given twice in one mapping (PyYAML would silently keep
the last: a reader could not tell which one the writer meant). Every mapping
and sequence remembers its line, so errors can name a line instead of
quoting content.
Reading the bytes is the caller's, with ``safefile`` (no FIFO, no device, a
size limit). Imported only where a YAML file is read (never on a plugin's
plain path).
"""

import yaml

MAX_DEPTH = 20


class LineMap(dict):
    """A mapping that knows its line and the line of each of its keys."""

    line = None
    key_lines = None

    def line_of(self, key):
        return (self.key_lines or {}).get(key, self.line)


class LineList(list):
    line = None


class SafeLineLoader(yaml.SafeLoader):
    """SafeLoader without aliases, with a nesting limit, remembering lines."""

    max_depth = MAX_DEPTH

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not supported here; write the value out",
                event.start_mark)
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise yaml.composer.ComposerError(
                    None, None, "nested more than %d levels deep" % self.max_depth,
                    self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader, node):
    result = LineMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise _refused("merge keys (<<) are not supported here; write the keys out",
                           key_node)
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise _refused("a key must be a plain value", key_node) from None
        if key in result:   # named by its line only: a key may be a secret's name
            raise _refused("a key is given twice in one mapping; keep one", key_node)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _refused(words, node):
    return yaml.constructor.ConstructorError(None, None, words, node.start_mark)


def _construct_sequence(loader, node):
    result = LineList(loader.construct_sequence(node, deep=True))
    result.line = node.start_mark.line + 1
    return result


SafeLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                               _construct_mapping)
SafeLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
                               _construct_sequence)
# Times stay text: each reader parses them in its own zone (PyYAML would make
# naive or UTC datetimes, depending on its version).
SafeLineLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


class YamlProblem(ValueError):
    """Not loadable: ``line`` (or None) and words that never quote the file."""

    def __init__(self, line, words):
        super().__init__(words)
        self.line = line
        self.words = words


def load(data, loader=SafeLineLoader):
    """bytes -> the document (LineMap/LineList inside); YamlProblem when it is not YAML."""
    try:
        return yaml.load(data, Loader=loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or ""
        # PyYAML quotes the offending text in its messages: keep only content-free ones
        words = problem if problem and "'" not in problem and '"' not in problem else ""
        raise YamlProblem(mark.line + 1 if mark else None,
                          "not valid YAML" + (" (%s)" % words if words else "")) from None
    except RecursionError:
        raise YamlProblem(None, "nested too deeply") from None
    except ValueError:   # an integer of thousands of digits (Python's conversion limit)
        raise YamlProblem(None, "not usable: a number is thousands of digits long") from None

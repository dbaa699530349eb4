"""Read facts out of the hand-written Icinga 2 samples in icinga-conf/, for the
generators that must agree with them (tools/director.py): their home stays the
sample an administrator reads and edits.

Only the simple shapes those files use are understood - a string constant, a
dictionary constant of dictionaries, and the plain attributes of one named
object, template or apply rule. What is not found raises DslError naming the
file and what was looked for, so a changed sample stops the generator rather
than letting it guess.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tgmon.timeutil import parse_duration  # noqa: E402


class DslError(Exception):
    pass


_STRING = r'"((?:[^"\\]|\\.)*)"'


def _unquote(text):
    return re.sub(r"\\(.)", r"\1", text)


def _value(raw):
    """A literal: "string" -> str, true/false -> bool, 12 -> int, 15m -> '15m'."""
    raw = raw.strip()
    quoted = re.fullmatch(_STRING, raw)
    if quoted:
        return _unquote(quoted.group(1))
    if raw in ("true", "false"):
        return raw == "true"
    if re.fullmatch(r"\d+", raw):
        return int(raw)
    if re.fullmatch(r"\d+[smhd]", raw):
        return raw
    raise DslError("not a literal: %s" % raw)


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def constant(path, name):
    """The value of ``const NAME = <literal>`` ("text", 15m, 3, true)."""
    found = re.search(r"^const %s = ([^{\n]+?)\s*$" % re.escape(name), _read(path), re.M)
    if found:
        try:
            return _value(found.group(1))
        except DslError:
            pass          # an expression: not a fact to copy
    raise DslError("%s: no constant %s with a literal value" % (path, name))


def dictionary_constant(path, name):
    """``const NAME = { "key" = { a = 1, b = "x" } ... }`` -> {key: {a: 1, b: "x"}}."""
    found = re.search(r"^const %s = \{\n(.*?)^\}" % re.escape(name), _read(path), re.M | re.S)
    if not found:
        raise DslError("%s: no dictionary constant %s" % (path, name))
    entries = {}
    for key, body in re.findall(r'^\s*"(\w+)" = \{(.*?)\}\s*$', found.group(1), re.M):
        entries[key] = {attr: _value(raw) for attr, raw in
                        (part.split("=", 1) for part in body.split(",") if part.strip())}
        entries[key] = {attr.strip(): value for attr, value in entries[key].items()}
    if not entries:
        raise DslError("%s: constant %s has no entries" % (path, name))
    return entries


def _reference(raw, constants):
    """``NAME`` or ``NAME / 2`` of a constant in ``constants`` (a duration divided stays a
    duration, in seconds); DslError for anything else."""
    found = re.fullmatch(r"(\w+)(?: / (\d+))?", raw.strip())
    if not found or found.group(1) not in constants:
        raise DslError("not a literal: %s" % raw)
    value = constants[found.group(1)]
    if found.group(2) is None:
        return value
    return "%gs" % (parse_duration(value) / int(found.group(2)))


def block(path, kind, type_name, name, constants=None):
    """The plain attributes of ``KIND TYPE "NAME" ... { ... }`` (kind: object, template
    or apply): {attribute: literal} (a custom variable as "vars.NAME"), {"imports": [...]}
    and nested dictionaries of literals (ranges = { "monday" = "03:00-04:00" }); with
    ``constants`` ({name: literal}), also an attribute that is one of them, or one of
    them divided (retry_interval = TgmonReachableInterval / 2). Anything else is left
    out."""
    found = re.search(r'^%s %s "%s"[^{\n]*\{\n(.*?)^\}' % (kind, type_name, re.escape(name)),
                      _read(path), re.M | re.S)
    if not found:
        raise DslError('%s: no %s %s "%s"' % (path, kind, type_name, name))
    body = found.group(1)
    attrs = {"imports": re.findall(r"^  import %s\s*$" % _STRING, body, re.M)}
    for attr, nested in re.findall(r"^  (\w+) = \{\n(.*?)^  \}", body, re.M | re.S):
        attrs[attr] = {_unquote(key): _value(raw)
                       for key, raw in re.findall(r"^\s+%s = (.+?)\s*$" % _STRING, nested, re.M)}
    for attr, raw in re.findall(r"^  ([\w.]+) = ([^{\n]+?)\s*(?://.*)?$", body, re.M):
        try:
            attrs[attr] = _value(raw)
        except DslError:
            try:
                attrs[attr] = _reference(raw, constants or {})
            except DslError:
                continue      # an expression (TgmonDocsUrl + ...): not a fact to copy
    return attrs

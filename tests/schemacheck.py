"""A JSON Schema validator for the subset tgmon's schemas use (draft 2020-12):
``$ref`` to ``#/$defs/...``, ``type`` (a name or a list), ``const``, ``enum``,
``required``, ``properties``, ``additionalProperties: false``, ``items``,
``pattern`` (as ECMA-262 reads it: ``$`` only at the very end), ``maxLength``,
``minimum``, ``maximum``. A keyword it does not know is an error, so that a
schema can never use more than is checked here."""

import re

KNOWN = {"$schema", "$id", "$defs", "$ref", "title", "description", "type", "const", "enum",
         "required", "properties", "additionalProperties", "items", "pattern", "minimum",
         "maximum", "maxLength"}
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def errors(instance, schema, root=None, where="$"):
    """Every way ``instance`` breaks ``schema``, as 'path: why' strings."""
    root = schema if root is None else root
    unknown = set(schema) - KNOWN
    if unknown:
        raise ValueError("%s: keywords this validator does not know: %s" % (where, unknown))
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return errors(instance, target, root, where)
    found = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[name](instance) for name in names):
            return ["%s: expected %s, got %r" % (where, "|".join(names), instance)]
    if "const" in schema and instance != schema["const"]:
        found.append("%s: expected %r" % (where, schema["const"]))
    if "enum" in schema and instance not in schema["enum"]:
        found.append("%s: %r not one of %s" % (where, instance, schema["enum"]))
    if isinstance(instance, dict):
        for name in schema.get("required", ()):
            if name not in instance:
                found.append("%s: %s is missing" % (where, name))
        properties = schema.get("properties", {})
        for name, value in instance.items():
            if name in properties:
                found.extend(errors(value, properties[name], root, "%s.%s" % (where, name)))
            elif schema.get("additionalProperties") is False:
                found.append("%s: %s is not allowed" % (where, name))
    if isinstance(instance, list) and "items" in schema:
        for index, item in enumerate(instance):
            found.extend(errors(item, schema["items"], root, "%s[%d]" % (where, index)))
    if isinstance(instance, str) and "pattern" in schema:
        if not re.search(_ecma(schema["pattern"]), instance):
            found.append("%s: %r does not match %s" % (where, instance, schema["pattern"]))
    if isinstance(instance, str) and len(instance) > schema.get("maxLength", len(instance)):
        found.append("%s: %d characters, more than %d" % (where, len(instance),
                                                         schema["maxLength"]))
    if TYPES["number"](instance):
        if "minimum" in schema and instance < schema["minimum"]:
            found.append("%s: %r below %r" % (where, instance, schema["minimum"]))
        if "maximum" in schema and instance > schema["maximum"]:
            found.append("%s: %r above %r" % (where, instance, schema["maximum"]))
    return found


def _ecma(pattern):
    """A pattern as ECMA-262 reads it without the m flag: a final ``$`` matches only at
    the very end, where Python's also matches before a final line break."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern[:-1] + r"\Z"
    return pattern

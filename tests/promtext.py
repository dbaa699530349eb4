"""A strict reader of the Prometheus text format (0.0.4), for the tests: every
output of /metrics and ``tgmon textfile`` is read by it, and anything the format
does not allow, or that a scraper would read differently, fails.

    parse(text) -> [Sample(name, labels, value)]    ValueError naming the line

Strict beyond the format: no blank lines, no comment but HELP and TYPE, each
family's HELP and TYPE once and before its samples, a family's samples
together, no series twice, no timestamps (tgmon writes none).
"""

import math
import re
import shutil
from collections import namedtuple

Sample = namedtuple("Sample", "name labels value")
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
ESCAPES = {"\\": "\\", "\"": "\"", "n": "\n"}


def parse(text):
    if text and not text.endswith("\n"):
        raise ValueError("the text does not end with a line feed")
    samples, helps, types, done, series = [], {}, {}, set(), set()
    current = None
    for number, line in enumerate(text.split("\n")[:-1], 1):
        try:
            if line.startswith("#"):
                kind, name, rest = _comment(line)
                table = helps if kind == "HELP" else types
                if name in table:
                    raise ValueError("a second %s for %s" % (kind, name))
                if name in done or name == current:
                    raise ValueError("%s of %s after its samples" % (kind, name))
                if kind == "TYPE" and rest not in TYPES:
                    raise ValueError("unknown type %r" % rest)
                table[name] = _unescape_help(rest) if kind == "HELP" else rest
                continue
            sample = _sample(line)
        except ValueError as exc:
            raise ValueError("line %d: %s: %r" % (number, exc, line[:200])) from None
        if sample.name != current:
            if sample.name in done:
                raise ValueError("line %d: the samples of %s are not together" % (number,
                                                                                   sample.name))
            if current is not None:
                done.add(current)
            current = sample.name
        if sample.name not in types:
            raise ValueError("line %d: %s has no TYPE before its samples" % (number,
                                                                            sample.name))
        key = (sample.name, tuple(sorted(sample.labels.items())))
        if key in series:
            raise ValueError("line %d: the series %s is there twice" % (number, key))
        series.add(key)
        samples.append(sample)
    return samples


def _comment(line):
    parts = line.split(" ", 3)
    if len(parts) < 3 or parts[0] != "#" or parts[1] not in ("HELP", "TYPE"):
        raise ValueError("a comment that is neither HELP nor TYPE")
    if not NAME.match(parts[2]):
        raise ValueError("invalid metric name")
    return parts[1], parts[2], parts[3] if len(parts) == 4 else ""


def _unescape_help(text):
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            following = text[index + 1:index + 2]
            if following not in ("\\", "n"):
                raise ValueError("a backslash in HELP escapes nothing HELP may escape")
            out.append(ESCAPES[following])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _sample(line):
    match = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line)
    if not match:
        raise ValueError("no metric name")
    name, index, labels = match.group(), match.end(), {}
    if line[index:index + 1] == "{":
        index += 1
        while True:
            label = re.match(r"[a-zA-Z_][a-zA-Z0-9_]*", line[index:])
            if not label:
                raise ValueError("no label name")
            key = label.group()
            index += label.end()
            if line[index:index + 2] != "=\"":
                raise ValueError("a label without =\"")
            value, index = _quoted(line, index + 2)
            if key in labels:
                raise ValueError("label %s twice" % key)
            labels[key] = value
            if line[index:index + 1] == ",":
                index += 1
            elif line[index:index + 1] == "}":
                index += 1
                break
            else:
                raise ValueError("neither , nor } after a label")
    if line[index:index + 1] != " ":
        raise ValueError("no single space before the value")
    value = line[index + 1:]
    if " " in value:
        raise ValueError("more than a value (a timestamp?)")
    return Sample(name, labels, _value(value))


def _quoted(line, index):
    out = []
    while index < len(line):
        char = line[index]
        if char == "\"":
            return "".join(out), index + 1
        if char == "\\":
            following = line[index + 1:index + 2]
            if following not in ESCAPES:
                raise ValueError("an escape the format does not have")
            out.append(ESCAPES[following])
            index += 2
            continue
        out.append(char)
        index += 1
    raise ValueError("a label value without its closing quote")


def _value(text):
    if text in ("NaN", "+Inf", "-Inf"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.fullmatch(r"-?\d+(\.\d+)?(e[+-]?\d+)?", text):
        raise ValueError("not a number: %r" % text[:40])
    value = float(text)
    if math.isinf(value):
        raise ValueError("a number out of range")
    return value


def values(samples, name):
    """{frozenset of (label, value) but the node's base labels: value} of one metric."""
    base = ("node", "cluster", "role")
    return {frozenset((k, v) for k, v in s.labels.items() if k not in base): s.value
            for s in samples if s.name == name}


def promtool():
    """Prometheus' promtool (check and test rules, check metrics); a failure, not a
    skip, where it is missing."""
    import pytest
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is missing: apt-get install prometheus (.ci/run does)")
    return found

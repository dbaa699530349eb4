"""Checkmk local checks: ``<status> "<service name>" <metrics> <details>``.

As Checkmk's local-check documentation has the line: the status 0-3, the
service name in double quotes (it has spaces; it never holds a quote), the
metrics ``name=value;warn;crit;min;max`` joined by ``|`` or ``-`` when there
are none, then the text, whose line breaks are the two characters ``\\n``.
Since Checkmk 2.4 a line that breaks this grammar becomes a CRIT service, so
every part is built to fit it: text through ``sanitize`` (one printable line,
a backslash made ``/`` so that only our ``\\n`` break lines), metric names of
``[A-Za-z0-9_]``, levels only where they are a plain number (Checkmk has no
Nagios ranges; the status is tgmon's own anyway).
A line's text is cut to MAX_TEXT characters, its first and last lines kept.

check_tightgate prints one line per aspect (``WANTS_PARTS``). The framing of
the datasource (``tgmon checkmk``) is here too: the ``<<<local:sep(0)>>>``
section and the ``<<<<host>>>>`` piggyback blocks.
"""

import re

from ..safeio.text import sanitize
from ..verdict import status_name
from .nagios import _number

WANTS_PARTS = True
SECTION = "<<<local:sep(0)>>>"
SERVICE_PREFIX = "TightGate"
# a Nagios range that is an upper limit: '10', '0:10', '~:10'
_UPPER_LIMIT = re.compile(r"^(?:(?:0|~)?:)?(\d+(?:\.\d+)?)$")
_NOT_METRIC = re.compile(r"[^A-Za-z0-9_]")
# A line's text (summary and long output) at most: Checkmk names no limit, but a service's
# details are read by a person, and the datasource prints 7 lines for each of up to 1000
# nodes (1000 pending hotfixes were 840 KB a line)
MAX_TEXT = 16 * 1024


def render(definition, result):
    """The local-check lines of a Result: one, or one per aspect of check_tightgate
    (each aspect's own Result; all with the result's status when none could judge)."""
    if result.parts:
        return "".join(local_line(service_name(aspect), part) for aspect, part in result.parts)
    if definition.aspects:
        return "".join(local_line(service_name(aspect), result)
                       for aspect in definition.aspects)
    return local_line(service_name(definition), result)


def service_name(definition):
    """'TightGate update lock' for check_update_lock."""
    return "%s %s" % (SERVICE_PREFIX, definition.short_name.replace("_", " "))


def local_line(name, result):
    """One local-check line (with its line break) for a Result."""
    # the long output but its line repeating the summary
    repeat = "[%s] %s" % (status_name(result.code), result.summary)
    lines = [result.summary] + [line for line in result.details if line != repeat]
    # Checkmk needs a text: the status's name when there is none
    text = _within_limit([_text(line) for line in lines]) or status_name(result.code)
    return "%d \"%s\" %s %s\n" % (result.code, _name(name), metrics(result.perfdata), text)


def _within_limit(texts):
    """The lines joined by ``\\n``, at most MAX_TEXT characters: the first and the last
    (the runbook link) always, the lines between that do not fit counted instead."""
    text = "\\n".join(texts)
    if len(text) <= MAX_TEXT:
        return text
    kept, size = [], len(texts[-1]) + 200        # the last line and the note
    for line in texts[:-1]:
        if kept and size + len(line) + 2 > MAX_TEXT:
            break
        kept.append(line)
        size += len(line) + 2
    cut = len(texts) - 1 - len(kept)
    return "\\n".join(kept + ["(%d more lines cut to fit %d KiB: the check's Nagios or JSON "
                               "output has them all)" % (cut, MAX_TEXT // 1024), texts[-1]])


def metrics(perfdata):
    """``name=value;warn;crit;min;max`` joined by ``|``; ``-`` when there is none."""
    if not perfdata:
        return "-"
    shown = []
    for perf in sorted(perfdata, key=lambda p: p.label):
        fields = [_number(perf.value), _level(perf.warn), _level(perf.crit),
                  _number(perf.min), _number(perf.max)]
        values = ["" if value is None else str(value) for value in fields]
        while values[-1] == "":
            values.pop()
        shown.append("%s=%s" % (_NOT_METRIC.sub("_", perf.label), ";".join(values)))
    return "|".join(shown)


def section(lines):
    """The datasource's local section: its header, then the lines as they are."""
    return SECTION + "\n" + "".join(lines)


def piggyback(host, lines):
    """A piggyback block: the section on ``host`` (a checked host name)."""
    return "<<<<%s>>>>\n%s<<<<>>>>\n" % (host, section(lines))


def _level(value):
    if value is None or isinstance(value, (int, float)):
        return _number(value)
    limit = _UPPER_LIMIT.match(str(value))
    return _number(float(limit.group(1))) if limit else None


def _name(name):
    return sanitize(name).replace('"', "").replace("\\", "/") or SERVICE_PREFIX


def _text(line):
    return sanitize(line).replace("\\", "/")

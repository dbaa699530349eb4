"""Nagios plugin output: ``NAME STATUS - text | perfdata`` plus long lines.

The default renderer (``render``): the perfdata through nagiosplugin, which
is imported only then, so that the many users of ``sanitize`` (the exporter,
the simulator, the writers) do not load it. Every string from input (node
names, reasons, messages, versions) passes ``sanitize``: one line of
printable text, whatever the input held. The first line also loses the
characters Nagios strips from notification macros (its stock
illegal_macro_output_chars), so the pager shows what we wrote.
"""

from ..safeio.text import sanitize
from ..verdict import MAX_FIRST_LINE, status_name

# Nagios' stock illegal_macro_output_chars, and what each becomes in a first
# line; Nagios also turns ';' in a plugin's first line into ':'.
ILLEGAL_MACRO_CHARS = "`~$&|'\"<>"
NAGIOS_REWRITES = ";"
NOTIFICATION_SAFE = str.maketrans({"`": "\u2019", "'": "\u2019", "\"": "", "~": "-", "$": "",
                             "&": "+", "|": "/", "<": "(", ">": ")", ";": ","})


# A core shows everything before '|' as the output; Icinga 2 keeps the space
# in front of it, so the text itself gets one character less.
_SHOWN = MAX_FIRST_LINE - 1


def first_line(name, status, text):
    """``NAME STATUS - text``: sanitised, free of Nagios' illegal macro characters,
    as shown at most MAX_FIRST_LINE characters (the judges word it to fit; this
    only guards)."""
    line = "%s %s - %s" % (name, status, sanitize(text).translate(NOTIFICATION_SAFE))
    if len(line) > _SHOWN:
        line = line[:_SHOWN - 3].rstrip() + "..."
    return line


def first_line_budget(name, status):
    """How many characters the text after ``NAME STATUS - `` may have."""
    return _SHOWN - len("%s %s - " % (name, status))


def render(definition, result):
    """The plugin's output for a Result: the first line with the perfdata, then the
    long output."""
    first = first_line(definition.name, status_name(result.code), result.summary)
    perfdata = performance(result.perfdata)
    if perfdata:
        first += " | " + perfdata
    body = [sanitize(line) if not line.startswith("    ") else "    " + sanitize(line)
            for line in result.details]
    return "\n".join([first] + body) + "\n"


def performance(perfdata):
    """Perf records as Nagios perfdata, sorted by label as nagiosplugin's Check does."""
    if not perfdata:
        return ""
    from nagiosplugin import Performance
    return " ".join(sorted(str(Performance(perf.label, _number(perf.value), perf.uom,
                                           _threshold(perf.warn), _threshold(perf.crit),
                                           _number(perf.min), _number(perf.max)))
                           for perf in perfdata))


def _number(value):
    if value is None:
        return None
    _finite(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return round(value, 3)
    return int(value)


def _threshold(value):
    return None if value is None else str(_finite(value))


_INFINITY = float("inf")     # not math.isfinite: no module more on the plugin path


def _finite(value):
    """``value``; ValueError for NaN and infinities: a judge's bug, and no format has a
    word for them (JSON has none), so an internal error instead."""
    if isinstance(value, float) and not -_INFINITY < value < _INFINITY:   # NaN too
        raise ValueError("a perfdata number is %r" % value)
    return value

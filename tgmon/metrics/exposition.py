"""The Prometheus text format (version 0.0.4), written by a small writer of our own.

    # HELP name help text (backslash and line feed escaped)
    # TYPE name gauge
    name{label="value",...} 1

Label values come from the state (node names, versions, reasons, causes), so
each is made one printable line first (``safeio.text.sanitize``) and cut to
``MAX_LABEL_VALUE`` characters, then escaped as the format says: backslash,
double quote, line feed. Nothing from input can end a line or a quoted value,
nor write a series twice (a state listing a release twice, two values alike
once escaped): the first sample of a series is written, a repeat left out, as
a scraper would otherwise drop it or fail the whole scrape (node_exporter).
"""

import math

from ..safeio.text import sanitize

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MAX_LABEL_VALUE = 200


def escape_label_value(value):
    """A label value as the format quotes it (without the quotes)."""
    text = sanitize(value)[:MAX_LABEL_VALUE]
    return text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def escape_help(text):
    """A HELP text: backslash and line feed escaped (quotes stay as they are)."""
    return str(text).replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value):
    """A sample value: an integer as digits, a float as Python writes it (which
    Prometheus reads back exactly), NaN and the infinities as the format spells them."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


def exposition(families):
    """[(name, kind, help, [(((label, value), ...), sample value)])] -> the text, one
    family after the other, each with its HELP and TYPE; a family without samples
    is left out, and so is a repeat of a series already written."""
    lines = []
    for name, kind, help_text, samples in families:
        if not samples:
            continue
        lines.append("# HELP %s %s" % (name, escape_help(help_text)))
        lines.append("# TYPE %s %s" % (name, kind))
        written = set()
        for labels, value in samples:
            series = "%s{%s}" % (name, ",".join(
                '%s="%s"' % (label, escape_label_value(text)) for label, text in labels)) \
                if labels else name
            if series not in written:
                written.add(series)
                lines.append("%s %s" % (series, format_value(value)))
    return "".join(line + "\n" for line in lines)

"""Nagios plugin output: ``NAME STATE - text | perfdata`` plus long lines."""

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MAX_LINE = 2000


def sanitize(text):
    """One safe line: no '|' (it starts perfdata), no newlines or controls."""
    text = _CONTROL.sub("", str(text)).replace("|", "/")
    text = " ".join(text.replace("\n", " ").split())
    return text[:MAX_LINE]


def render(name, state, text, perfdata, lines):
    first = "%s %s - %s" % (name, state, sanitize(text))
    if perfdata:
        first += " | " + perfdata
    body = [sanitize(line) if not line.startswith("    ") else "    " + sanitize(line)
            for line in lines]
    return "\n".join([first] + body) + "\n"

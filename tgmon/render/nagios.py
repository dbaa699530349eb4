"""Nagios plugin output: ``NAME STATUS - text | perfdata`` plus long lines.

Every string from input (node names, reasons, messages, versions) passes
``sanitize``: one line of printable text, whatever the input held. The first
line also loses the characters Nagios strips from notification macros
(its stock illegal_macro_output_chars), so the pager shows what we wrote.
"""

import re
import unicodedata

from ..verdict import MAX_FIRST_LINE

# What no line of text tgmon shows or stores may hold, by Unicode category:
# controls, invisible format characters (bidi overrides turn "gpj.exe" around;
# zero-width and soft hyphens, tag characters hide text), lone surrogates
# (invalid UTF-8), private-use and unassigned code points, line and paragraph
# separators. sanitize drops them; the writers refuse them (safeio.text).
UNSAFE_CATEGORIES = {"Cc": "a control character", "Cf": "an invisible format character",
                     "Cs": "no character (invalid UTF-8)", "Co": "a private-use character",
                     "Cn": "an unassigned code point", "Zl": "a line separator",
                     "Zp": "a paragraph separator"}
# every character but printable ASCII: only these are looked up one by one
_SUSPECT = re.compile(r"[^ -~]")
# Nagios' stock illegal_macro_output_chars, and what each becomes in a first
# line; Nagios also turns ';' in a plugin's first line into ':'.
ILLEGAL_MACRO_CHARS = "`~$&|'\"<>"
NAGIOS_REWRITES = ";"
_FIRST_LINE = str.maketrans({"`": "\u2019", "'": "\u2019", "\"": "", "~": "-", "$": "",
                             "&": "+", "|": "/", "<": "(", ">": ")", ";": ","})
MAX_LINE = 2000
MAX_INPUT = 16 * MAX_LINE   # cut first: sanitising stays fast whatever comes in


def sanitize(text):
    """One safe line: printable, no '|' (it starts perfdata), no newlines or controls.
    Whitespace of any kind (line breaks too) becomes one space."""
    text = str(text)[:MAX_INPUT]
    if not text.isprintable():      # fast: printable text holds no C* and no Z* but ' '
        text = _SUSPECT.sub(_safe_character, text)
    return " ".join(text.replace("|", "/").split())[:MAX_LINE]


def _safe_character(match):
    char = match.group()
    return " " if char.isspace() else "" if unicodedata.category(char) in UNSAFE_CATEGORIES \
        else char


# A core shows everything before '|' as the output; Icinga 2 keeps the space
# in front of it, so the text itself gets one character less.
_SHOWN = MAX_FIRST_LINE - 1


def first_line(name, status, text):
    """``NAME STATUS - text``: sanitised, free of Nagios' illegal macro characters,
    as shown at most MAX_FIRST_LINE characters (the judges word it to fit; this
    only guards)."""
    line = "%s %s - %s" % (name, status, sanitize(text).translate(_FIRST_LINE))
    if len(line) > _SHOWN:
        line = line[:_SHOWN - 3].rstrip() + "..."
    return line


def first_line_budget(name, status):
    """How many characters the text after ``NAME STATUS - `` may have."""
    return _SHOWN - len("%s %s - " % (name, status))


def render(name, status, text, perfdata, lines):
    first = first_line(name, status, text)
    if perfdata:
        first += " | " + perfdata
    body = [sanitize(line) if not line.startswith("    ") else "    " + sanitize(line)
            for line in lines]
    return "\n".join([first] + body) + "\n"

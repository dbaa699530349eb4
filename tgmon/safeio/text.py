"""Text a reader can use: one printable line; host names as RFC 1123 has them.

What a writer stores is shown later by the checks, on a pager, in a core's
web page. So no text may hold a line break of any kind - anything
``str.splitlines()`` splits on - nor a control or format character (escape
sequences, bidi overrides that turn text around, zero-width characters):
the Unicode categories of UNSAFE_CATEGORIES, which ``sanitize`` drops
from every line tgmon shows (Cs is invalid UTF-8 that came in through argv). Input is
refused naming the field and the character's code point, never quoting the
input; where refusing would lose more than the text
(a flag's reason), the text is made safe instead, with a warning. A text
field may stack at most MAX_MARKS combining marks on one character.
"""

import re
import unicodedata

# What no line of text tgmon shows or stores may hold, by Unicode category:
# controls, invisible format characters (bidi overrides turn "gpj.exe" around;
# zero-width and soft hyphens, tag characters hide text), lone surrogates
# (invalid UTF-8), private-use and unassigned code points, line and paragraph
# separators. sanitize drops them; the writers refuse them (check_text).
UNSAFE_CATEGORIES = {"Cc": "a control character", "Cf": "an invisible format character",
                     "Cs": "no character (invalid UTF-8)", "Co": "a private-use character",
                     "Cn": "an unassigned code point", "Zl": "a line separator",
                     "Zp": "a paragraph separator"}
# every character but printable ASCII: only these are looked up one by one
_SUSPECT = re.compile(r"[^ -~]")
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


# RFC 1123 host names; dots allowed (a fully qualified name), no trailing dot
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
MAX_HOST_NAME = 253
MAX_LABEL = 63
# how much of a field name from input an error message shows
MAX_EXCERPT = 40
# combining marks on one character: Vietnamese or pointed Hebrew need a few;
# "Zalgo" text stacks dozens, which smear over the lines above and below
MAX_MARKS = 8


def _unsafe(char):
    return UNSAFE_CATEGORIES.get(unicodedata.category(char))


def unsafe_character(text):
    """What the first character of ``text`` that one printable line must not hold is
    ("U+000A, a control character"), or None."""
    if text.isprintable():      # fast: no C* and no Z* but the space
        return None
    for char in text:
        words = _unsafe(char)
        if words:
            return "U+%04X, %s" % (ord(char), words)
    return None


def check_text(document, error):
    """Every string in ``document`` (a dict of fields, nested dicts and lists) one
    printable line, or ``error`` naming the field. Iterative: any nesting depth."""
    pending = [("", document)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, str):
            problem, fix = unsafe_character(value), "give one printable line"
            if not problem:
                problem, fix = stacked_marks(value), "give at most %d per character" % MAX_MARKS
            if problem:
                raise error("refused, nothing written: %s holds %s" % (where, problem), fix)
        elif isinstance(value, dict):
            pending.extend((field_name(where, key), item) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend(("%s[%d]" % (where, index), item) for index, item in enumerate(value))


def stacked_marks(text):
    """What stacks more than MAX_MARKS combining marks on one character in ``text``, or None."""
    if text.isascii():
        return None
    run = 0
    for char in text:
        run = run + 1 if unicodedata.category(char) in ("Mn", "Me") else 0
        if run > MAX_MARKS:
            return "more than %d combining marks on one character (U+%04X)" % (MAX_MARKS,
                                                                            ord(char))
    return None


def one_line_each(given, max_length, max_lines):
    """[(option, text)] as safe lines, and warnings of what had to change: line
    breaks and control or format characters become spaces, a line longer than
    ``max_length`` is cut, lines beyond ``max_lines`` are dropped, empty ones too."""
    lines, replaced, cut = [], {}, {}
    for option, value in given:
        clean = " ".join("".join(" " if _unsafe(char) else char for char in value).split())
        if unsafe_character(value):
            replaced[option] = True
        if len(clean) > max_length:
            clean = clean[:max_length - 1] + "\u2026"
            cut[option] = True
        if clean:
            lines.append(clean)
    warnings = []
    if replaced:
        warnings.append("%s: line breaks, control or format characters replaced by spaces"
                        % ", ".join(replaced))
    if cut:
        warnings.append("%s: cut to %d characters" % (", ".join(cut), max_length))
    if len(lines) > max_lines:
        warnings.append("%d lines given, the first %d kept" % (len(lines), max_lines))
    return tuple(lines[:max_lines]), warnings


def host_name_problem(name):
    """Why ``name`` is no RFC 1123 host name (dots allowed), or None."""
    if not 0 < len(name) <= MAX_HOST_NAME:
        return "it must have 1-%d characters" % MAX_HOST_NAME
    for label in name.split("."):
        if not label:
            return "it has an empty label (a dot at an end, or two dots)"
        if len(label) > MAX_LABEL:
            return "a label is longer than %d characters" % MAX_LABEL
        if not _LABEL.fullmatch(label):
            if label.isascii() and label.replace("-", "").isalnum():
                return "a label starts or ends with a hyphen"
            return "it holds a character other than letters, digits, hyphens and dots"
    return None


def field_name(where, key):
    """``where.key`` for a message: a key from input cut short and made safe."""
    key = sanitize(key)
    if len(key) > MAX_EXCERPT:
        key = key[:MAX_EXCERPT - 1] + "\u2026"
    return "%s.%s" % (where, key) if where else key

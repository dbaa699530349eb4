"""One printable line, whatever the input held: ``sanitize`` (every line tgmon prints,
the plugins' included) drops each character of the Unicode categories Cc, Cf, Cs,
Co, Cn, Zl and Zp - the invisible format characters too (soft hyphen, Mongolian
vowel separator, the deprecated format controls, interlinear annotations, tag
characters) - turns whitespace of any kind into one space, and '|' into '/'. The
writers refuse exactly what it drops (safeio.text, one definition of unsafe).

Classes (issue 18): 7 input a reader cannot use, 11 the tools' output is safe text.
Review finding 6.
"""

import unicodedata

import pytest

from tgmon.safeio.text import MAX_LINE, UNSAFE_CATEGORIES, sanitize
from tgmon.safeio.text import unsafe_character

DROPPED = [
    # (id, character): what no line may hold, and the writers refuse
    ("soft_hyphen", "\u00ad"),
    ("mongolian_vowel_separator", "\u180e"),
    ("inhibit_symmetric_swapping", "\u206a"),
    ("nominal_digit_shapes", "\u206f"),
    ("interlinear_annotation_anchor", "\ufff9"),
    ("interlinear_annotation_terminator", "\ufffb"),
    ("tag_language", "\U000e0001"),
    ("tag_latin_a", "\U000e0041"),
    ("cancel_tag", "\U000e007f"),
    ("arabic_letter_mark", "\u061c"),
    ("right_to_left_override", "\u202e"),
    ("first_strong_isolate", "\u2068"),
    ("zero_width_space", "\u200b"),
    ("word_joiner", "\u2060"),
    ("byte_order_mark", "\ufeff"),
    ("private_use", "\ue000"),
    ("private_use_plane_16", "\U0010fffd"),
    ("unassigned", "\U0002fffe"),
    ("lone_surrogate", "\udcfc"),
    ("nul", "\x00"),
    ("escape", "\x1b"),
    ("delete", "\x7f"),
    ("c1_control", "\x9b"),
]


@pytest.mark.parametrize("name, char", DROPPED, ids=[c[0] for c in DROPPED])
def test_an_invisible_or_control_character_is_dropped_and_refused(name, char):
    assert unicodedata.category(char) in UNSAFE_CATEGORIES
    assert sanitize("disk%sswap" % char) == "diskswap"
    assert unsafe_character("disk%sswap" % char) is not None     # the writers refuse it


SPACES = [
    # (id, character): whitespace of any kind, line breaks included, is one space
    ("line_feed", "\n"), ("carriage_return", "\r"), ("tab", "\t"), ("vertical_tab", "\v"),
    ("form_feed", "\f"), ("file_separator", "\x1c"), ("next_line", "\x85"),
    ("line_separator", "\u2028"), ("paragraph_separator", "\u2029"),
    ("no_break_space", "\u00a0"), ("ideographic_space", "\u3000"),
]


@pytest.mark.parametrize("name, char", SPACES, ids=[c[0] for c in SPACES])
def test_whitespace_of_any_kind_is_one_space(name, char):
    assert sanitize("disk %s%s swap" % (char, char)) == "disk swap"


KEPT = [
    # (id, text, as sanitised): text a reader can use stays as it is
    ("umlauts", "Wartung f\u00fcr TG", "Wartung f\u00fcr TG"),
    ("cjk", "\u4e2d\u6587\u7ef4\u62a4", "\u4e2d\u6587\u7ef4\u62a4"),
    ("emoji", "update \U0001f527 done", "update \U0001f527 done"),
    ("arabic", "\u0635\u064a\u0627\u0646\u0629", "\u0635\u064a\u0627\u0646\u0629"),
    ("perfdata_bar", "a|b", "a/b"),
    ("spaces_collapse", "  a   b  ", "a b"),
]


@pytest.mark.parametrize("name, text, shown", KEPT, ids=[c[0] for c in KEPT])
def test_text_a_reader_can_use_is_kept(name, text, shown):
    assert sanitize(text) == shown


def test_huge_input_stays_bounded():
    line = sanitize(("x\u200b" * 10 + "\n") * 100000)
    assert line.isprintable() and len(line) <= MAX_LINE

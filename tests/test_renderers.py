"""Presentation is pluggable (issue 19, item 4): the runtime renders a check's
Result through a renderer chosen by format name; the exit code stays the
Result's whatever the format. Proven with a renderer that lives only here."""

import json

import pytest

from tgmon import render
from tgmon.checks.registry import ALL_CHECKS, SINGLE_NODE_CHECKS
from tgmon.state import examples
from tgmon.verdict import UNKNOWN, status_name

from helpers import NOW, run_check


class LinesRenderer:
    """A JSON object per run: enough to show every part of the Result arrives."""

    def render(self, definition, result):
        return json.dumps({
            "check": definition.prog, "status": status_name(result.code),
            "summary": result.summary, "details": list(result.details),
            "perfdata": {p.label: p.value for p in result.perfdata},
            "findings": [f.condition for f in result.verdict.findings] if result.verdict else None,
        }) + "\n"


@pytest.fixture
def test_format():
    render.register("test-lines", LinesRenderer)
    yield "test-lines"
    render._LOADERS.pop("test-lines")


def _argv(definition, path):
    return ["--node" if definition.scope == "cluster" else "--state-dir", path]


EXAMPLE_NAMES = sorted(examples.EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_check_renders_in_another_format_with_the_same_exit_code(state_dir, test_format,
                                                                        name):
    path = state_dir(examples.build(name, NOW))
    for definition in ALL_CHECKS:
        nagios = run_check(definition, _argv(definition, path))
        other = run_check(definition, _argv(definition, path), output_format=test_format)
        shown = json.loads(other.output)
        assert other.code == nagios.code, (definition.prog, other.output)
        assert shown["check"] == definition.prog
        assert shown["status"] == status_name(nagios.code)
        # the same words as the Nagios first line (which only sanitises them)
        assert nagios.text.startswith("%s %s - " % (definition.name, shown["status"]))
        assert shown["findings"], shown
        labels = set(shown["perfdata"])
        assert labels == {item.split("=")[0] for item in nagios.perfdata.split()}


@pytest.mark.parametrize("argv, words", [
    (["--warning-age", "soon"], "bad option: argument --warning-age"),
    (["--state-dir", "/nonexistent/tgmon"], "/nonexistent/tgmon"),
])
def test_failures_go_through_the_chosen_renderer_too(test_format, argv, words):
    outcome = run_check(SINGLE_NODE_CHECKS[0], argv, output_format=test_format)
    shown = json.loads(outcome.output)
    assert outcome.code == UNKNOWN
    assert (shown["status"], shown["findings"], shown["perfdata"]) == ("UNKNOWN", None, {})
    assert words in shown["summary"]


def test_nagios_is_the_default_and_listed_first(test_format):
    assert render.DEFAULT_FORMAT == "nagios"
    assert render.formats() == ["nagios", "checkmk-local", "json", "test-lines"]
    assert render.renderer().render is render.renderer("nagios").render


def test_an_unknown_format_names_the_known_ones():
    with pytest.raises(KeyError, match="no output format 'yaml' \\(known: nagios, checkmk-local, json\\)"):
        render.renderer("yaml")


SANITIZE_CASES = [
    ("printable_untouched", "Größe 4.12 | ok", "Größe 4.12 / ok"),
    ("newline_and_tab", "a\nb\tc\r\nd", "a b c d"),
    ("bidi_override", "invoice\u202egpj.exe", "invoicegpj.exe"),
    ("zero_width_and_bom", "a\u200bb\ufeffc", "abc"),
    ("c0_c1_del", "a\x00b\x1bc\x7fd\x85e", "abcd e"),   # NEL is a line break: a space
    ("lone_surrogate", "a\udcffb", "ab"),
    ("line_separator", "a\u2028b", "a b"),
    ("only_spaces", " \t \n ", ""),
]


@pytest.mark.parametrize("name, text, expected", SANITIZE_CASES,
                         ids=[c[0] for c in SANITIZE_CASES])
def test_sanitize_makes_one_printable_line(name, text, expected):
    """Anything but printable text loses its unsafe characters."""
    from tgmon.safeio.text import sanitize
    assert sanitize(text) == expected
    assert sanitize(text).isprintable()



"""JSON and Checkmk output against golden files (tests/golden/, written by
``make generate``: tools/golden.py), byte for byte; every output of every state
- each example, each state of each shipped scenario, the bad-input cases -
valid against the shipped JSON Schema or Checkmk's local-check grammar."""

import json
import os
import re
import sys

import pytest

from helpers import ROOT
from schemacheck import errors as schema_errors

sys.path.insert(0, os.path.join(ROOT, "tools"))
import golden  # noqa: E402  (tools/ is no package)

from tgmon.render import jsonresult  # noqa: E402

SCHEMA_PATH = os.path.join(os.path.dirname(jsonresult.__file__), jsonresult.SCHEMA_FILE)
with open(SCHEMA_PATH, encoding="utf-8") as _handle:
    SCHEMA = json.load(_handle)

WANTED = golden.files()

# Checkmk's local check: status, service name (quoted when it has spaces, never
# holding a quote), metrics or '-', details; no control character anywhere.
_NUMBER = r"-?\d+(?:\.\d+)?"
_METRIC = r"[A-Za-z0-9_]+=%s(?:;(?:%s)?){0,4}" % (_NUMBER, _NUMBER)
LOCAL_LINE = re.compile(r'^(?P<status>[0-3P]) (?P<name>"[^"\\]+"|[^" ]+) '
                        r'(?P<metrics>-|%s(?:\|%s)*) (?P<details>\S.*)$' % (_METRIC, _METRIC))


def assert_local_line(line):
    assert LOCAL_LINE.match(line), line
    assert line.isprintable() and "\x00" not in line, ascii(line)


def outputs(text):
    """The outputs of a golden text, without their '### ...' heading lines."""
    return [chunk.split("\n", 1)[1] for chunk in text.split("### ")[1:]]


@pytest.mark.parametrize("relative", sorted(WANTED))
def test_golden_file_is_what_the_renderers_print(relative):
    with open(os.path.join(golden.GOLDEN, relative), "rb") as handle:
        assert handle.read() == WANTED[relative].encode("utf-8"), (
            "tests/golden/%s is stale: run make generate and review the diff" % relative)


def test_no_golden_file_is_left_over():
    assert golden.stale(WANTED) == []


def test_every_example_state_and_scenario_has_golden_files_in_both_formats():
    from tgmon.state import examples
    scenarios = [n[:-4] for n in os.listdir(golden.SCENARIOS) if n.endswith(".yml")]
    for fmt in ("json", "checkmk-local"):
        assert {"%s/examples/%s.txt" % (fmt, n) for n in examples.EXAMPLES} <= set(WANTED)
        assert {"%s/scenarios/%s.txt" % (fmt, n) for n in scenarios} <= set(WANTED)
        assert "%s/examples/errors.txt" % fmt in WANTED


def test_every_finding_a_runbook_explains_is_a_problem_in_the_golden_files():
    """Each finding (its runbook anchor) shown as a problem at least once, in both
    formats: the golden set covers every condition, not only the defaults' states."""
    from tgmon.checks.registry import all_checks
    anchors = {(d.prog, anchor) for d in all_checks() for anchor in d.runbook_ids}
    for fmt in ("json", "checkmk-local"):
        shown = set()
        for relative, text in WANTED.items():
            if relative.startswith(fmt + "/"):
                shown.update(re.findall(r"/checks/(check_[a-z_]+)\.html#([a-z-]+)", text))
        assert anchors - shown == set(), fmt
        assert shown <= anchors, sorted(shown - anchors)


def _every_output(fmt):
    """Every output of every state, written to the golden files or not."""
    for relative, text in WANTED.items():
        if relative.startswith(fmt + "/") and "/scenarios/" not in relative:
            yield from outputs(text)
    for name in sorted(os.listdir(golden.SCENARIOS)):
        if name.endswith(".yml"):
            for subjects in golden.scenario_subjects(os.path.join(golden.SCENARIOS, name)):
                for _, _, output, _ in golden.rendered(fmt, subjects):
                    yield output


def test_every_json_output_is_one_valid_document():
    count = 0
    for output in _every_output("json"):
        assert output.endswith("\n") and output.count("\n") == 1, output[:200]
        document = json.loads(output)
        assert schema_errors(document, SCHEMA) == [], output[:300]
        assert document["state"] == ("OK", "WARNING", "CRITICAL", "UNKNOWN")[document["status"]]
        count += 1
    assert count > 1000


def test_every_checkmk_line_fits_the_grammar():
    count = 0
    for output in _every_output("checkmk-local"):
        for line in output.splitlines():
            assert_local_line(line)
            count += 1
    assert count > 1000


# (id, document change, the error the validator must report): the validator is
# honest - each breach of the schema is found.
SCHEMA_BREACHES = [
    ("wrong_schema", {"schema": "tgmon-result/2"}, "$.schema: expected"),
    ("status_out_of_range", {"status": 4}, "$.status: 4 above 3"),
    ("state_unknown_word", {"state": "BAD"}, "$.state: 'BAD' not one of"),
    ("extra_field", {"extra": 1}, "$: extra is not allowed"),
    ("missing_field", {"summary": KeyError}, "$: summary is missing"),
    ("summary_two_lines", {"summary": "a\nb"}, "$.summary: 'a\\nb' does not match"),
    ("naive_generated", {"generated": "2026-11-15T06:00:00"}, "$.generated: '2026"),
    ("checks_not_list", {"checks": {}}, "$.checks: expected array"),
    ("perf_value_string", {"perfdata": [{"label": "x", "value": "1", "unit": "", "warn": None,
                                         "crit": None, "min": None, "max": None}]},
     "$.perfdata[0].value: expected number"),
    ("bool_is_no_status", {"status": True}, "$.status: expected integer"),
    # a Python validator's '$' also matches before a final line break; ECMA-262's not
    ("summary_trailing_newline", {"summary": "a\n"}, "$.summary: 'a\\n' does not match"),
    ("summary_over_160", {"summary": "x" * 161}, "$.summary: 161 characters, more than 160"),
    ("control_in_detail", {"details": ["a\x1bb"]}, "$.details[0]: 'a\\x1bb' does not match"),
    ("line_separator_in_node", {"node": "tg\u2028x"}, "$.node: 'tg\\u2028x' does not match"),
    ("newline_in_fix", {"error": {"cause": "c", "fix": "f\nrm"}}, "$.error.fix: 'f\\nrm'"),
    ("perf_level_no_range", {"perfdata": [{"label": "x", "value": 1, "unit": "", "warn": "5;6",
                                           "crit": None, "min": None, "max": None}]},
     "$.perfdata[0].warn: '5;6' does not match"),
]


@pytest.mark.parametrize("version, valid", [
    ("0.1.0", True), ("1.2", True), ("0.2.0rc1", True), ("1.0.0.dev3", True),
    ("1.0.0+deb12u1", True), ("2.0.0-beta.2", True),
    ("", False), ("v1.0", False), ("1.0 beta", False), ("1.0\n", False)])
def test_a_release_of_any_pep_440_or_debian_form_stays_valid(version, valid):
    """The schema holds tgmon's version, whatever its form: a pre-release must not make
    every document invalid."""
    document = json.loads(outputs(WANTED["json/examples/healthy-single.txt"])[0])
    document["check"]["version"] = version
    assert (schema_errors(document, SCHEMA) == []) is valid


@pytest.mark.parametrize("name, change, expected", SCHEMA_BREACHES,
                         ids=[c[0] for c in SCHEMA_BREACHES])
def test_the_validator_finds_each_breach(name, change, expected):
    document = json.loads(outputs(WANTED["json/examples/healthy-single.txt"])[0])
    assert schema_errors(document, SCHEMA) == []
    for key, value in change.items():
        if value is KeyError:
            del document[key]
        else:
            document[key] = value
    found = schema_errors(document, SCHEMA)
    assert any(error.startswith(expected) for error in found), found


@pytest.mark.parametrize("line, valid", [
    ('0 "TightGate versions" - all fine', True),
    ('2 "TightGate update lock" update_lock=1;;0;0;1|update_lock_age=10800;;;0 locked', True),
    ('P "My service" count=40;30;50 text', True),
    ("0 Unquoted_name - text", True),
    ('4 "TightGate versions" - text', False),             # status beyond 3
    ('0 "Tight"Gate" - text', False),                     # a quote in the name
    ('0 "TightGate versions" - ', False),                 # no text
    ('0 "TightGate versions" x=1s text', False),          # a unit
    ('0 "TightGate versions" x=1|| text', False),         # an empty metric
    ('0 "TightGate versions" x=~:10 text', False),        # a Nagios range as a level
    ("0 two words - text", False),                        # spaces need the quotes
])
def test_the_grammar_table(line, valid):
    assert bool(LOCAL_LINE.match(line)) is valid

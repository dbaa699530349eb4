"""--output-format nagios|json|checkmk-local (issue 22): chosen on the command line,
in --config, before parsing for a usage error; the same exit code in every
format; Checkmk lines that fit the grammar whatever the text holds."""

import json

import pytest

from tgmon.checks.registry import ALL_CHECKS, TIGHTGATE, by_prog
from tgmon.checks.versions import DEFINITION as VERSIONS
from tgmon.render import checkmk
from tgmon.runtime import Result
from tgmon.state import examples
from tgmon.verdict import Perf

from helpers import NOW, run_check
from test_golden import assert_local_line

FORMATS = ("nagios", "json", "checkmk-local")


def _argv(definition, path):
    return ["--node" if definition.scope == "cluster" else "--state-dir", path]


@pytest.mark.parametrize("name", sorted(examples.EXAMPLES))
def test_the_exit_code_is_the_same_in_every_format(state_dir, name):
    path = state_dir(examples.build(name, NOW))
    for definition in ALL_CHECKS:
        codes = {fmt: run_check(definition, _argv(definition, path) + ["--output-format", fmt])
                 for fmt in FORMATS}
        assert len({outcome.code for outcome in codes.values()}) == 1, (definition.prog, codes)
        document = json.loads(codes["json"].output)
        assert document["status"] == codes["nagios"].code
        assert {int(line[0]) for line in codes["checkmk-local"].lines} <= {codes["nagios"].code,
                                                                           0, 1, 2, 3}


def test_check_tightgate_prints_one_checkmk_line_per_aspect(state_dir):
    path = state_dir(examples.update_locked_cluster_node(NOW))
    outcome = run_check(TIGHTGATE, ["--state-dir", path, "--output-format", "checkmk-local"])
    assert [line.split('"')[1] for line in outcome.lines] == [
        "TightGate versions", "TightGate update lock", "TightGate hotfixes",
        "TightGate reboot required", "TightGate maintenance", "TightGate update schedule"]
    # each aspect's own status, as its own plugin judges it
    for line, aspect in zip(outcome.lines, TIGHTGATE.aspects):
        alone = run_check(aspect, ["--state-dir", path])
        assert int(line[0]) == alone.code, (line, alone)
    assert outcome.code == 2


# (id, argv after the state dir, format the answer comes in, exit code)
CHOICE_CASES = [
    ("default_nagios", [], "nagios", 2),
    ("json", ["--output-format", "json"], "json", 2),
    ("equals_form", ["--output-format=checkmk-local"], "checkmk-local", 2),
    ("any_case", ["--output-format", "JSON"], "json", 2),
    ("last_wins", ["--output-format", "json", "--output-format", "nagios"], "nagios", 2),
    ("unknown_format_errs_in_nagios", ["--output-format", "yaml"], "nagios", 3),
    # a Nagios macro without a value: not given, as for the other optional values
    ("empty_is_the_default", ["--output-format="], "nagios", 2),
    ("blank_is_the_default", ["--output-format", " "], "nagios", 2),
    ("usage_error_in_json", ["--output-format", "json", "--critical-age", "x"], "json", 3),
    ("usage_error_in_checkmk", ["--bogus", "--output-format", "checkmk-local"],
     "checkmk-local", 3),
]


def _format_of(output):
    if output.startswith("{"):
        json.loads(output)
        return "json"
    if output[:2] in ("0 ", "1 ", "2 ", "3 "):
        assert_local_line(output.splitlines()[0])
        return "checkmk-local"
    return "nagios"


@pytest.mark.parametrize("name, argv, fmt, code", CHOICE_CASES, ids=[c[0] for c in CHOICE_CASES])
def test_the_format_comes_from_the_option(state_dir, name, argv, fmt, code):
    path = state_dir(examples.update_locked_cluster_node(NOW))
    outcome = run_check(by_prog("check_update_lock"), ["--state-dir", path] + argv)
    assert (_format_of(outcome.output), outcome.code) == (fmt, code), outcome


def test_the_format_comes_from_the_config_file_and_the_command_line_wins(short_tmp, state_dir):
    path = state_dir(examples.download_failed_single(NOW))
    config = short_tmp / "tgmon.yml"
    config.write_text("state_dir: %s\ncheck_versions:\n  output_format: json\n" % path)
    from_file = run_check(VERSIONS, ["--config", str(config)])
    assert json.loads(from_file.output)["state"] == "WARNING" and from_file.code == 1
    given = run_check(VERSIONS, ["--config", str(config), "--output-format", "checkmk-local"])
    assert _format_of(given.output) == "checkmk-local" and given.code == 1
    empty = run_check(VERSIONS, ["--config", str(config), "--output-format="])
    assert json.loads(empty.output)["state"] == "WARNING" and empty.code == 1
    config.write_text("check_versions:\n  output_format: yaml\n")
    bad = run_check(VERSIONS, ["--config", str(config), "--output-format", "json"])
    document = json.loads(bad.output)
    assert bad.code == 3
    assert document["error"] == {"cause": "config %s line 2: output_format is not a valid value"
                                          % config, "fix": "expected one of nagios/checkmk-local/json"}


def test_an_error_is_a_json_document_with_cause_and_fix():
    outcome = run_check(VERSIONS, ["--state-dir", "/nonexistent/tg", "--output-format", "json"])
    document = json.loads(outcome.output)
    assert outcome.code == 3
    assert document["error"] == {"cause": "state dir /nonexistent/tg does not exist",
                                 "fix": "check --state-dir and the writer (docs/appliance.rst)"}
    assert (document["state"], document["checks"], document["perfdata"]) == ("UNKNOWN", [], [])


def test_an_internal_error_is_one_line_in_the_chosen_format(state_dir):
    def broken(definition, opts, now):
        raise RuntimeError("boom\nsecond line")
    path = state_dir(examples.healthy_single(NOW))
    for fmt in FORMATS[1:]:
        outcome = run_check(VERSIONS, ["--state-dir", path, "--output-format", fmt], read=broken)
        assert outcome.code == 3 and len(outcome.lines) == 1, outcome
        assert "internal error: RuntimeError: boom second line" in outcome.output
        assert "Traceback" not in outcome.output


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_long_internal_error_fits_the_first_line_and_keeps_the_fix(state_dir, fmt):
    def broken(definition, opts, now):
        raise RuntimeError("x" * 500)
    path = state_dir(examples.healthy_single(NOW))
    outcome = run_check(VERSIONS, ["--state-dir", path, "--output-format", fmt], read=broken)
    shown = {"nagios": lambda: outcome.text,
             "json": lambda: "VERSIONS UNKNOWN - " + json.loads(outcome.output)["summary"],
             "checkmk-local": lambda: "VERSIONS UNKNOWN - " + outcome.lines[0].split('" - ')[1]}
    first = shown[fmt]()
    assert outcome.code == 3 and len(first) <= 160, (len(first), outcome)
    assert first.startswith("VERSIONS UNKNOWN - internal error: RuntimeError: xxx"), first
    assert first.endswith(" - rerun with -vvv and report it"), first


def _result(summary, details=(), perfdata=(), code=1):
    return Result(code, summary, tuple(details), tuple(perfdata))


# (id, service name, Result, the exact line)
LOCAL_CASES = [
    ("plain", "TightGate versions", _result("all fine", code=0),
     '0 "TightGate versions" - all fine\n'),
    ("long_output_as_backslash_n", "TightGate x", _result("s", ["[WARNING] s", "    d1", "d2"]),
     '1 "TightGate x" - s\\nd1\\nd2\n'),
    ("line_breaks_in_text", "TightGate x", _result("a\nb\r\nc\u2028d"),
     '1 "TightGate x" - a b c d\n'),
    ("backslash_n_from_input", "TightGate x", _result("C:\\new dir"),
     '1 "TightGate x" - C:/new dir\n'),
    ("quote_in_name", 'Tight"Gate', _result("t"), '1 "TightGate" - t\n'),
    ("controls_and_nul", "TightGate x", _result("a\x00b\x1b[31mc\u202ed"),
     '1 "TightGate x" - ab[31mcd\n'),
    ("pipe_in_text", "TightGate x", _result("a | b"), '1 "TightGate x" - a / b\n'),
    ("metrics_sorted_no_units", "TightGate x", _result("t", perfdata=[
        Perf("b_age", 10800, "s", None, None, 0), Perf("a", 1, "", None, 0, 0, 1)]),
     '1 "TightGate x" a=1;;0;0;1|b_age=10800;;;0 t\n'),
    ("nagios_ranges_as_levels", "TightGate x", _result("t", perfdata=[
        Perf("n", 2, "", "0:1", "~:5", 0), Perf("m", 2, "", "@1:3", "10:", 0)]),
     '1 "TightGate x" m=2;;;0|n=2;1;5;0 t\n'),
    ("float_values", "TightGate x", _result("t", perfdata=[Perf("f", 1.23456, "", 2.0, None)]),
     '1 "TightGate x" f=1.235;2 t\n'),
    ("odd_label", "TightGate x", _result("t", perfdata=[Perf("a b-c", 1, "")]),
     '1 "TightGate x" a_b_c=1 t\n'),
    ("empty_summary", "TightGate x", _result(""), '1 "TightGate x" - WARNING\n'),
]


@pytest.mark.parametrize("name, service, result, line", LOCAL_CASES,
                         ids=[c[0] for c in LOCAL_CASES])
def test_checkmk_local_line(name, service, result, line):
    assert checkmk.local_line(service, result) == line


def test_a_long_output_is_cut_to_the_limit_keeping_the_summary_and_the_runbook_link():
    details = ["[WARNING] s"] + ["    HF-%04d %s" % (n, "fixes " * 125) for n in range(1000)] \
        + ["Runbook: http://localhost/tgmon-docs/checks/check_hotfixes.html#pending-count"]
    line = checkmk.local_line("TightGate hotfixes", _result("s", details))
    assert_local_line(line.rstrip("\n"))
    text = line.split('" - ', 1)[1].rstrip("\n")
    parts = text.split("\\n")
    assert len(text) <= checkmk.MAX_TEXT, len(text)
    assert parts[0] == "s" and parts[1].startswith("HF-0000 fixes"), parts[:2]
    assert parts[-1] == details[-1]
    kept = len(parts) - 3
    assert parts[-2] == ("(%d more lines cut to fit 16 KiB: the check's Nagios or JSON output "
                         "has them all)" % (1000 - kept)), parts[-2]
    # what fits stays whole
    assert checkmk.local_line("x", _result("s", details[:5])).count("\\n") == 4


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("number", [float("nan"), float("inf"), -float("inf")])
def test_a_perfdata_number_that_is_no_number_is_refused_never_printed(fmt, number):
    """JSON has no NaN, Checkmk and Nagios no 'inf': a judge's bug is an error (main()
    prints it as an internal error), never output a parser chokes on."""
    from tgmon.render import renderer
    for field in range(5):
        numbers = [1, None, None, 0, None]
        numbers[field] = number
        result = _result("t", perfdata=[Perf("x", numbers[0], "", numbers[1], numbers[2],
                                             numbers[3], numbers[4])])
        with pytest.raises(ValueError, match="a perfdata number is"):
            renderer(fmt).render(VERSIONS, result)


def _block_after(doc, marker):
    """The literal block after the paragraph ending in ``marker``, without its indent."""
    import os
    import re
    from helpers import ROOT
    with open(os.path.join(ROOT, "docs", doc), encoding="utf-8") as handle:
        text = handle.read()
    after = text[text.index(marker) + len(marker):]
    block = re.match(r"\n\n((?:    .*\n|\n)+)", after).group(1)
    return [line[4:] for line in block.splitlines() if line.startswith("    ")]


def test_the_docs_show_the_locked_node_as_the_renderers_print_it():
    from test_golden import WANTED, outputs
    printed = dict(zip(
        [head.split(" ")[0] for head in WANTED["json/examples/update-locked-cluster-node.txt"]
         .split("### ")[1:]],
        outputs(WANTED["json/examples/update-locked-cluster-node.txt"])))
    shown = "\n".join(_block_after("output-json.rst", "prints it on one line)::"))
    assert json.loads(shown) == json.loads(printed["check_update_lock"])
    datasource = WANTED["checkmk-local/datasource.txt"].splitlines()
    start = datasource.index("<<<<tg-node2>>>>")
    assert _block_after("checkmk.rst", "datasource.txt``)::") == \
        datasource[start:datasource.index("<<<<>>>>", start) + 1]

"""The tgmon command: validate, refresh, example."""

import io
import os
import subprocess
from contextlib import redirect_stderr, redirect_stdout

import pytest

from tgmon.state import examples
from tgmon.cli import main
from tgmon.timeutil import utcnow

from helpers import VENV_BIN


def tgmon(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_validate_says_valid_and_fresh(state_dir):
    path = state_dir(examples.build("update-locked-cluster-node", utcnow().astimezone()))
    code, out, err = tgmon("validate", path)
    assert code == 0, err
    assert "valid tgmon/1 state of tg-node2 (cluster-node)" in out
    assert "markers set: warn_flag, update_lock" in out
    assert "%s: fresh (generated within 30m)" % path in out


def test_validate_reports_a_stale_state(state_dir):
    path = state_dir(examples.build("healthy-single"))       # written at a fixed past instant
    code, out, err = tgmon("validate", path)
    assert code == 2
    assert "valid tgmon/1 state" in out
    assert err.startswith("tgmon: state of tg-single is stale: generated ")


def test_validate_honours_the_config_file(state_dir, short_tmp):
    path = state_dir(examples.build("healthy-single", utcnow().astimezone()))
    config = short_tmp / "tgmon.yml"
    config.write_text("state_dir: %s\n" % path)
    code, out, err = tgmon("validate", "--config", str(config))
    assert code == 0 and out.startswith("%s: valid" % path), err
    bad = short_tmp / "bad.yml"
    bad.write_text("stat_dir: /x\n")
    code, out, err = tgmon("validate", "--config", str(bad))
    assert code == 2 and "line 1: unknown option" in err


def test_help_shows_no_markup():
    code, out, _ = tgmon_help()
    assert "``" not in out and "tgmon validate DIR" in out


def tgmon_help():
    out = io.StringIO()
    try:
        with redirect_stdout(out):
            main(["--help"])
    except SystemExit as exc:
        return exc.code, out.getvalue(), ""
    return None, out.getvalue(), ""


def test_version_is_the_plugins_words_with_exit_0():
    """A tool, not a plugin: --version exits 0 (a plugin's -V exits 3, UNKNOWN)."""
    from tgmon import __version__
    for flag in ("--version", "-V"):
        out = io.StringIO()
        try:
            with redirect_stdout(out):
                main([flag])
        except SystemExit as exc:
            code = exc.code
        else:
            code = None
        assert (code, out.getvalue()) == (0, "tgmon (tgmon) %s\n" % __version__)


def test_serve_help_says_what_each_endpoint_means():
    out = io.StringIO()
    try:
        with redirect_stdout(out):
            main(["serve", "--help"])
    except SystemExit:
        pass
    words = " ".join(out.getvalue().split())
    assert "GET /healthz, without a token: 200" in words
    assert "503 {\"status\": \"unavailable\"} while the state cannot be read" in words


def edited_schedule(state):
    """The admin's edit: the scheduled update moved to Saturday 22:15."""
    return state._replace(schedule=state.schedule._replace(
        update=state.schedule.update._replace(weekday="saturday", start="22:15")))


# (id, extra arguments, the update schedule after refresh, what the line says)
REFRESH_CASES = [
    ("edited_schedule_kept", [], ("saturday", "22:15"), "weekly schedule kept as written"),
    ("moved_when_asked", ["--move-schedule"], None, "weekly schedule moved with them"),
]


@pytest.mark.parametrize("name, extra, expected, said", REFRESH_CASES,
                         ids=[c[0] for c in REFRESH_CASES])
def test_refresh_moves_instants_and_the_schedule_only_when_asked(name, extra, expected, said,
                                                                 state_dir):
    from tgmon.sources.statedir import read_state
    from tgmon.state.layout import paths_for
    from tgmon.state.lifecycle import shift_weekly
    before = edited_schedule(examples.build("healthy-single"))    # a fixed past instant
    path = state_dir(before)
    code, out, err = tgmon("refresh", path, *extra)
    assert code == 0, err
    after = read_state(paths_for(path))
    delta = after.generated - before.generated
    assert abs((utcnow() - after.generated).total_seconds()) < 5
    assert after.last_update_run.start == before.last_update_run.start + delta
    moved = shift_weekly("saturday", "22:15", delta.total_seconds())
    assert (after.schedule.update.weekday, after.schedule.update.start) == (expected or moved)
    assert said in out


@pytest.mark.parametrize("argv", [["downtimes", "sync", "--help"], ["state", "--help"]])
def test_the_tools_help_names_the_installed_docs_not_the_repository(argv):
    """A user reads --help on a monitoring host: docs/... of a source tree is nowhere there."""
    from tgmon.options import doc_path
    result = subprocess.run([os.path.join(VENV_BIN, "tgmon")] + argv, capture_output=True,
                            text=True, timeout=30)
    text = " ".join(result.stdout.split())
    assert doc_path("") in text, text[-300:]
    assert " docs/" not in text and "(docs/" not in text, text

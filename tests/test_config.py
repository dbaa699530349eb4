"""--config FILE: defaults for long options and the paths of the state files."""

import os
import shutil

import pytest

from tgmon import examples
from tgmon.checks.versions import DEFINITION

from helpers import NOW, run_check


def _config(tmp_path, text):
    path = tmp_path / "tgmon.yml"
    path.write_text(text)
    return str(path)


def test_state_dir_and_options_from_config(tmp_path, state_dir):
    path = state_dir(examples.download_failed_single(NOW))
    config = _config(tmp_path, "state_dir: %s\ncheck_versions:\n  warn-flag-severity: critical\n"
                               "  warning_age: 1d\n" % path)
    outcome = run_check(DEFINITION, ["--config", config])
    assert outcome.code == 2
    assert outcome.text.startswith("VERSIONS CRITICAL - Update download failed")
    assert "pending_release_age=259200s;86400;2592000;0" in outcome.perfdata


def test_command_line_wins_over_config(tmp_path, state_dir):
    path = state_dir(examples.download_failed_single(NOW))
    config = _config(tmp_path, "state_dir: /nowhere\ncheck_versions:\n  warn_flag_severity: critical\n")
    outcome = run_check(DEFINITION, ["--config", config, "--state-dir", path,
                                     "--warn-flag-severity", "warning"])
    assert outcome.code == 1


def test_files_map_real_appliance_paths(tmp_path, state_dir):
    """Each file can live anywhere: status.json in one place, markers elsewhere."""
    source = state_dir(examples.download_failed_single(NOW))
    appliance = tmp_path / "appliance"
    appliance.mkdir()
    shutil.move(os.path.join(source, "update-warn-flag"), appliance / "warn")
    config = _config(tmp_path, "state_dir: %s\nfiles:\n  warn_flag: %s\n" % (source, appliance / "warn"))
    assert run_check(DEFINITION, ["--config", config]).code == 1
    assert run_check(DEFINITION, ["--state-dir", source]).code == 0


@pytest.mark.parametrize("text, cause", [
    ("state_dir: [unclosed\n", "line 2 is not valid YAML"),
    ("- a\n- b\n", "must be a mapping of option: value"),
    ("bogus: 1\n", "unknown option 'bogus' for check_versions"),
    ("max_age: forever\n", "max_age: 'forever' is not a duration"),
    ("files:\n  lock: /x\n", "unknown file key(s) lock"),
    ("check_versions: 5\n", "section check_versions must be a mapping"),
])
def test_bad_config(tmp_path, text, cause):
    outcome = run_check(DEFINITION, ["--config", _config(tmp_path, text)])
    assert outcome.code == 3
    assert outcome.text.startswith("VERSIONS UNKNOWN - config ")
    assert cause in outcome.text


def test_missing_config(tmp_path):
    outcome = run_check(DEFINITION, ["--config", str(tmp_path / "none.yml")])
    assert outcome.code == 3
    assert "cannot read config" in outcome.text and "No such file" in outcome.text

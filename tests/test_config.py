"""--config FILE: defaults for long options and the paths of the state files."""

import os
import shutil

import pytest

from tgmon.state import examples
from tgmon.checks.versions import DEFINITION

from helpers import NOW, run_check


def _config(short_tmp, text):
    path = short_tmp / "tgmon.yml"
    path.write_text(text)
    return str(path)


def test_state_dir_and_options_from_config(short_tmp, state_dir):
    path = state_dir(examples.download_failed_single(NOW))
    config = _config(short_tmp, "state_dir: %s\ncheck_versions:\n  warn-flag-severity: critical\n"
                               "  warning_age: 1d\n" % path)
    outcome = run_check(DEFINITION, ["--config", config])
    assert outcome.code == 2
    assert outcome.text.startswith("VERSIONS CRITICAL - Update download failed")
    assert "pending_release_age=259200s;86400;2592000;0" in outcome.perfdata


def test_command_line_wins_over_config(short_tmp, state_dir):
    path = state_dir(examples.download_failed_single(NOW))
    config = _config(short_tmp, "state_dir: /nowhere\ncheck_versions:\n  warn_flag_severity: critical\n")
    outcome = run_check(DEFINITION, ["--config", config, "--state-dir", path,
                                     "--warn-flag-severity", "warning"])
    assert outcome.code == 1


def test_files_map_real_appliance_paths(short_tmp, state_dir):
    """Each file can live anywhere: status.json in one place, markers elsewhere."""
    source = state_dir(examples.download_failed_single(NOW))
    appliance = short_tmp / "appliance"
    appliance.mkdir()
    shutil.move(os.path.join(source, "update-warn-flag"), appliance / "warn")
    config = _config(short_tmp, "state_dir: %s\nfiles:\n  warn_flag: %s\n" % (source, appliance / "warn"))
    assert run_check(DEFINITION, ["--config", config]).code == 1
    assert run_check(DEFINITION, ["--state-dir", source]).code == 0


@pytest.mark.parametrize("text, cause", [
    ("state_dir: [unclosed\n", "line 2 is not valid YAML"),
    ("- a\n- b\n", "must be a mapping of option: value"),
    ("bogus: 1\n", "line 1: unknown option - use the long option names of --help"),
    ("max_age: forever\n", "line 1: max_age is not a valid value - expected a duration (e.g. "
                           "90, 15m, 24h, 7d)"),
    ("files:\n  lock: /x\n", "line 2: unknown file key - keys: status, warn_flag"),
    ("check_versions: 5\n", "line 1: section check_versions must be a mapping"),
])
def test_bad_config(short_tmp, text, cause):
    outcome = run_check(DEFINITION, ["--config", _config(short_tmp, text)])
    assert outcome.code == 3
    assert outcome.text.startswith("VERSIONS UNKNOWN - config ")
    assert cause in outcome.text


def test_missing_config(short_tmp):
    outcome = run_check(DEFINITION, ["--config", str(short_tmp / "none.yml")])
    assert outcome.code == 3
    assert outcome.text == ("VERSIONS UNKNOWN - --config %s does not exist - check the path"
                            % (short_tmp / "none.yml"))

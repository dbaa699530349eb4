"""How a first line is fitted into its 160 characters, and how state values read as words."""

import pytest

from tgmon.checks.words import run_kind, run_result, weekly
from tgmon.state.model import ScheduledUpdate, UpdateRun
from tgmon.verdict import fit

HINT = " - check the update server access (proxy, firewall, DNS), then as admin update choose Download"
SINCE = "VERSIONS: Update download failed since today 02:20"


@pytest.mark.parametrize("text, tail, budget, line", [
    # fits: nothing changes
    ("a b", " - c (d)", 20, "a b - c (d)"),
    # the aside in the next step goes before the "since" at the text's end
    (SINCE, HINT, 139, SINCE + " - check the update server access, then as admin update "
                                "choose Download"),
    # the count of more problems is no aside: it stays
    (SINCE, " (+1 more)" + HINT, 139, SINCE + " (+1 more) - check the update server access, "
                                             "then as admin update choose Download"),
    # not enough even so: the text's end is cut at a word, the tail's words stay
    (SINCE, HINT, 100, "VERSIONS: Update download... - check the update server access, then "
                       "as admin update choose Download"),
    # a long word (a path) is shortened in its middle first, the aside stays if that fits
    ("state /var/lib/tgmon/a/very/long/path/to/the/state/status.json unreadable", " - fix (x)",
     70, "state /var/lib/tgm.../to/the/state/status.json unreadable - fix (x)"),
])
def test_fit_shortens_elsewhere_before_the_since(text, tail, budget, line):
    assert fit(text, tail, budget) == line
    assert len(line) <= budget


@pytest.mark.parametrize("kind, result, words", [
    ("scheduled", "ok", ("scheduled", "succeeded")),
    ("scheduled", "no-updates", ("scheduled", "found no updates")),
    ("auto-update", "failed", ("Auto-Update", "failed")),
])
def test_run_values_read_as_words(kind, result, words):
    run = UpdateRun(kind, None, None, result, None)
    assert (run_kind(run), run_result(run)) == words


def test_a_weekly_setting_reads_as_a_short_weekday():
    assert weekly(ScheduledUpdate(True, "wednesday", "03:00")) == "Wed 03:00"

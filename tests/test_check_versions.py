"""check_versions, table-driven: state in -> exit code, first line, perfdata out."""

from datetime import timedelta

import pytest

from tgmon.state import examples
from tgmon.checks.versions import DEFINITION
from tgmon.state.model import Marker, Release

from helpers import DAY, HOUR, NOW, run_check

HEALTHY = examples.healthy_single(NOW)
PERF_HEALTHY = ("last_check_age=7200s;172800;;0 pending_release_age=0s;604800;2592000;0 "
                "releases_behind=0;;1;0 warn_flag=0;;;0;1")
OLDSTABLE = "in Customer service choose Full update from Oldstable (or Partial)"
DOWNLOAD_HINT = ("check the update server access (proxy, firewall, DNS), then as admin update "
                 "choose Download")
INSTALL = "install it: as admin update start Auto-Update"
SERVER = "check the update server access (proxy, firewall, DNS)"


def pending(age, version="4.12"):
    """Healthy single with one newer release released ``age`` ago."""
    return HEALTHY._replace(releases=HEALTHY.releases._replace(
        available=HEALTHY.releases.available + (Release(version, NOW - age, False),)))


def checked(age):
    return HEALTHY._replace(update_server=HEALTHY.update_server._replace(
        last_successful_check=None if age is None else NOW - age))


def perf(check=7200, pending_age=0, behind=0, flag=0):
    return ("last_check_age=%ds;172800;;0 pending_release_age=%ds;604800;2592000;0 "
            "releases_behind=%d;;1;0 warn_flag=%d;;;0;1" % (check, pending_age, behind, flag))


CASES = [
    # id, state, extra args, exit code, first-line text, perfdata
    ("healthy", HEALTHY, [], 0,
     "VERSIONS OK - release 4.11 installed, up to date, update server checked 2h ago",
     PERF_HEALTHY),
    ("r8_warn_flag", examples.download_failed_single(NOW), [], 1,
     "VERSIONS WARNING - Update download failed since today 02:00 - " + DOWNLOAD_HINT,
     perf(pending_age=3 * 86400, behind=1, flag=1)),
    ("r8_warn_flag_severity_critical", examples.download_failed_single(NOW),
     ["--warn-flag-severity", "critical"], 2,
     "VERSIONS CRITICAL - Update download failed since today 02:00 - " + DOWNLOAD_HINT,
     perf(pending_age=3 * 86400, behind=1, flag=1)),
    ("r8_warn_flag_without_reason",
     HEALTHY._replace(flags=HEALTHY.flags._replace(warn_flag=Marker(True, NOW - DAY, ()))),
     [], 1, "VERSIONS WARNING - Update download failed since last Sat 06:00 - " + DOWNLOAD_HINT,
     perf(flag=1)),
    ("r17_two_behind", examples.releases_behind_single(NOW), [], 2,
     "VERSIONS CRITICAL - 2 releases behind, 4.10 installed, 4.12 newest - " + OLDSTABLE,
     perf(pending_age=47 * 86400, behind=2)),
    ("r17_severity_warning", examples.releases_behind_single(NOW),
     ["--skipped-release-severity", "warning", "--critical-age", "60d"], 1,
     "VERSIONS WARNING - 2 releases behind, 4.10 installed, 4.12 newest - " + OLDSTABLE,
     "last_check_age=7200s;172800;;0 pending_release_age=4060800s;604800;5184000;0 "
     "releases_behind=2;;1;0 warn_flag=0;;;0;1"),
    ("pending_young", pending(3 * DAY), [], 0,
     "VERSIONS OK - release 4.12 available for 3d, 4.11 installed, update server checked 2h ago",
     perf(pending_age=3 * 86400, behind=1)),
    ("pending_just_below_warning", pending(7 * DAY - timedelta(seconds=1)), [], 0,
     "VERSIONS OK - release 4.12 available for 6d 23h, 4.11 installed, update server checked "
     "2h ago", perf(pending_age=604799, behind=1)),
    ("pending_at_warning", pending(7 * DAY), [], 1,
     "VERSIONS WARNING - release 4.12 available for 7d, 4.11 installed, longer than 7d - "
     + INSTALL, perf(pending_age=604800, behind=1)),
    ("pending_at_critical", pending(30 * DAY), [], 2,
     "VERSIONS CRITICAL - release 4.12 available for 30d, 4.11 installed, longer than 30d - "
     + INSTALL, perf(pending_age=2592000, behind=1)),
    ("pending_custom_thresholds", pending(3 * DAY), ["--warning-age", "1d", "--critical-age", "2d"],
     2, "VERSIONS CRITICAL - release 4.12 available for 3d, 4.11 installed, longer than 2d - "
     + INSTALL,
     "last_check_age=7200s;172800;;0 pending_release_age=259200s;86400;172800;0 "
     "releases_behind=1;;1;0 warn_flag=0;;;0;1"),
    ("older_release_offered_is_not_pending", pending(100 * DAY, "4.9"), [], 0,
     "VERSIONS OK - release 4.11 installed, up to date, update server checked 2h ago",
     PERF_HEALTHY),
    ("version_sorting_4_9_vs_4_10",
     HEALTHY._replace(releases=HEALTHY.releases._replace(
         installed="4.9", available=(Release("4.10", NOW - DAY, False),))), [], 0,
     "VERSIONS OK - release 4.10 available for 1d, 4.9 installed, update server checked 2h ago",
     perf(pending_age=86400, behind=1)),
    ("server_check_at_limit", checked(2 * DAY), [], 0,
     "VERSIONS OK - release 4.11 installed, up to date, update server checked 2d ago",
     perf(check=172800)),
    ("server_check_too_old", checked(2 * DAY + timedelta(seconds=1)), [], 1,
     "VERSIONS WARNING - no successful update-server check for 2d, limit 2d - " + SERVER,
     perf(check=172801)),
    ("server_check_severity_ok", checked(3 * DAY), ["--stale-server-check-severity", "ok"], 0,
     "VERSIONS OK - release 4.11 installed, up to date, no successful update-server check "
     "for 3d, limit 2d", perf(check=259200)),
    ("server_never_checked", checked(None), [], 1,
     "VERSIONS WARNING - update server never checked successfully - " + SERVER,
     perf(check=40 * 86400)),
    ("server_never_checked_install_time_unknown",
     checked(None)._replace(releases=HEALTHY.releases._replace(installed_at=None)), [], 1,
     "VERSIONS WARNING - update server never checked successfully - " + SERVER,
     perf().split(" ", 1)[1]),      # no last_check_age: its age is unknown, not 0
    ("worst_first_then_others",
     examples.releases_behind_single(NOW)._replace(
         flags=HEALTHY.flags._replace(warn_flag=Marker(True, NOW - HOUR, ("server down",)))),
     [], 2,
     "VERSIONS CRITICAL - 2 releases behind, 4.10 installed, 4.12 newest (+1 more) - " + OLDSTABLE,
     perf(pending_age=47 * 86400, behind=2, flag=1)),
]


@pytest.mark.parametrize("name, state, args, code, text, perfdata", CASES,
                         ids=[c[0] for c in CASES])
def test_check_versions(state_dir, name, state, args, code, text, perfdata):
    outcome = run_check(DEFINITION, ["--state-dir", state_dir(state)] + args)
    assert (outcome.code, outcome.text, outcome.perfdata) == (code, text, perfdata)
    assert len(outcome.shown) <= 160
    if code == 0:
        assert len(outcome.lines) == 1   # the long output is for problems (and -v)
    else:
        assert outcome.lines[1].startswith("[%s] " % ("WARNING", "CRITICAL")[code - 1])


def test_problems_have_their_long_output_and_v_adds_the_ok_details(state_dir):
    path = state_dir(examples.releases_behind_single(NOW))
    outcome = run_check(DEFINITION, ["--state-dir", path])
    assert outcome.lines[1:] == [
        "[CRITICAL] " + outcome.text.split(" - ", 1)[1],
        "    release 4.11 released 2026-09-29 06:00 +01:00 (47d ago), kernel update",
        "    release 4.12 released 2026-11-12 06:00 +01:00 (3d ago)",
        "    skipping a release breaks later updates: catch up from oldstable",
        "[OK] update server checked 2h ago",
        # last, so a mail carrying the long output carries the link (issue 21)
        "Runbook: http://localhost/tgmon-docs/checks/check_versions.html#skipped-release",
    ]
    healthy = run_check(DEFINITION, ["--state-dir", state_dir(pending(2 * DAY)), "-v"])
    assert healthy.lines[1:] == [
        "[OK] release 4.12 available for 2d, 4.11 installed",
        "    release 4.12 released 2026-11-13 06:00 +01:00 (2d ago)",
        "    or let the scheduled update install it",
        "[OK] update server checked 2h ago",
    ]


def test_very_verbose_names_the_source(state_dir):
    path = state_dir(HEALTHY)
    outcome = run_check(DEFINITION, ["--state-dir", path, "-vv"])
    assert outcome.lines[-1] == "source: %s (generated 2026-11-15T06:00:00+01:00)" % path


def test_stale_state_is_unknown(state_dir):
    path = state_dir(HEALTHY)
    outcome = run_check(DEFINITION, ["--state-dir", path], now=NOW + timedelta(minutes=31))
    assert outcome.code == 3
    assert outcome.text == (
        "VERSIONS UNKNOWN - state of tg-single is stale: generated 31m ago, --max-age is 30m - "
        "check that the writer on the node runs (its heartbeat) and its clock")
    assert run_check(DEFINITION, ["--state-dir", path, "--max-age", "1h"],
                     now=NOW + timedelta(minutes=31)).code == 0


def test_future_state_is_unknown(state_dir):
    outcome = run_check(DEFINITION, ["--state-dir", state_dir(HEALTHY)],
                        now=NOW - timedelta(minutes=6))
    assert outcome.code == 3
    assert "in the future - fix the clock (NTP)" in outcome.text
    # a little clock skew is tolerated
    assert run_check(DEFINITION, ["--state-dir", state_dir(HEALTHY)],
                     now=NOW - timedelta(minutes=4)).code == 0

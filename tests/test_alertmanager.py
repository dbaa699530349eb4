"""The Alertmanager target of tgmon downtimes sync, in process: its options and their
errors, the matchers it sets, which silences of an answer are tgmon's, and how a
window that has begun is compared. The stand-ins that lie are in
tests/hostile/test_cores_alertmanager.py, the real Alertmanager in tests/e2e."""

import io
import os

import pytest

from tgmon.cores import Downtime, Found, Ownership
from tgmon.cores.alertmanager import (CHECK_LABEL, FINDING_LABEL, NODE_LABEL, Alertmanager,
                                      AlertmanagerSettings, iso)
from tgmon.downtimes.command import main
from tgmon.downtimes.options import DEFAULT_SILENCED
from tgmon.metrics.registry import BASE_LABELS, by_name
from tgmon.downtimes.sync import describe
from tgmon.downtimes.wanted import begun_now
from tgmon.sources import HttpSettings

from helpers import ROOT

HTTP = HttpSettings(None, None, False, True, 0, None, 5)
OWNER = Ownership("tgmon", "tgmon: ", frozenset({"tg1", "tg2"}))
NODE = ["sync", "--node", "/x"]


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret"
    path.write_text("S3CRET-am\n")
    return str(path)


@pytest.mark.parametrize("extra, words", [
    ([], "give --icinga-url (with --icinga-user, --icinga-password-file), --nagios-command-file "
         "with --nagios-status-file, and/or --alertmanager-url"),
    (["--alertmanager-url", "http://am.example.net:9093", "--alertmanager-token-file",
      "SECRET"], "is not https://: the secret would cross the network in clear"),
    (["--alertmanager-url", "http://am.example.net:9093", "--alertmanager-user", "u",
      "--alertmanager-password-file", "SECRET"], "the secret would cross the network in clear"),
    (["--alertmanager-url", "https://am:9093", "--alertmanager-token-file", "SECRET",
      "--alertmanager-user", "u", "--alertmanager-password-file", "SECRET"],
     "--alertmanager-token-file and a user and password given both"),
    (["--alertmanager-url", "https://am:9093", "--alertmanager-user", "u"],
     "--alertmanager-user and --alertmanager-password-file go together"),
    (["--alertmanager-url", "https://am:9093", "--alertmanager-password-file", "SECRET"],
     "--alertmanager-user and --alertmanager-password-file go together"),
    (["--alertmanager-url", "https://u:pw@am:9093"], "carries a user or password"),
    (["--alertmanager-url", "https://am:9093/?x=1"], "has a query or fragment"),
    (["--alertmanager-url", "ftp://am:9093"], "needs http:// or https://"),
    (["--alertmanager-url", "https://am:9093", "--alertmanager-token-file", "/nonexistent"],
     "--alertmanager-token-file /nonexistent does not exist"),
    (["--alertmanager-url", "https://am:9093", "--alertmanager-ca-file", "/etc/hostname"],
     "--alertmanager-ca-file /etc/hostname holds no PEM certificate"),
    (["--alertmanager-url", "https://am:9093", "--alertmanager-finding", "maintenance;x"],
     "argument --alertmanager-finding: expects CHECK/FINDING"),
    (["--alertmanager-url", "https://am:9093", "--alertmanager-finding", "maintenance"],
     "argument --alertmanager-finding: expects CHECK/FINDING"),
    (["--alertmanager-url", "https://am:9093", "--alertmanager-finding",
      "update_lock/maintenance-active"], "--alertmanager-finding: not a check's finding, e.g. "
     "maintenance/maintenance-active"),
])
def test_alertmanager_usage_errors_are_exit_2_with_one_line(extra, words, secret):
    code, out, err = run(NODE + [secret if value == "SECRET" else value for value in extra])
    assert (code, out) == (2, ""), err
    assert len(err.splitlines()) == 1 and words in err, err
    assert "S3CRET" not in err and "pw" not in err and "Traceback" not in err


def test_a_secret_over_plain_http_goes_to_this_host_only(secret):
    for url in ("http://127.0.0.1:9093", "http://[::1]:9093", "http://localhost:9093"):
        core = Alertmanager(AlertmanagerSettings(url, None, secret, None, None,
                                                 DEFAULT_SILENCED, HTTP), None)
        assert core.session.headers["Authorization"] == "Bearer S3CRET-am"


def core(findings=DEFAULT_SILENCED):
    return Alertmanager(AlertmanagerSettings("http://127.0.0.1:1", None, None, None, None,
                                             findings, HTTP), None)


@pytest.mark.parametrize("findings, matchers", [
    (DEFAULT_SILENCED, {"maintenance": [
        ("check", "maintenance", False), ("finding", "maintenance-active|vnc-disabled", True)]}),
    ([("maintenance", "maintenance-active")], {"maintenance": [
        ("check", "maintenance", False), ("finding", "maintenance-active", False)]}),
    ([("update_lock", "update-lock"), ("maintenance", "vnc-disabled"),
      ("maintenance", "vnc-disabled")], {
        "maintenance": [("check", "maintenance", False), ("finding", "vnc-disabled", False)],
        "update_lock": [("check", "update_lock", False), ("finding", "update-lock", False)]}),
])
def test_a_silence_per_check_matches_its_findings(findings, matchers):
    silences = core(findings)
    assert {check: [(m["name"], m["value"], m["isRegex"]) for m in ms]
            for check, ms in silences.matchers.items()} == matchers
    assert all(m["isEqual"] for ms in silences.matchers.values() for m in ms)
    assert silences.services({"tg1", "tg2"}, ()) == {h: sorted(matchers) for h in ("tg1", "tg2")}


def test_the_matchers_are_the_labels_of_tgmons_metrics():
    """The silence matches the labels the alert rules get from tgmon_finding_status."""
    assert NODE_LABEL in BASE_LABELS
    assert by_name("tgmon_finding_status").labels == (CHECK_LABEL, FINDING_LABEL)


NODE_TG1 = {"name": "node", "value": "tg1", "isRegex": False, "isEqual": True}
CHECK = {"name": "check", "value": "maintenance", "isRegex": False, "isEqual": True}
FINDINGS = {"name": "finding", "value": "maintenance-active|vnc-disabled", "isRegex": True,
            "isEqual": True}


def silence(**changes):
    item = {"id": "8d3b2c1e-0000-4000-8000-000000000001", "status": {"state": "active"},
            "createdBy": "tgmon", "comment": "tgmon: planned maintenance of tg1",
            "startsAt": "2026-11-30T07:25:06.244Z", "endsAt": "2026-11-30T09:00:00.000Z",
            "matchers": [NODE_TG1, CHECK, FINDINGS]}
    item.update(changes)
    return item


START, END = 1796023506, 1796029200    # 2026-11-30 07:25:06 and 09:00:00 UTC

SILENCES = [
    # (id, the silence, what it is to tgmon: a Downtime, "expired" or None)
    ("ours", silence(), Downtime("tg1", "maintenance", START, END, "tgmon: planned maintenance of tg1")),
    ("nanoseconds", silence(startsAt="2026-11-30T07:25:06.244123456Z"),
     Downtime("tg1", "maintenance", START, END, "tgmon: planned maintenance of tg1")),
    ("expired", silence(status={"state": "expired"}), "expired"),
    ("another_author", silence(createdBy="operator"), None),
    ("no_prefix", silence(comment="planned maintenance"), None),
    ("a_node_not_read", silence(matchers=[dict(NODE_TG1, value="tg9")]), None),
    ("a_node_regex", silence(matchers=[dict(NODE_TG1, isRegex=True)]), None),
    ("a_node_not_equal", silence(matchers=[dict(NODE_TG1, isEqual=False)]), None),
    ("two_nodes", silence(matchers=[NODE_TG1, dict(NODE_TG1, value="tg2")]), None),
    ("no_node", silence(matchers=[]), None),
    ("other_findings", silence(matchers=[NODE_TG1, CHECK, dict(FINDINGS, value="a|b")]),
     Downtime("tg1", 'check="maintenance" finding=~"a|b"', START, END,
              "tgmon: planned maintenance of tg1")),
    ("the_node_alone", silence(matchers=[NODE_TG1]),
     Downtime("tg1", "(all alerts)", START, END, "tgmon: planned maintenance of tg1")),
    ("a_flag_that_is_not_a_boolean", silence(matchers=[NODE_TG1, CHECK, dict(
        FINDINGS, isRegex=[1])]), None),
    ("an_id_that_is_a_path", silence(id="../silences"), None),
    ("a_time_without_offset", silence(endsAt="2026-11-30T09:00:00"), None),
    ("a_number_for_a_time", silence(endsAt=1796029200), None),
    ("a_status_that_is_text", silence(status="active"), None),
    ("a_matcher_with_a_line_break", silence(matchers=[NODE_TG1, {
        "name": "x", "value": "a\nb", "isRegex": False, "isEqual": True}]), None),
    ("a_comment_with_an_escape", silence(comment="tgmon: x\x1b[2J"), None),
    ("a_matcher_not_equal_regex", silence(matchers=[NODE_TG1, dict(CHECK, isEqual=False)]),
     Downtime("tg1", 'check!="maintenance"', START, END, "tgmon: planned maintenance of tg1")),
    ("not_an_object", ["tg1"], None),
]


@pytest.mark.parametrize("name, item, expected", SILENCES, ids=[c[0] for c in SILENCES])
def test_which_silences_are_tgmons(name, item, expected):
    found = core()._silence(item, OWNER)
    if expected is None:
        assert found is None
    elif expected == "expired":
        assert found is not None and not isinstance(found, Found)
    else:
        assert found == Found(expected, item["id"])


def test_a_begun_window_is_known_by_its_end_and_comment():
    """Alertmanager begins a silence when it is made: the one made at 07:25:06 for a
    window from 07:00 is that window's; a window not yet begun keeps its start."""
    now = START + 60
    begun = Downtime("tg1", None, START - 1506, END, "tgmon: a")
    later = Downtime("tg1", None, END, END + 3600, "tgmon: b")
    made = Found(Downtime("tg1", None, START, END, "tgmon: a"), "id1")
    wanted, found = begun_now((begun, later, begun), [made], now)
    assert wanted == (begun._replace(start=now), later)
    assert found == [Found(made.downtime._replace(start=now), "id1")]


def test_a_silence_is_described_as_one():
    assert describe(Downtime("tg1", "maintenance", 1, 2, "tgmon: x"), core()) == (
        "silence of tg1 maintenance alerts (tgmon: x)")
    assert iso(START) == "2026-11-30T07:25:06Z"


def test_the_shipped_example_config_with_alertmanager(tmp_path):
    """examples/downtimes.yml with its Alertmanager lines in use, and findings as a list:
    the sync takes them as from the command line; a finding no check has is named."""
    from tgmon.downtimes.command import parse
    from tgmon.errors import UsageError
    with open(os.path.join(ROOT, "examples", "downtimes.yml")) as handle:
        text = handle.read().replace("  # alertmanager_", "  alertmanager_")
    config = tmp_path / "downtimes.yml"
    config.write_text(text + "  alertmanager_finding: [maintenance/maintenance-active]\n")
    opts = parse(["--config", str(config)])
    assert opts.alertmanager_url == "https://alertmanager.example.net:9093"
    assert opts.alertmanager_token_file == "/etc/tgmon/alertmanager.token"
    assert opts.alertmanager_finding == [("maintenance", "maintenance-active")]
    config.write_text(text + "  alertmanager_finding: [maintenance/update-lock]\n")
    with pytest.raises(UsageError) as error:
        parse(["--config", str(config)])
    assert "alertmanager_finding" in error.value.cause, error.value.cause


@pytest.mark.parametrize("downtime, author, words", [
    (Downtime("tg\n1", "maintenance", 1, 2, "tgmon: x"), "tgmon", "node tg 1 holds a line break"),
    (Downtime("tg1", "maintenance", 1, 2, "tgmon: x\u202e"), "tgmon",
     "the comment tgmon: x holds the control character U+202E"),
    (Downtime("tg1", "maintenance", 1, 2, "tgmon: x"), "tg\x1bmon", "the author"),
    (Downtime("tg1", "maintenance", 1, 2, "tgmon: " + "x" * 2000), "tgmon",
     "holds more than 1024 characters"),
    (Downtime("tg1", "maintenance", 2, 2, "tgmon: x"), "tgmon", "ends before it starts"),
    (Downtime("tg1", "update_lock", 1, 2, "tgmon: x"), "tgmon",
     "no silence of tg1's update_lock alerts is configured"),
])
def test_a_field_that_could_shift_is_never_sent(downtime, author, words):
    """Refused before any request (the URL answers nothing): one silence skipped."""
    from tgmon.cores import Refused
    with pytest.raises(Refused) as refused:
        core().schedule(downtime, author)
    assert words in refused.value.cause, refused.value.cause

"""tgmon downtimes sync against a real Alertmanager (Debian's prometheus-alertmanager,
API v2): the simulator's plan of scenarios/planned-windows.yml becomes silences and
goes again, another author's silences stay, a begun window is known again, and a
silence mutes the node's maintenance alert while its update lock alert stays loud.
The installed package's ``tgmon`` runs as the daemon user."""

import os
import time
from datetime import datetime, timezone

import pytest

from .cores import WorkDir, chown_to_daemon_user, need_package
from .promstack import Alertmanager, WebConfig
from .test_downtimes import Scenario, both_maintenances, sync

pytestmark = pytest.mark.e2e


def iso(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def node_of(silence):
    return [m["value"] for m in silence["matchers"] if m["name"] == "node"][0]


def tgmons(am):
    """{id: silence} of tgmon's live silences."""
    return {i: s for i, s in am.silences().items() if s["createdBy"] == "tgmon"}


def windows(am):
    """{(node, start, end)} of tgmon's live silences."""
    return {(node_of(s), int(seconds(s["startsAt"])), int(seconds(s["endsAt"])))
            for s in tgmons(am).values()}


def alert(am, check, finding, node="tg-node1"):
    """An alert of a finding for ``node`` with the labels the rules give it; a function
    that tells its status in Alertmanager."""
    now = time.time()
    status, answer = am.request("POST", "/api/v2/alerts", [{
        "labels": {"alertname": "TgmonE2e_" + finding, "node": node, "check": check,
                   "finding": finding},
        "startsAt": iso(now - 60), "endsAt": iso(now + 3600)}])
    assert status == 200, answer
    return lambda: am.alerts(node=node, finding=finding)[0]["status"]


def test_alertmanager_silences_follow_the_plan_and_never_touch_anothers():
    need_package()
    work = WorkDir("tgmon-e2e-alertmanager-")
    am = None
    report = []
    try:
        scenario = Scenario(work)
        delta = scenario.write("2026-11-17T11:59")   # both maintenances planned
        am = Alertmanager(work)
        nodes = ["--node", scenario.dirs["tg-node1"], "--node", scenario.dirs["tg-node2"],
                 "--lookahead", "12h", "--alertmanager-url", am.base]
        now = time.time()
        operators = {
            am.silence({"node": "tg-node2"}, iso(now), iso(now + 7200), "operator",
                       "rack work"),
            am.silence({"node": "tg-node1", "check": "hotfixes"}, iso(now), iso(now + 7200),
                       "operator", "tgmon: looks like tgmon's, is not")}

        code, out, err = sync(*(nodes + ["--dry-run"]))
        report.append("$ tgmon downtimes sync --dry-run ...\n" + out + err)
        assert (code, err) == (0, ""), (out, err)
        assert len([line for line in out.splitlines()
                    if line.startswith("Alertmanager: would add silence of tg-node")]) == 2, out
        assert "would add silence of tg-node1 maintenance alerts (tgmon: planned" in out, out
        assert "Alertmanager: 2 to add, 0 to remove, 0 unchanged" in out, out
        assert tgmons(am) == {}

        code, out, err = sync(*nodes)
        report.append("$ tgmon downtimes sync ...\n" + out + err)
        assert (code, err) == (0, ""), (out, err)
        assert "Alertmanager: 2 added, 0 removed, 0 unchanged" in out, out
        assert windows(am) == {(node, start, end) for node, _, start, end
                               in both_maintenances(scenario, delta, "")}
        for silence in tgmons(am).values():
            assert sorted((m["name"], m["value"], m["isRegex"], m["isEqual"])
                          for m in silence["matchers"]) == [
                ("check", "maintenance", False, True),
                ("finding", "maintenance-active|vnc-disabled", True, True),
                ("node", node_of(silence), False, True)]
            assert silence["comment"].startswith(
                "tgmon: planned maintenance of %s, " % node_of(silence)), silence
        first = set(tgmons(am))

        code, out, err = sync(*nodes)
        assert (code, err) == (0, "")
        assert "Alertmanager: 0 added, 0 removed, 2 unchanged" in out, out
        assert set(tgmons(am)) == first

        # tg-node2's plan is cancelled at 12:00: its silence is expired, nothing else
        scenario.write("2026-11-17T12:00:30", delta)
        code, out, err = sync(*nodes)
        report.append("$ tgmon downtimes sync ...   (tg-node2's plan cancelled)\n" + out + err)
        assert (code, err) == (0, "")
        assert "Alertmanager: 0 added, 1 removed, 1 unchanged" in out, out
        assert {node_of(s) for s in tgmons(am).values()} == {"tg-node1"}
        assert operators <= set(am.silences())

        # Tuesday 20:59: tg-node1's maintenance runs (begun: Alertmanager starts its
        # silence now) and Wednesday's update comes within 12 h; a second sync knows both
        delta = scenario.write("2026-11-17T20:59")
        code, out, err = sync(*nodes)
        assert (code, err) == (0, ""), (out, err)
        assert "Alertmanager: 2 added, 1 removed, 0 unchanged" in out, out
        code, out, err = sync(*nodes)
        report.append("$ tgmon downtimes sync ...   (twice, inside tg-node1's maintenance)\n"
                      + out + err)
        assert "Alertmanager: 0 added, 0 removed, 2 unchanged" in out, out
        begun = [s for s in tgmons(am).values() if s["status"]["state"] == "active"]
        assert [s["comment"].split(",")[0] for s in begun] == [
            "tgmon: planned maintenance of tg-node1"], begun

        # planned is silent, failed is loud: the maintenance alert is muted by tgmon's
        # silence, the update lock's is not
        maintenance = alert(am, "maintenance", "maintenance-active")
        lock = alert(am, "update_lock", "update-lock")
        maint_only = alert(am, "maintenance", "maint-only")
        assert maint_only()["state"] == "active"           # R7: a failure, loud
        assert maintenance()["state"] == "suppressed"
        assert begun[0]["id"] in maintenance()["silencedBy"]
        assert lock() == {"state": "active", "silencedBy": [], "inhibitedBy": []}

        # 21:00 admin maint ends it early: its silence goes, the alert sounds again
        scenario.write("2026-11-17T21:00:30", delta)
        code, out, err = sync(*nodes)
        report.append("$ tgmon downtimes sync ...   (tg-node1's maintenance ended early)\n"
                      + out + err)
        assert "Alertmanager: 0 added, 1 removed, 1 unchanged" in out, out
        assert [s["comment"].split(",")[0] for s in tgmons(am).values()] == [
            "tgmon: scheduled update of tg-node1"]
        assert begun[0]["id"] not in maintenance()["silencedBy"]
        assert operators <= set(am.silences())      # never another author's
        summary = os.environ.get("TGMON_E2E_REPORT")
        if summary:
            with open(summary, "a") as handle:
                handle.write("tgmon downtimes sync against Alertmanager\n%s\n\n"
                             % "\n".join(report))
    finally:
        if am is not None:
            am.stop()
        work.remove()


def test_an_alertmanager_that_is_gone_is_one_line_exit_2():
    """An Alertmanager that stopped (its port closed): exit 2, one line, within -t."""
    need_package()
    work = WorkDir("tgmon-e2e-alertmanager-gone-")
    am = None
    try:
        scenario = Scenario(work)
        scenario.write("2026-11-17T11:59")
        am = Alertmanager(work)
        base = am.base
        am.stop()
        started = time.monotonic()
        code, out, err = sync("--node", scenario.dirs["tg-node1"], "--alertmanager-url", base,
                              "-t", "5")
        assert time.monotonic() - started < 6 + 5     # -t, and the runuser around it
        assert code == 2 and len(err.splitlines()) == 1, (out, err)
        assert "cannot reach Alertmanager at %s: connection refused" % base in err, err
        assert "Alertmanager: failed" in out, out
    finally:
        if am is not None:
            am.stop()
        work.remove()


def test_alertmanager_behind_tls_and_basic_auth():
    """Alertmanager with a web config (TLS from a CA made here, a basic-auth user): the
    sync verifies it with --alertmanager-ca-file and sends the password from its file;
    a wrong password and a missing CA are one line each, exit 2, never the password."""
    need_package()
    work = WorkDir("tgmon-e2e-alertmanager-web-")
    am = None
    password = "am-secret-%d" % os.getpid()
    try:
        scenario = Scenario(work)
        scenario.write("2026-11-17T11:59")
        web = WebConfig(work, "tgmon-sync", password)
        right = work.write("am.password", password + "\n", 0o600)
        wrong = work.write("wrong.password", "not-it\n", 0o600)
        work.readable()
        for path in (right, wrong):
            os.chmod(path, 0o600)
            chown_to_daemon_user(path)
        am = Alertmanager(work, web)
        nodes = ["--node", scenario.dirs["tg-node1"], "--node", scenario.dirs["tg-node2"],
                 "--lookahead", "12h", "--alertmanager-url", am.base, "--alertmanager-user",
                 "tgmon-sync"]
        code, out, err = sync(*(nodes + ["--alertmanager-ca-file", web.ca,
                                         "--alertmanager-password-file", right]))
        assert (code, err) == (0, ""), (out, err)
        assert "Alertmanager: 2 added, 0 removed, 0 unchanged" in out, out
        assert {node_of(s) for s in tgmons(am).values()} == {"tg-node1", "tg-node2"}

        for extra, words in (
                (["--alertmanager-ca-file", web.ca, "--alertmanager-password-file", wrong],
                 "Alertmanager at %s refused access (HTTP 401)" % am.base),
                (["--alertmanager-password-file", right],
                 "TLS to Alertmanager at %s failed: " % am.base)):
            code, out, err = sync(*(nodes + extra))
            assert code == 2 and len(err.splitlines()) == 1 and words in err, (out, err)
            assert password not in out + err
        assert len(tgmons(am)) == 2
    finally:
        if am is not None:
            am.stop()
        work.remove()

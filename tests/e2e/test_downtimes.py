"""tgmon downtimes sync against a real Icinga 2 (REST API, least-privilege ApiUser,
notifications) and a real Nagios 4 (command pipe, status.dat), driven by the
simulator's states of scenarios/planned-windows.yml; the installed package's
``tgmon`` runs as the daemon user.

The states of two sim instants a minute apart are written with the same time
shift, so what did not change between them (tg-node1's plan) keeps its exact
window and must stay untouched, while tg-node2's cancelled plan must go.
"""

import os
import subprocess
import time
from datetime import timedelta

import pytest

from tgmon.state.lifecycle import shift_state
from tgmon.sim.scenario import load_scenario
from tgmon.state.layout import write_state
from tgmon.timeutil import utcnow

from helpers import ROOT
from remote.servers import BlackHole
from .cores import (TGMON, WorkDir, as_daemon_user, chown_to_daemon_user,
                    free_port, need_package, wait_for)
from .icinga import PREAMBLE, Icinga, api_session, pki, shipped_zones
from .nagios import Nagios

pytestmark = pytest.mark.e2e
SCENARIO = os.path.join(ROOT, "scenarios", "planned-windows.yml")
MASTER = "tgmon-master"
ADMIN_PASSWORD = "admin-%d" % os.getpid()
SYNC_PASSWORD = "sync-secret-%d" % os.getpid()
# the permissions docs/downtimes.rst gives the sync's ApiUser, nothing more
SYNC_PERMISSIONS = ["objects/query/Host", "objects/query/Service", "objects/query/Downtime",
                    "actions/schedule-downtime", "actions/remove-downtime"]


class Scenario:
    """States of the scenario at sim instants, shifted by one fixed delta."""

    def __init__(self, work):
        self.scenario = load_scenario(SCENARIO)
        self.work = work
        self.dirs = {}

    def write(self, instant, delta=None):
        """Write every node's state at ``instant``; with no delta, as of now.
        Returns the delta used."""
        sim = self.scenario.build()
        at = self.scenario.parse_time(instant, None, "instant")
        sim.run_until(at)
        if delta is None:
            delta = utcnow().replace(second=0, microsecond=0) - at
        for name, state in sim.states().items():
            self.dirs[name] = self.work.sub("nodes", name)
            write_state(self.dirs[name], shift_state(state, delta))
        self.work.readable()
        return delta

    def states(self, instant, delta):
        sim = self.scenario.build()
        sim.run_until(self.scenario.parse_time(instant, None, "instant"))
        return {name: shift_state(state, delta) for name, state in sim.states().items()}


def sync(*args, check=True):
    """The installed ``tgmon downtimes sync`` as the daemon user: (code, stdout, stderr)."""
    done = subprocess.run(as_daemon_user([TGMON, "downtimes", "sync"] + list(args)),
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stdout + done.stderr, done
    return done.returncode, done.stdout, done.stderr


def icinga_config(port, notify_script, zones):
    return (PREAMBLE + """const ZoneName = "master"
object Endpoint "%(master)s" { }
object Zone "master" { endpoints = [ "%(master)s" ] }
object Zone "global-templates" { global = true }
object CheckerComponent "checker" { }
object NotificationComponent "notification" { enable_ha = false }
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %(port)d }
object ApiUser "e2e" { password = "%(admin)s"; permissions = [ "*" ] }
object ApiUser "tgmon-sync" { password = "%(sync)s"; permissions = %(permissions)s }
object ApiUser "tgmon-readonly" { password = "%(sync)s"
  permissions = [ "objects/query/Host", "objects/query/Service", "objects/query/Downtime" ] }
object ApiUser "tgmon-blind" { password = "%(sync)s"
  permissions = [ "actions/schedule-downtime", "actions/remove-downtime" ] }
object User "oncall" { enable_notifications = true }
object NotificationCommand "e2e-log" {
  command = [ "%(notify)s", "$notification.type$", "$host.name$", "$service.name$",
              "$service.state$" ]
}
apply Notification "e2e" to Service {
  command = "e2e-log"
  users = [ "oncall" ]
  interval = 0
  assign where host.vars.tightgate
}
object Host "tg-node1" {
  check_command = "dummy"
  vars.tightgate = { mode = "local", role = "cluster-node", state_dir = "%(node1)s" }
}
object Host "tg-node2" {
  check_command = "dummy"
  vars.tightgate = { mode = "local", role = "cluster-node", state_dir = "%(node2)s" }
}
%(extra)s
include_zones "tgmon", "%(zones)s"
""") % {"name": MASTER, "master": MASTER, "port": port, "admin": ADMIN_PASSWORD, "sync": SYNC_PASSWORD,
       "permissions": "[ %s ]" % ", ".join('"%s"' % p for p in SYNC_PERMISSIONS),
       "notify": notify_script, "zones": zones, "node1": "%(node1)s", "node2": "%(node2)s",
       "extra": "%(extra)s"}


class IcingaSetup:
    def __init__(self, work, scenario, extra=""):
        self.work = work
        self.port = free_port()
        self.notifications = os.path.join(work.sub("notify", owned=True), "sent.log")
        script = work.write("notify.sh", "#!/bin/sh\necho \"$*\" >> %s\n" % self.notifications,
                            0o755)
        config = icinga_config(self.port, script, shipped_zones(work)) % {
            "node1": scenario.dirs["tg-node1"], "node2": scenario.dirs["tg-node2"], "extra": extra}
        self.ca = pki(work, (MASTER,), {MASTER: "127.0.0.1"})
        self.icinga = Icinga(work, MASTER, config)
        self.password_file = work.write("sync.password", SYNC_PASSWORD + "\n", 0o600)
        chown_to_daemon_user(self.password_file)
        checked = self.icinga.validate()
        assert checked.returncode == 0, checked.stdout[-3000:]
        work.readable()
        os.chmod(self.password_file, 0o600)
        self.icinga.start()
        self.api = api_session("e2e", ADMIN_PASSWORD)
        self.base = "https://127.0.0.1:%d/v1" % self.port

        def up():
            assert self.icinga.process.poll() is None, open(self.icinga.console.name).read()
            try:
                return self.api.get(self.base + "/status", timeout=2).status_code == 200
            except Exception:
                return False
        wait_for(up, 60, "Icinga 2's API")

    def args(self, user="tgmon-sync", password_file=None):
        return ["--icinga-url", "https://127.0.0.1:%d" % self.port, "--icinga-user", user,
                "--icinga-password-file", password_file or self.password_file,
                "--icinga-ca-file", self.ca]

    def downtimes(self):
        answer = self.api.get(self.base + "/objects/downtimes", timeout=10).json()
        return {r["name"]: r["attrs"] for r in answer["results"]}

    def tgmon_downtimes(self):
        return {name: attrs for name, attrs in self.downtimes().items()
                if attrs["author"] == "tgmon"}

    def post(self, path, body):
        answer = self.api.post(self.base + path, json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def attrs(self, kind, name):
        answer = self.api.get(self.base + "/objects/%s/%s" % (kind, name), timeout=10).json()
        return answer["results"][0]["attrs"]

    def stop(self):
        self.icinga.stop()


def windows_of(downtimes):
    """{(host, service or '', start, end)} of downtimes as the API shows them."""
    return {(a["host_name"], a["service_name"], int(a["start_time"]), int(a["end_time"]))
            for a in downtimes.values()}


def expected_maintenance(state, default=timedelta(hours=2)):
    planned = state.maintenance.planned
    end = planned.end or planned.start + default
    return int(planned.start.timestamp()), int(end.timestamp())


def both_maintenances(scenario, delta, *services):
    """{(host, service, start, end)}: the planned maintenances of tg-node1 and tg-node2
    at Tuesday 11:59, for each of ``services`` ('' for the host's own)."""
    states = scenario.states("2026-11-17T11:59", delta)
    return {(node, service) + expected_maintenance(states[node])
            for node in ("tg-node1", "tg-node2") for service in services}


def test_icinga_add_noop_remove_and_a_failure_still_pages():
    need_package()
    work = WorkDir("tgmon-e2e-downtimes-")
    setup = None
    report = []
    try:
        scenario = Scenario(work)
        delta = scenario.write("2026-11-17T11:59")   # both maintenances planned
        setup = IcingaSetup(work, scenario)
        # 12 h: Tuesday noon sees the maintenances, not yet Wednesday's update at 03:00
        nodes = ["--node", scenario.dirs["tg-node1"], "--node", scenario.dirs["tg-node2"],
                 "--lookahead", "12h"]
        # an operator's own downtime on tg-node2: never touched
        now = int(time.time())
        setup.post("/actions/schedule-downtime", {
            "type": "Host", "filter": 'host.name=="tg-node2"', "start_time": now,
            "end_time": now + 7200, "fixed": True, "author": "operator",
            "comment": "rack work"})

        code, out, err = sync(*(nodes + setup.args() + ["--dry-run"]))
        report.append("$ tgmon downtimes sync --dry-run ...\n" + out + err)
        assert (code, err) == (0, ""), (out, err)
        assert len([line for line in out.splitlines() if line.startswith("Icinga 2: would add ")]) == 4
        assert "Icinga 2: 4 to add, 0 to remove, 0 unchanged" in out
        assert setup.tgmon_downtimes() == {}

        code, out, err = sync(*(nodes + setup.args()))
        report.append("$ tgmon downtimes sync ...\n" + out + err)
        assert (code, err) == (0, ""), (out, err)
        assert windows_of(setup.tgmon_downtimes()) == both_maintenances(
            scenario, delta, "", "tightgate-maintenance")
        for attrs in setup.tgmon_downtimes().values():
            assert attrs["fixed"] is True
            assert attrs["comment"].startswith("tgmon: planned maintenance of tg-node")
        first = set(setup.tgmon_downtimes())

        code, out, err = sync(*(nodes + setup.args()))
        report.append("$ tgmon downtimes sync ...   (again)\n" + out + err)
        assert (code, err) == (0, "")
        assert "Icinga 2: 0 added, 0 removed, 4 unchanged" in out, out
        assert set(setup.tgmon_downtimes()) == first

        # tg-node2's plan is cancelled at 12:00: its downtimes go, nothing else changes
        scenario.write("2026-11-17T12:00:30", delta)
        code, out, err = sync(*(nodes + setup.args()))
        report.append("$ tgmon downtimes sync ...   (tg-node2's plan cancelled)\n" + out + err)
        assert (code, err) == (0, "")
        assert "Icinga 2: 0 added, 2 removed, 2 unchanged" in out, out
        assert windows_of(setup.tgmon_downtimes()) == {
            d for d in both_maintenances(scenario, delta, "", "tightgate-maintenance")
            if d[0] == "tg-node1"}
        operators = [a for a in setup.downtimes().values() if a["author"] == "operator"]
        assert len(operators) == 1 and operators[0]["comment"] == "rack work"

        # Tuesday 20:59, tg-node1's maintenance runs (its window moved with the new shift)
        # and Wednesday's update comes within 12 h; at 21:00 admin maint ends it early
        delta = scenario.write("2026-11-17T20:59")
        code, out, err = sync(*(nodes + setup.args()))
        assert "Icinga 2: 4 added, 2 removed, 0 unchanged" in out, out
        assert "scheduled update of tg-node1" in out
        scenario.write("2026-11-17T21:00:30", delta)
        code, out, err = sync(*(nodes + setup.args()))
        report.append("$ tgmon downtimes sync ...   (tg-node1's maintenance ended early)\n"
                      + out + err)
        assert "Icinga 2: 0 added, 2 removed, 2 unchanged" in out, out
        assert {a["comment"].split(",")[0] for a in setup.tgmon_downtimes().values()} == {
            "tgmon: scheduled update of tg-node1"}

        # Thursday: tg-node2's update window is on, and its download fails inside it
        scenario.write("2026-11-19T02:30")
        code, out, err = sync(*(nodes + setup.args()))
        report.append("$ tgmon downtimes sync ...   (tg-node2's update window)\n" + out + err)
        assert "Icinga 2: 2 added, 2 removed, 0 unchanged" in out, out   # tg-node1's is over
        assert {a["comment"].split(",")[0] for a in setup.tgmon_downtimes().values()} == {
            "tgmon: scheduled update of tg-node2"}
        wait_for(lambda: setup.attrs("hosts", "tg-node2")["downtime_depth"] >= 1, 30,
                 "the host downtime in effect")
        scenario.write("2026-11-19T03:25")           # lock set at 03:20, no sync yet
        lock = "tg-node2!tightgate-update_lock"

        def notified():
            setup.post("/actions/reschedule-check", {
                "type": "Service", "filter": 'host.name=="tg-node2"', "force": True})
            if not os.path.exists(setup.notifications):
                return None
            with open(setup.notifications) as handle:
                lines = handle.read().splitlines()
            return [line for line in lines if "tightgate-update_lock" in line] or None
        sent = wait_for(notified, 120, "the update lock's notification", step=2)
        assert sent[0] == "PROBLEM tg-node2 tightgate-update_lock CRITICAL", sent
        assert setup.attrs("services", lock)["downtime_depth"] == 0
        assert setup.attrs("hosts", "tg-node2")["downtime_depth"] >= 1   # while the host's is on
        code, out, err = sync(*(nodes + setup.args()))
        report.append("$ tgmon downtimes sync ...   (update lock on tg-node2)\n" + out + err)
        assert "Icinga 2: 0 added, 2 removed, 0 unchanged" in out, out   # the failed window
        assert setup.tgmon_downtimes() == {}
        summary = os.environ.get("TGMON_E2E_REPORT")
        if summary:
            with open(summary, "a") as handle:
                handle.write("tgmon downtimes sync against Icinga 2 (ApiUser with %s)\n"
                             % ", ".join(SYNC_PERMISSIONS))
                handle.write("\n".join(report) + "\n")
                handle.write("notification during the host downtime: %s\n\n" % sent[0])
    finally:
        if setup is not None:
            setup.stop()
        work.remove()


def test_icinga_refusals_are_one_line_exit_2_without_the_password():
    """Wrong password (401), a user without the actions (403), no CA (TLS), a closed
    port, a server that never answers: exit 2, one line, within -t, no password."""
    need_package()
    work = WorkDir("tgmon-e2e-downtimes-bad-")
    setup = hole = None
    try:
        scenario = Scenario(work)
        scenario.write("2026-11-17T11:59")
        setup = IcingaSetup(work, scenario)
        nodes = ["--node", scenario.dirs["tg-node1"]]
        wrong = work.write("wrong.password", "not-the-password\n", 0o600)
        chown_to_daemon_user(wrong)
        hole = BlackHole()
        url_at = setup.args().index("--icinga-url") + 1
        closed = list(setup.args())
        closed[url_at] = "https://127.0.0.1:%d" % free_port()
        silent = list(setup.args())
        silent[url_at] = "https://127.0.0.1:%d" % hole.port
        no_ca = setup.args()[:-2]
        cases = [
            ("401", setup.args(password_file=wrong), "refused user tgmon-sync (HTTP 401)"),
            # Icinga 2 answers 404 "No objects found" for an action the user may not use
            ("no_action_permission", setup.args(user="tgmon-readonly"),
             "ApiUser tgmon-readonly may not use /v1/actions/schedule-downtime (HTTP 404"),
            ("no_query_permission", setup.args(user="tgmon-blind"),
             "ApiUser tgmon-blind may not use /v1/objects/hosts (HTTP 404"),
            ("tls", no_ca, "certificate of an unknown CA"),
            ("closed", closed, "connection refused"),
            ("black_hole", silent + ["-t", "3"], "within -t"),
        ]
        for name, args, words in cases:
            started = time.monotonic()
            code, out, err = sync(*(nodes + args))
            took = time.monotonic() - started
            assert code == 2, (name, out, err)
            lines = err.splitlines()
            assert len(lines) == 1 and words in lines[0], (name, err)
            everything = out + err
            assert SYNC_PASSWORD not in everything and "not-the-password" not in everything
            assert took < (3 + 1 + 2 if name == "black_hole" else 30), (name, took)
        assert not any(a["author"] == "tgmon" for a in setup.downtimes().values())
    finally:
        if hole is not None:
            hole.close()
        if setup is not None:
            setup.stop()
        work.remove()


NAGIOS_OBJECTS = """
define host {
    name                    e2e-node
    register                0
    check_command           return-ok
    max_check_attempts      1
    check_interval          5
    retry_interval          1
    check_period            24x7
    notification_interval   0
    notification_period     24x7
    contacts                e2e-oncall
}
define service {
    name                    e2e-service
    register                0
    max_check_attempts      1
    check_interval          5
    retry_interval          1
    check_period            24x7
    notification_interval   0
    notification_period     24x7
    contacts                e2e-oncall
}
define command {
    command_name    e2e-notify
    command_line    /usr/bin/printf "%%b" "$NOTIFICATIONTYPE$ $HOSTNAME$/$SERVICEDESC$ $SERVICESTATE$\\n" >> %(log)s
}
define contact {
    contact_name                    e2e-oncall
    host_notifications_enabled      0
    service_notifications_enabled   1
    host_notification_period        24x7
    service_notification_period     24x7
    host_notification_options       n
    service_notification_options    w,u,c,r
    host_notification_commands      e2e-notify
    service_notification_commands   e2e-notify
}
"""
NAGIOS_NODE = """
define host {
    use                     e2e-node
    host_name               %(node)s
    address                 127.0.0.1
    _TGMON_STATE_DIR        %(dir)s
}
define service {
    use                     e2e-service
    host_name               %(node)s
    service_description     TightGate maintenance
    check_command           tgmon_maintenance
}
define service {
    use                     e2e-service
    host_name               %(node)s
    service_description     TightGate update lock
    check_command           tgmon_update_lock
}
"""


def nagios_setup(work, scenario):
    nagios = Nagios(work)
    log = os.path.join(nagios.var, "notifications.log")
    objects = NAGIOS_OBJECTS % {"log": log} + "".join(
        NAGIOS_NODE % {"node": node, "dir": path} for node, path in sorted(scenario.dirs.items()))
    work.write(os.path.join("conf.d", "e2e.cfg"), objects)
    nagios.start()
    return nagios, log


def ours(nagios):
    return {(d["host_name"], d.get("service_description", ""), int(d["start_time"]),
             int(d["end_time"])) for d in nagios.downtimes() if d["author"] == "tgmon"}


def test_nagios_add_noop_remove():
    need_package()
    work = WorkDir("tgmon-e2e-downtimes-nagios-")
    nagios = None
    try:
        scenario = Scenario(work)
        delta = scenario.write("2026-11-17T11:59")
        nagios, _ = nagios_setup(work, scenario)
        args = ["--node", scenario.dirs["tg-node1"], "--node", scenario.dirs["tg-node2"],
                "--lookahead", "12h", "--nagios-command-file", nagios.command_file,
                "--nagios-status-file", nagios.status_file]
        now = int(time.time())
        nagios.command("SCHEDULE_SVC_DOWNTIME;tg-node2;TightGate maintenance;%d;%d;1;0;3600;"
                       "operator;rack work" % (now, now + 3600))
        wait_for(lambda: any(d["author"] == "operator" for d in nagios.downtimes()), 30,
                 "the operator's downtime")

        code, out, err = sync(*(args + ["--dry-run"]))
        assert (code, err) == (0, ""), (out, err)
        assert "Nagios: 2 to add, 0 to remove, 0 unchanged" in out, out
        code, out, err = sync(*args)
        assert (code, err) == (0, ""), (out, err)
        assert "Nagios: 2 added, 0 removed, 0 unchanged" in out, out
        states = scenario.states("2026-11-17T11:59", delta)
        one, two = (expected_maintenance(states[n]) for n in ("tg-node1", "tg-node2"))
        assert ours(nagios) == {("tg-node1", "TightGate maintenance", *one),
                                ("tg-node2", "TightGate maintenance", *two)}
        code, out, err = sync(*args)                     # status.dat already shows them
        assert "Nagios: 0 added, 0 removed, 2 unchanged" in out, out

        code, out, err = sync(*(args + ["--nagios-host-downtime"]))
        assert "Nagios: 2 added, 0 removed, 2 unchanged" in out, out
        assert ("tg-node1", "", *one) in ours(nagios)

        scenario.write("2026-11-17T12:00:30", delta)    # tg-node2's plan cancelled
        code, out, err = sync(*(args + ["--nagios-host-downtime"]))
        assert (code, err) == (0, "")
        assert "Nagios: 0 added, 2 removed, 2 unchanged" in out, out
        assert ours(nagios) == {("tg-node1", "", *one), ("tg-node1", "TightGate maintenance", *one)}
        assert [d["comment"] for d in nagios.downtimes() if d["author"] == "operator"] == [
            "rack work"]
    finally:
        if nagios is not None:
            nagios.stop()
        work.remove()


def test_nagios_mutes_the_services_of_a_host_in_downtime():
    """Why the sync schedules no Nagios host downtime unless asked: Nagios sends no
    service notification while the service's host is in a downtime (Icinga 2 does,
    see the Icinga test above), so a host downtime would mute an update lock.
    Both hosts read the same locked state; only tg-node2's host is in a downtime."""
    need_package()
    work = WorkDir("tgmon-e2e-nagios-mute-")
    nagios = None
    try:
        scenario = Scenario(work)
        delta = scenario.write("2026-11-19T03:25")           # tg-node2: update lock
        write_state(scenario.dirs["tg-node1"],
                    scenario.states("2026-11-19T03:25", delta)["tg-node2"])
        work.readable()
        nagios, log = nagios_setup(work, scenario)
        now = int(time.time())
        nagios.command("SCHEDULE_HOST_DOWNTIME;tg-node2;%d;%d;1;0;3600;operator;test"
                       % (now, now + 3600))
        wait_for(lambda: any(d["author"] == "operator" for d in nagios.downtimes()), 30,
                 "the host downtime")
        keys = ["tg-node1;TightGate update lock", "tg-node2;TightGate update lock"]

        def notified():
            nagios.command(*("SCHEDULE_FORCED_SVC_CHECK;%s;%d" % (key, int(time.time()))
                             for key in keys))
            status = nagios.services()
            hard = all(status.get(k, {}).get("state_type") == "1" and
                       status[k]["current_state"] == "2" for k in keys)
            sent = open(log).read() if os.path.exists(log) else ""
            return sent if hard and "tg-node1/TightGate update lock" in sent else None
        sent = wait_for(notified, 60, "tg-node1's update lock notified", step=1)
        time.sleep(2)      # tg-node2's went HARD at the same time: give it every chance
        sent = open(log).read()
        assert "PROBLEM tg-node1/TightGate update lock CRITICAL" in sent, sent
        assert "tg-node2/TightGate update lock" not in sent, sent
    finally:
        if nagios is not None:
            nagios.stop()
        work.remove()


# ---------------------------------------------------------------- hostile nodes (issue 18)
INJECTION = "disk swap;\n[0] DEL_HOST_DOWNTIME;1\r\x1b[2J;DEL_SVC_DOWNTIME;1\u2028$(id)"


def hostile_nodes(work):
    """Beside tg-node1 (its reason an injection attempt) and tg-node2 of the scenario:
    a dir 'evil' whose state calls itself tg-node1, a clone of it named tg-node2 on the
    command line, a node whose name holds ';' and a line break, and tg-node3 whose
    planned maintenance ends before it starts. Returns the scenario, the states' time
    shift and the --node arguments."""
    scenario = Scenario(work)
    delta = scenario.write("2026-11-17T11:59")
    states = scenario.states("2026-11-17T11:59", delta)
    one = states["tg-node1"]
    planned = one.maintenance.planned
    write_state(scenario.dirs["tg-node1"], one._replace(maintenance=one.maintenance._replace(
        planned=planned._replace(reason=INJECTION))))
    later = planned._replace(start=planned.start + timedelta(hours=3),
                             end=planned.end + timedelta(hours=3))
    evil, clone = work.sub("nodes", "evil"), work.sub("nodes", "clone")
    for path in (evil, clone):
        write_state(path, one._replace(maintenance=one.maintenance._replace(planned=later)))
    named = work.sub("nodes", "tg-node5")
    write_state(named, one._replace(node=one.node._replace(
        name="tg-node1;\n[0] DEL_HOST_DOWNTIME;1")))
    backwards = work.sub("nodes", "tg-node3")
    write_state(backwards, one._replace(node=one.node._replace(name="tg-node3"),
                                        maintenance=one.maintenance._replace(planned=planned._replace(
                                            end=planned.start - timedelta(hours=1)))))
    scenario.dirs["tg-node3"] = backwards
    work.readable()
    return scenario, delta, [
        "--node", scenario.dirs["tg-node1"], "--node", scenario.dirs["tg-node2"],
        "--node", evil, "--node", "tg-node2=" + clone, "--node", named,
        "--node", backwards, "--lookahead", "12h"]


HOSTILE_LINES = [
    "nodes/evil calls itself tg-node1, which neither a NAME nor its source names",
    "nodes/clone is configured as tg-node2 but calls itself tg-node1",
    "nodes/tg-node5 calls itself tg-node1; [0] DEL_HOST_DOWNTIME;1, which neither",
    "node tg-node3: its planned maintenance ends",
]


def assert_hostile_run(code, out, err):
    assert code == 1, (out, err)
    lines = err.splitlines()
    assert len(lines) == len(HOSTILE_LINES), err
    for words in HOSTILE_LINES:
        assert len([line for line in lines if words in line]) == 1, (words, err)
    assert all(line.isprintable() for line in (out + err).splitlines()), (out, err)


def test_icinga_hostile_nodes_leave_other_hosts_alone():
    """Real Icinga 2: a node that claims another host, a name with ';' and a line break,
    a window that ends before it starts, a reason that tries to inject commands - the
    core holds exactly tg-node1's and tg-node2's own windows afterwards, the operator's
    downtime untouched, nothing on tg-node3; a name with ';' is refused outright."""
    need_package()
    work = WorkDir("tgmon-e2e-downtimes-hostile-")
    setup = None
    try:
        scenario, delta, nodes = hostile_nodes(work)
        setup = IcingaSetup(work, scenario, extra='object Host "tg-node3" { check_command = '
                                                  '"dummy" }')
        now = int(time.time())
        setup.post("/actions/schedule-downtime", {
            "type": "Host", "filter": 'host.name=="tg-node1"', "start_time": now,
            "end_time": now + 7200, "fixed": True, "author": "operator",
            "comment": "tgmon: rack work"})
        code, out, err = sync(*(nodes + setup.args()))
        assert_hostile_run(code, out, err)
        assert windows_of(setup.tgmon_downtimes()) == both_maintenances(
            scenario, delta, "", "tightgate-maintenance")
        for attrs in setup.tgmon_downtimes().values():
            comment = attrs["comment"]
            assert comment.isprintable() and ";" not in comment and "$" not in comment
        operators = [a for a in setup.downtimes().values() if a["author"] == "operator"]
        assert [a["comment"] for a in operators] == ["tgmon: rack work"]

        # again: nothing changes, and the operator's downtime (our prefix, not our author)
        # is never removed
        code, out, err = sync(*(nodes + setup.args()))
        assert_hostile_run(code, out, err)
        assert "Icinga 2: 0 added, 0 removed, 4 unchanged" in out, out
        assert len([a for a in setup.downtimes().values() if a["author"] == "operator"]) == 1

        # a host name that could shift a field is refused before anything happens
        for bad in (["--node", "tg;1=" + scenario.dirs["tg-node1"]],
                    ["--node", scenario.dirs["tg-node1"], "--host-name-format", "{node};x"]):
            code, out, err = sync(*(bad + setup.args()))
            assert code == 2 and len(err.splitlines()) == 1, (out, err)
        assert len(setup.tgmon_downtimes()) == 4
    finally:
        if setup is not None:
            setup.stop()
        work.remove()


def test_nagios_hostile_nodes_leave_other_hosts_alone():
    """Real Nagios 4, the same hostile nodes: exactly tg-node1's and tg-node2's own
    windows, the operator's downtime untouched, no command for anything else, the
    injection in one comment without ';'."""
    need_package()
    work = WorkDir("tgmon-e2e-downtimes-nagios-hostile-")
    nagios = None
    try:
        scenario, delta, nodes = hostile_nodes(work)
        nagios, _ = nagios_setup(work, scenario)
        args = nodes + ["--nagios-command-file", nagios.command_file, "--nagios-status-file",
                        nagios.status_file, "--nagios-host-downtime"]
        now = int(time.time())
        nagios.command("SCHEDULE_SVC_DOWNTIME;tg-node1;TightGate maintenance;%d;%d;1;0;3600;"
                       "operator;tgmon: rack work" % (now, now + 3600))
        wait_for(lambda: any(d["author"] == "operator" for d in nagios.downtimes()), 30,
                 "the operator's downtime")
        code, out, err = sync(*args)
        assert_hostile_run(code, out, err)
        assert ours(nagios) == both_maintenances(scenario, delta, "", "TightGate maintenance")
        for downtime in nagios.downtimes():
            if downtime["author"] == "tgmon" and downtime["host_name"] == "tg-node1":
                assert downtime["comment"].isprintable() and ";" not in downtime["comment"]
                assert "disk swap, [0] DEL_HOST_DOWNTIME,1" in downtime["comment"], downtime
        assert [d["comment"] for d in nagios.downtimes() if d["author"] == "operator"] == [
            "tgmon: rack work"]
        assert "DEL_HOST_DOWNTIME;1" not in nagios.log()      # the injection sent nothing
        code, out, err = sync(*args)
        assert "Nagios: 0 added, 0 removed, 4 unchanged" in out, out
    finally:
        if nagios is not None:
            nagios.stop()
        work.remove()

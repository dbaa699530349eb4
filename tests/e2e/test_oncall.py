"""On call in the real cores (issue 21), with the installed package.

Icinga 2 (a master with the shipped templates, constants, apply rules and
on-call file; a notification command that runs the installed package's stock
mail-service-notification.sh with a fake ``mail`` that keeps every message):
a problem's mail carries its runbook link, and a real Apache with the
package's conf-available snippet serves that page with the anchor. Then one
node's exporter is stopped: exactly one mail for that node (its
tightgate-reachable, naming the cause); started again: exactly one recovery.

Nagios 4 (the shipped sample on the stock nagios.cfg): the same outage, the
same counts, through the sample's servicedependency.

Timing: every interval of the shipped files is scaled down by one factor, so
their ratios - the reachable service checked more often and HARD sooner than
what depends on it - are the shipped ones. At the outage the node's other
services are checked at once, the worst moment for the dependency.
"""

import os
import re
import shutil
import subprocess
import time

import pytest
import requests

from remote.servers import Exporter, self_signed
from .apache import Apache
from .cores import (WorkDir, TGMON, chown_to_daemon_user, daemon_user, free_port, need_package,
                    simulated_nodes, wait_for)
from .icinga import PREAMBLE, Icinga, api_session, api_up, pki, shipped_zones
from .nagios import Nagios
from .test_nagios import Nrpe, adapted_sample

pytestmark = pytest.mark.e2e
PASSWORD = "e2e-oncall-%d" % os.getpid()
MASTER = "tgmon-master"
STOCK_MAIL_SCRIPT = "/etc/icinga2/scripts/mail-service-notification.sh"
# a stand-in for mail(1): each message the stock script pipes, with its arguments
FAKE_MAIL = """#!/bin/sh
out=$(mktemp "$TGMON_E2E_MAILS/mail.XXXXXX")
{ printf '%s\\n' "$@"; printf -- '--\\n'; cat; } > "$out"
"""

MASTER_CONFIG = PREAMBLE + """const ZoneName = "master"
object Endpoint "%(name)s" { host = "127.0.0.1"; port = %(port)d }
object Zone "master" { endpoints = [ "%(name)s" ] }
object Zone "global-templates" { global = true }
object CheckerComponent "checker" {}
object NotificationComponent "notification" {}
object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %(port)d
                           accept_commands = true; accept_config = true }
object ApiUser "e2e" { password = "%(password)s"; permissions = [ "*" ] }
include_zones "tgmon", "%(zones)s"
"""

# tg-node1 healthy (its exporter is stopped), tg-node2 with an update lock and
# more; the cluster of both, its nodes monitored as hosts here
HOSTS = """
object Host "tg-node1" {
  check_command = "dummy"
  vars.tightgate = { mode = "agentless", role = "cluster-node", url = "%(url1)s" }
}
object Host "tg-node2" {
  check_command = "dummy"
  vars.tightgate = { mode = "agentless", role = "cluster-node", url = "%(url2)s" }
}
object Host "tgc-berlin" {
  check_command = "dummy"
  vars.tightgate_cluster = { nodes = [ "%(url1)s", "%(url2)s" ], nodes_monitored = true }
}
object User "oncall" { email = "oncall@example.net" }
/* what the stock mail-service-notification command passes, from the macros it uses */
object NotificationCommand "tgmon-e2e-mail" {
  command = [ "%(script)s" ]
  arguments = {
    "-d" = "$icinga.long_date_time$"
    "-e" = "$service.name$"
    "-l" = "$host.name$"
    "-n" = "$host.display_name$"
    "-o" = "$service.output$"
    "-r" = "$user.email$"
    "-s" = "$service.state$"
    "-t" = "$notification.type$"
    "-u" = "$service.display_name$"
  }
  env = { PATH = "%(bin)s:/usr/bin:/bin", TGMON_E2E_MAILS = "%(mails)s" }
}
apply Notification "mail" to Service {
  command = "tgmon-e2e-mail"
  users = [ "oncall" ]
  interval = 0
  assign where true
}
"""


def _scaled(text, factor):
    """Every Icinga 2 duration in minutes or hours, ``factor`` times shorter, in seconds."""
    return re.sub(r"\b(\d+)([mh])\b", lambda m: "%ds" % (
        int(m.group(1)) * (60 if m.group(2) == "m" else 3600) // factor), text)


def _scale_zones(zones, factor, docs_url):
    for name in (os.path.join("master", "tgmon-constants.conf"),
                 os.path.join("global-templates", "tgmon-templates.conf")):
        path = os.path.join(zones, name)
        with open(path) as handle:
            text = handle.read()
        text = _scaled(text, factor)
        if name.endswith("constants.conf"):
            shipped = 'const TgmonDocsUrl = "http://localhost/tgmon-docs"'
            assert shipped in text
            text = text.replace(shipped, 'const TgmonDocsUrl = "%s"' % docs_url)
        with open(path, "w") as handle:
            handle.write(text)


class Mails:
    """The messages the fake mail(1) kept: (subject, body) in the order they came."""

    def __init__(self, work):
        self.dir = work.sub("mails", owned=True)
        bin_dir = work.sub("bin")
        work.write(os.path.join("bin", "mail"), FAKE_MAIL, 0o755)
        self.bin = bin_dir
        self.script = os.path.join(work.path, "mail-service-notification.sh")
        shutil.copy(STOCK_MAIL_SCRIPT, self.script)   # as the installed icinga2 ships it
        os.chmod(self.script, 0o755)

    def all(self):
        found = []
        for name in os.listdir(self.dir):
            path = os.path.join(self.dir, name)
            with open(path) as handle:
                args, _, body = handle.read().partition("--\n")
            args = args.splitlines()
            found.append((os.stat(path).st_mtime, args[args.index("-s") + 1], body))
        return [(subject, body) for _, subject, body in sorted(found)]


def test_the_package_installs_the_runbooks_and_the_apache_snippet_not_enabled():
    need_package()
    from tgmon.checks.registry import all_checks
    html = "/usr/share/doc/tgmon/html"
    for definition in all_checks():
        path = os.path.join(html, "checks", definition.prog + ".html")
        assert os.stat(path).st_mode & 0o777 == 0o644, path
        with open(path, encoding="utf-8") as handle:
            page = handle.read()
        for anchor in ("runbook",) + definition.runbook_ids:
            assert 'id="%s"' % anchor in page, (path, anchor)
    assert os.path.isfile(os.path.join(html, "index.html"))
    snippet = "/etc/apache2/conf-available/tgmon.conf"
    with open(snippet) as handle:
        assert "Alias /tgmon-docs %s\n" % html in handle.read()
    conffiles = subprocess.run(["dpkg-query", "-W", "-f=${Conffiles}", "tgmon"],
                               capture_output=True, text=True, check=True).stdout
    assert snippet in conffiles.split()
    assert not os.path.exists("/etc/apache2/conf-enabled/tgmon.conf")   # not enabled


def test_icinga2_mails_the_runbook_that_apache_serves_and_an_outage_pages_once():
    need_package()
    work = WorkDir("tgmon-e2e-oncall-")
    exporters = {}
    apache = master = None
    try:
        nodes = simulated_nodes(work)
        port1 = free_port()
        exporters["tg-node1"] = Exporter("--state-dir", nodes["tg-node1"], path=TGMON,
                                         port=port1)
        exporters["tg-node2"] = Exporter("--state-dir", nodes["tg-node2"], path=TGMON)
        apache = Apache(work)
        docs = apache.url("/tgmon-docs")
        mails = Mails(work)
        zones = shipped_zones(work)
        _scale_zones(zones, 30, docs)
        with open(os.path.join(zones, "master", "hosts.conf"), "w") as handle:
            handle.write(HOSTS % {"url1": exporters["tg-node1"].url(),
                                  "url2": exporters["tg-node2"].url(), "script": mails.script,
                                  "bin": mails.bin, "mails": mails.dir})
        api_port = free_port()
        pki(work, (MASTER,))
        master = Icinga(work, MASTER, MASTER_CONFIG % {
            "name": MASTER, "port": api_port, "password": PASSWORD, "zones": zones})
        checked = master.validate()
        assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
        # no agent host and no all-in-one host here: only their rules match nothing
        unmatched = re.findall(r"Apply rule '([\w-]+)' .* does not match", checked.stdout)
        assert sorted(unmatched) == ["tgmon-agent", "tightgate", "tightgate-agent"], (
            checked.stdout[-3000:])
        work.readable()
        chown_to_daemon_user(mails.dir)
        master.start()
        api = api_session("e2e", PASSWORD)
        base = "https://127.0.0.1:%d/v1" % api_port

        wait_for(lambda: api_up(api, base, master), 60, "the master's API")

        def services():
            answer = api.get(base + "/objects/services", timeout=10, params={
                "attrs": ["state", "state_type", "last_check_result", "host_name",
                          "notes_url", "notes", "check_period"]}).json()
            return {r["name"]: r["attrs"] for r in answer["results"]}

        def force(names):
            for name in names:
                host, service = name.split("!")
                done = api.post(base + "/actions/reschedule-check", timeout=10, json={
                    "type": "Service", "force": True,
                    "filter": 'host.name=="%s" && service.name=="%s"' % (host, service)})
                assert done.status_code == 200, done.text

        # the nightly schedule check runs 03:00-04:00 only: never within this test
        def checked_now(all_services):
            return {n: a for n, a in all_services.items() if not a["check_period"]}
        force(checked_now(services()))

        # --- 1. every problem HARD and mailed; the mail carries the runbook link
        problems = ("tg-node2!tightgate-versions", "tg-node2!tightgate-update_lock",
                    "tg-node2!tightgate-maintenance", "tgc-berlin!tightgate-cluster")

        def settled():
            current = checked_now(services())
            if not all(a["last_check_result"] and a["state_type"] == 1
                       for a in current.values()):
                return None
            if len(mails.all()) < len(problems):
                return None
            return current
        current = wait_for(settled, 120, "every service checked HARD, every problem mailed",
                           step=0.5)
        assert {n for n, a in current.items() if a["state"]} == set(problems), current
        time.sleep(3)
        before = mails.all()
        assert len(before) == len(problems), [m[0] for m in before]
        lock_mail = [body for subject, body in before
                     if "TightGate update lock on tg-node2 is CRITICAL" in subject]
        assert len(lock_mail) == 1, [m[0] for m in before]
        link = docs + "/checks/check_update_lock.html#update-lock"
        assert ("\nRunbook: %s\n" % link) in lock_mail[0], lock_mail[0]
        assert "UPDATE_LOCK CRITICAL - update lock since" in lock_mail[0]
        page = requests.get(link.split("#")[0], timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
        assert 'id="update-lock"' in page.text and "Remove update lock" in page.text
        lock = current["tg-node2!tightgate-update_lock"]
        assert lock["notes_url"] == docs + "/checks/check_update_lock.html#runbook"
        notes_page = requests.get(lock["notes_url"].split("#")[0], timeout=10)
        assert notes_page.status_code == 200 and 'id="runbook"' in notes_page.text
        assert lock["notes"].startswith("The update lock of the node")

        # --- 2. tg-node1's exporter stops: one mail, from tightgate-reachable
        node1 = sorted(n for n in current if n.startswith("tg-node1!"))
        children = [n for n in node1 if n != "tg-node1!tightgate-reachable"]
        assert exporters["tg-node1"].stop() == 0
        force(children)       # the worst moment: they see it before the reachable one

        def outage_settled():
            now = services()
            parent = now["tg-node1!tightgate-reachable"]
            if not (parent["state"] == 2 and parent["state_type"] == 1):
                return None
            if not all(now[n]["state"] == 3 and now[n]["state_type"] == 1 for n in children):
                return None
            return now
        wait_for(outage_settled, 90, "tg-node1's services HARD, its reachable CRITICAL",
                 step=0.5)
        time.sleep(6)         # three retries of the children: anything late would show
        during = mails.all()[len(before):]
        assert [m[0] for m in during] == [
            "[PROBLEM] TightGate state reachable on tg-node1 is CRITICAL!"], during
        body = during[0][1]
        assert "REACHABLE CRITICAL - cannot reach" in body and "connection refused" in body
        assert ("Runbook: %s/checks/check_reachable.html#unreachable" % docs) in body
        assert requests.get(docs + "/checks/check_reachable.html",
                            timeout=10).text.count('id="unreachable"') == 1

        # --- 3. it starts again: one recovery, no storm
        exporters["tg-node1"] = Exporter("--state-dir", nodes["tg-node1"], path=TGMON,
                                         port=port1)
        wait_for(lambda: services()["tg-node1!tightgate-reachable"]["state"] == 0, 60,
                 "tg-node1's reachable service OK again", step=0.5)
        force(children)
        wait_for(lambda: all(services()[n]["state"] == 0 for n in node1), 90,
                 "every tg-node1 service OK again", step=0.5)
        time.sleep(6)
        after = mails.all()[len(before) + len(during):]
        assert [m[0] for m in after] == [
            "[RECOVERY] TightGate state reachable on tg-node1 is OK!"], after
        summary = os.environ.get("TGMON_E2E_REPORT")
        if summary:
            with open(summary, "a") as handle:
                handle.write("Icinga 2 on call: %d problem mails (runbook link %s served by "
                             "Apache: 200), exporter outage of tg-node1: %d mail, %d on "
                             "recovery\n" % (len(before), link, len(during), len(after)))
                handle.write("the update lock's mail:\n%s\nthe outage's mail:\n%s\n"
                             % (lock_mail[0], during[0][1]))
    finally:
        if master is not None:
            master.stop()
        if apache is not None:
            apache.stop()
        for exporter in exporters.values():
            exporter.stop()
        work.remove()


def test_nagios_pages_an_unreadable_node_once_through_the_sample_dependency():
    need_package()
    work = WorkDir("tgmon-e2e-oncall-nagios-")
    exporters = {}
    nrpe = nagios = None
    try:
        nodes = simulated_nodes(work)
        cert, key = self_signed(work.sub("tls"))
        token = work.write("token", "e2e-token-%d\n" % os.getpid(), 0o640)
        chown_to_daemon_user(token)
        tls = ("--token-file", token, "--tls-cert", cert, "--tls-key", key)
        port = free_port()
        # the sample's tg2 reads the healthy node (its exporter is stopped), tg3 the other
        healthy = Exporter("--state-dir", nodes["tg-node1"], *tls, path=TGMON, port=port)
        exporters = {"healthy": healthy,
                     "locked": Exporter("--state-dir", nodes["tg-node2"], *tls, path=TGMON)}
        nrpe = Nrpe(work, nodes["tg-node2"])
        nagios = Nagios(work)
        log = os.path.join(nagios.var, "notifications.log")
        adapted_sample(work, nodes, {"tg-node2": healthy, "tg-node1": exporters["locked"]},
                       token, cert, nrpe.port, log)
        # every interval of the sample 6 times shorter (its unit is interval_length); the
        # results are reaped every second, a small delay against 10 s
        with open(nagios.config) as handle:
            config = handle.read()
        assert "\ninterval_length=60\n" in config
        with open(nagios.config, "w") as handle:
            handle.write(config.replace("\ninterval_length=60\n", "\ninterval_length=10\n"))
        nagios.start()
        status = nagios.services

        def notified():
            if not os.path.exists(log):
                return []
            with open(log) as handle:
                return handle.read().splitlines()

        def force(keys):
            now = int(time.time())
            nagios.command(*["SCHEDULE_FORCED_SVC_CHECK;%s;%d" % (key, now) for key in keys])

        ours = [k for k in status() if k.split(";")[0] in ("tg1", "tg2", "tg3", "tgc-berlin")
                and not k.endswith("update schedule")]       # nightly: never in this test
        problems = ["tg3;TightGate all checks", "tgc-berlin;TightGate cluster updates"]

        def settled():
            force(ours)
            current = status()
            if not all(current[k]["has_been_checked"] == "1" and current[k]["state_type"] == "1"
                       for k in ours):
                return None
            return current if len(notified()) >= len(problems) else None
        current = wait_for(settled, 150, "every service HARD, every problem notified", step=1)
        assert sorted(k for k in ours if current[k]["current_state"] != "0") == problems
        before = notified()
        assert len(before) == len(problems), before

        tg2 = sorted(k for k in ours if k.startswith("tg2;"))
        children = [k for k in tg2 if k != "tg2;TightGate reachable"]
        healthy.stop()
        force(children)       # the worst moment: they see it before the reachable one

        def outage_settled():
            now = status()
            parent = now["tg2;TightGate reachable"]
            return (parent["current_state"] == "2" and parent["state_type"] == "1"
                    and all(now[k]["current_state"] == "3" and now[k]["state_type"] == "1"
                            for k in children))
        wait_for(outage_settled, 150, "tg2's services HARD, its reachable CRITICAL", step=1)
        time.sleep(8)
        during = notified()[len(before):]
        assert len(during) == 1 and during[0].startswith(
            "PROBLEM tg2/TightGate reachable CRITICAL: REACHABLE CRITICAL - cannot reach"), during

        exporters["healthy"] = Exporter("--state-dir", nodes["tg-node1"], *tls, path=TGMON,
                                        port=port)
        force(["tg2;TightGate reachable"])
        wait_for(lambda: status()["tg2;TightGate reachable"]["current_state"] == "0", 60,
                 "tg2's reachable service OK again", step=1)
        force(children)
        wait_for(lambda: all(status()[k]["current_state"] == "0" for k in tg2), 90,
                 "every tg2 service OK again", step=1)
        time.sleep(8)
        after = notified()[len(before) + len(during):]
        assert len(after) == 1 and after[0].startswith(
            "RECOVERY tg2/TightGate reachable OK: REACHABLE OK"), after
        summary = os.environ.get("TGMON_E2E_REPORT")
        if summary:
            with open(summary, "a") as handle:
                handle.write("Nagios 4 on call: exporter outage of tg2: %d notification, %d "
                             "on recovery (plugins as %s)\n" % (len(during), len(after),
                                                                daemon_user()[0]))
    finally:
        if nagios is not None:
            nagios.stop()
        if nrpe is not None:
            nrpe.stop()
        for exporter in exporters.values():
            exporter.stop()
        work.remove()

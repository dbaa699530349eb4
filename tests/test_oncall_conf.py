"""What the shipped Icinga 2 and Nagios files give the person paged (issue 21):
notes and a runbook notes_url on every service, the one base URL handed to the
plugins, and the dependencies that make an unreadable node page once."""

import collections
import re

import pytest

from tgmon.checks.registry import SINGLE_NODE_CHECKS, all_checks, by_prog
from tgmon.render.nagios import ILLEGAL_MACRO_CHARS

from helpers import ROOT

CHECKS = all_checks()
REACHABLE = by_prog("check_reachable")
# the services of a node that read its state and so depend on its reachability
DEPENDENTS = [d for d in CHECKS if d.scope in ("node", "all-in-one") and d is not REACHABLE]


def _read(*parts):
    import os
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.parametrize("definition", CHECKS, ids=[d.prog for d in CHECKS])
def test_every_note_is_one_clean_sentence(definition):
    notes = definition.notes
    assert notes and notes.endswith(".") and len(notes) <= 200, notes
    assert notes.count(". ") == 0, notes                      # one sentence
    assert notes.isascii() and notes.isprintable(), notes
    assert not set(notes) & set(ILLEGAL_MACRO_CHARS + ";"), notes   # Nagios strips, cuts
    assert not re.search(r"\bR\d{1,2}\b", notes), notes


def _blocks(text, kind):
    return dict(re.findall(r'^%s "([\w-]+)"[^{]*\{(.*?)^\}' % kind, text, re.M | re.S))


def test_every_icinga_service_takes_notes_and_its_runbook_from_a_generated_template():
    services = _blocks(_read("icinga-conf", "master", "tgmon-services.conf"), "apply Service")
    assert set(services) == {"tightgate-", "tightgate", "tightgate-reachable", "tightgate-agent",
                             "tightgate-cluster"}
    for name, body in services.items():
        assert re.search(r'^  import "tgmon-runbook-', body, re.M), name
        assert "notes" not in body.replace("tgmon-runbook", ""), name   # one home: the template
    templates = _blocks(_read("icinga-conf", "master", "tgmon-oncall.conf"), "template Service")
    for definition in CHECKS:
        body = templates["tgmon-runbook-" + definition.short_name]
        assert 'notes = "%s"' % definition.notes in body
        assert ('notes_url = TgmonDocsUrl + "/checks/%s.html#runbook"' % definition.prog
                in body)
        # the plugin's links from the same base: its --runbook-url var
        assert "vars.tgmon_%s_runbook_url = TgmonDocsUrl" % definition.short_name in body
    constants = _read("icinga-conf", "master", "tgmon-constants.conf")
    assert re.search(r'^const TgmonDocsUrl = "http://localhost/tgmon-docs"$', constants, re.M)
    assert "/usr/share/doc" not in constants                  # a URL, never a file path


def _duration(text):
    number, unit = re.fullmatch(r"(\d+)([smh])", text).groups()
    return int(number) * {"s": 1, "m": 60, "h": 3600}[unit]


def test_icinga_dependencies_make_the_reachable_service_page_first_and_alone():
    dependencies = _blocks(_read("icinga-conf", "master", "tgmon-oncall.conf"),
                           "apply Dependency")
    assert set(dependencies) == {"tgmon-reachable", "tgmon-agent"}
    for body in dependencies.values():
        assert "states = [ OK ]" in body                       # any problem of the parent
        assert "ignore_soft_states = false" in body            # from its first failed check
        assert "disable_notifications = true" in body
    listed = re.search(r"service.check_command in \[ (.*) \]",
                       dependencies["tgmon-reachable"]).group(1)
    assert re.findall(r'"(\w+)"', listed) == ["tgmon_" + d.short_name for d in DEPENDENTS]
    assert 'parent_service_name = "tightgate-reachable"' in dependencies["tgmon-reachable"]
    assert 'service.check_command == "tgmon_reachable"' in dependencies["tgmon-agent"]
    # checked more often, and HARD sooner, than what depends on it
    constants = _read("icinga-conf", "master", "tgmon-constants.conf")
    reachable = _duration(re.search(r"^const TgmonReachableInterval = (\w+)$", constants,
                                    re.M).group(1))
    intervals = dict(re.findall(r'^  "(\w+)" = \{ interval = (\w+),', constants, re.M))
    assert list(intervals) == [d.short_name for d in SINGLE_NODE_CHECKS]
    assert reachable < min(_duration(i) for i in intervals.values())
    services = _blocks(_read("icinga-conf", "master", "tgmon-services.conf"), "apply Service")
    templates = _read("icinga-conf", "global-templates", "tgmon-templates.conf")
    attempts = int(re.search(r'template Service "tgmon-service" \{\s+max_check_attempts = (\d+)',
                             templates).group(1))
    assert "max_check_attempts = 2" in services["tightgate-reachable"] and 2 < attempts


def _nagios_objects(kind):
    text = _read("icinga-conf", "nagios", "tgmon-services.cfg")
    return [dict(re.findall(r"^    (\w+)\s+(.*)$", body, re.M))
            for body in re.findall(r"^define %s \{\n(.*?)^\}" % kind, text, re.M | re.S)]


def test_every_nagios_service_has_its_runbook_and_hands_the_plugin_the_base_url():
    services = [s for s in _nagios_objects("service") if "host_name" in s]
    # tg1 runs every single-node check as a service of its own, behind its reachable one
    assert [s["check_command"].split("!")[0] for s in services if s["host_name"] == "tg1"] == (
        ["tgmon_reachable"] + ["tgmon_" + d.short_name for d in SINGLE_NODE_CHECKS])
    others = collections.Counter(s["host_name"] for s in services if s["host_name"] != "tg1")
    assert others == {"tg2": 4, "tg3": 2, "tgc-berlin": 1}
    commands = _read("icinga-conf", "nagios", "tgmon-commands.cfg")
    for service in services:
        command = service["check_command"].split("!")[0]
        check = re.sub(r"_(url|nrpe)$", "", command[len("tgmon_"):])
        template = "tgmon-runbook-" + check
        assert service["use"].split(",")[1:] == [template], service
        assert re.search(r"name\s+%s\n" % template, commands), template
        if command.endswith("_nrpe"):   # runs on the node: its own base (--config there)
            continue
        assert service["check_command"].endswith("--runbook-url $_SERVICETGMON_DOCS$"), service
    base = [t for t in _nagios_objects("service") if t.get("name") == "tgmon-service"][0]
    assert base["_TGMON_DOCS"] == "http://localhost/tgmon-docs"


def test_every_nagios_node_depends_on_its_reachable_service():
    services = [s for s in _nagios_objects("service") if "host_name" in s]
    dependencies = {d["dependent_host_name"]: d for d in _nagios_objects("servicedependency")}
    nodes = {s["host_name"] for s in services if s["service_description"] == "TightGate reachable"}
    assert nodes == {"tg1", "tg2", "tg3"} == set(dependencies)
    for host in nodes:
        dependency = dependencies[host]
        others = {s["service_description"] for s in services if s["host_name"] == host
                  and s["service_description"] != "TightGate reachable"}
        assert dependency["host_name"] == host
        assert dependency["service_description"] == "TightGate reachable"
        assert set(dependency["dependent_service_description"].split(",")) == others
        assert dependency["notification_failure_criteria"] == "w,u,c"
    templates = {t["name"]: t for t in _nagios_objects("service") if "name" in t}
    reachable, service = templates["tgmon-reachable"], templates["tgmon-service"]
    # Nagios looks at the master's HARD state: the reachable service gets there first
    assert int(reachable["max_check_attempts"]) < int(service["max_check_attempts"])
    assert float(reachable["retry_interval"]) < float(service["retry_interval"])
    cluster = [s for s in services if s["host_name"] == "tgc-berlin"][0]
    assert "--unreachable-severity ok" in cluster["check_command"]

"""icinga-conf/director/: the Icinga Director basket agrees with the registry, the
CheckCommands the package ships and the hand-written Icinga 2 samples; every object
has its stable uuid and no guid (tests/test_generated.py: it is up to date;
tests/e2e/test_director.py restores it for real)."""

import json
import os
import re
import sys
import uuid

import pytest

from tgmon.checks.registry import all_checks
from tgmon.verdict import SEVERITY_CHOICES
from helpers import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import director  # noqa: E402
import icingadsl  # noqa: E402

DIRECTOR = os.path.join(ROOT, "icinga-conf", "director")
COMMANDS = os.path.join(ROOT, "icinga-conf", "global-templates", "tgmon-commands.conf")
ONCALL = os.path.join(ROOT, "icinga-conf", "master", "tgmon-oncall.conf")
TYPE = "Icinga\\Module\\Director\\DataType\\DataType"


def _load(name):
    with open(os.path.join(DIRECTOR, name)) as handle:
        return json.load(handle)


BASKET = _load("tgmon-basket.json")
BASKET_1_10 = _load("tgmon-basket-director1.10.json")
FIELDS = {field["varname"]: field for field in BASKET["Datafield"].values()}
FIELD_NAMES = {int(key): field["varname"] for key, field in BASKET["Datafield"].items()}
NODE = [d for d in all_checks() if d.scope == "node"]


def _keys(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


def _linked(obj):
    return {FIELD_NAMES[link["datafield_id"]] for link in obj["fields"]}


def test_every_object_has_its_uuid5_and_nothing_a_guid():
    seen = []
    for basket_type, objects in BASKET.items():
        for name, obj in objects.items():
            key = obj["varname"] if basket_type == "Datafield" else name
            assert obj["uuid"] == str(uuid.uuid5(director.UUID_NAMESPACE, "%s:%s" % (
                basket_type, key))), (basket_type, name)
            seen.append(obj["uuid"])
            for service, inner in obj.get("services", {}).items():
                assert inner["uuid"] == str(uuid.uuid5(director.UUID_NAMESPACE, "Service:%s/%s"
                                                       % (name, service)))
                seen.append(inner["uuid"])
    assert len(seen) == len(set(seen)) > 150
    assert "guid" not in set(_keys(BASKET))
    # Director 1.10's: the same objects, no uuid anywhere
    assert "uuid" not in set(_keys(BASKET_1_10))
    assert BASKET_1_10 == director.without_uuids(BASKET)


def _itl_commands():
    """{command: {option: {set_if|value, repeat_key, description}}} as the ITL file says."""
    with open(COMMANDS) as handle:
        text = handle.read()
    commands = {}
    for name, body in re.findall(r'^object CheckCommand "(\w+)" \{(.*?)\n\}', text, re.M | re.S):
        arguments = {}
        for option, inner in re.findall(r'^    "(--[\w-]+)" = \{\n(.*?)\n    \}', body,
                                        re.M | re.S):
            argument = {}
            for key, raw in re.findall(r"^      (\w+) = (.+)$", inner, re.M):
                argument[key] = True if raw == "true" else json.loads(raw)
            arguments[option] = argument
        timeout = re.search(r"^  timeout = (\d+)", body, re.M).group(1)
        prog = re.search(r'PluginContribDir \+ "/(\w+)"', body).group(1)
        commands[name] = (arguments, timeout, prog)
    return commands


def test_the_commands_are_the_packages_itl_commands_with_a_field_per_var():
    itl = _itl_commands()
    assert set(BASKET["ExternalCommand"]) == set(itl) == {
        "tgmon_" + d.short_name for d in all_checks()}
    for name, command in BASKET["ExternalCommand"].items():
        arguments, timeout, prog = itl[name]
        assert command["object_type"] == "external_object"
        assert (command["arguments"], command["timeout"], command["command"]) == (
            arguments, timeout, prog), name
        vars_used = {a.get("value", a.get("set_if")).strip("$") for a in arguments.values()}
        assert _linked(command) == vars_used, name


# option -> DataField type (and DataList): severities from the list, flags a
# checkbox, the repeatable --node a list, anything else text
FIELD_TYPES = [
    ("tgmon_versions_warn_flag_severity", "Datalist", "tgmon severities"),
    ("tgmon_cluster_updates_unreachable_severity", "Datalist", "tgmon severities"),
    ("tgmon_tightgate_update_lock_update_lock_severity", "Datalist", "tgmon severities"),
    ("tgmon_versions_insecure", "Boolean", None),
    ("tgmon_hotfixes_verbose", "Boolean", None),
    ("tgmon_cluster_updates_node", "Array", None),
    ("tgmon_versions_warning_age", "String", None),
    ("tgmon_hotfixes_warning", "String", None),
    ("tightgate_mode", "Datalist", "tgmon modes"),
    ("tightgate_all_in_one", "Boolean", None),
    ("tightgate_cluster_nodes", "Array", None),
    ("tightgate_url", "String", None),
]


@pytest.mark.parametrize("varname, kind, datalist", FIELD_TYPES, ids=[c[0] for c in FIELD_TYPES])
def test_a_field_has_the_type_its_values_need(varname, kind, datalist):
    field = FIELDS[varname]
    assert field["datatype"] == TYPE + kind
    assert field["settings"].get("datalist") == datalist
    assert field["description"] and "\n" not in field["description"]


def test_every_severity_option_is_a_list_of_the_four_states():
    lists = {name: [e["entry_name"] for e in obj["entries"]]
             for name, obj in BASKET["DataList"].items()}
    assert lists == {"tgmon severities": list(SEVERITY_CHOICES),
                     "tgmon modes": ["agent", "agentless"]}
    severities = {v for v, f in FIELDS.items() if f["datatype"] == TYPE + "Datalist"}
    assert severities == {v for v in FIELDS if v.endswith("_severity")} | {"tightgate_mode"}


# service set -> (assign filter, its services, where they run): every node set has
# the node's reachability, an agent's also the agent's connection (on the server)
SIX = ["tightgate-" + d.short_name for d in NODE] + ["tightgate-reachable"]
SETS = {
    "tgmon node (agent)": (
        "host.vars.tightgate_mode=%22agent%22&!(host.vars.tightgate_all_in_one=true)",
        SIX + ["tightgate-agent"], "agent"),
    "tgmon node (agentless)": (
        "host.vars.tightgate_mode=%22agentless%22&!(host.vars.tightgate_all_in_one=true)",
        SIX, "agentless"),
    "tgmon all-in-one (agent)": (
        "host.vars.tightgate_mode=%22agent%22&host.vars.tightgate_all_in_one=true",
        ["tightgate", "tightgate-reachable", "tightgate-agent"], "agent"),
    "tgmon all-in-one (agentless)": (
        "host.vars.tightgate_mode=%22agentless%22&host.vars.tightgate_all_in_one=true",
        ["tightgate", "tightgate-reachable"], "agentless"),
    "tgmon cluster": ("host.vars.tightgate_cluster_nodes=true", ["tightgate-cluster"], None),
}


@pytest.mark.parametrize("name", sorted(SETS))
def test_a_service_set_is_assigned_by_host_var_and_reads_only_fields(name):
    assign, services, runs = SETS[name]
    service_set = BASKET["ServiceSet"][name]
    assert service_set["assign_filter"] == assign
    assert sorted(service_set["services"]) == sorted(services)
    templates = BASKET["HostTemplate"]
    host_fields = _linked(templates["tgmon-cluster" if runs is None else "tgmon-node"])
    for service, obj in service_set["services"].items():
        assert all(t in BASKET["ServiceTemplate"] for t in obj["imports"]), service
        on_server = service == "tightgate-agent"       # cluster-zone: asks the server
        assert ("tgmon-agent" in obj["imports"]) == (runs == "agent" and not on_server)
        assert ("tgmon-agentless" in obj["imports"]) == (runs == "agentless")
        command = BASKET["ServiceTemplate"][obj["imports"][0]]["check_command"]
        assert bool(obj.get("vars")) != on_server, service
        for var, value in obj.get("vars", {}).items():
            # the command's own var, from a host var that has a field
            assert var in _linked(BASKET["ExternalCommand"][command]), (service, var)
            assert re.fullmatch(r"\$host\.vars\.(\w+)\$", value).group(1) in host_fields


# Dependency rule -> (parent, the children's assign filter), as tgmon-oncall.conf
DEPENDENCIES = {
    "tgmon-reachable": ("tightgate-reachable", "host.vars.tightgate_mode=true&(%s)" % "|".join(
        "service.check_command=%%22tgmon_%s%%22" % d.short_name for d in all_checks()
        if d.scope in ("node", "all-in-one") and d.short_name != "reachable")),
    "tgmon-agent": ("tightgate-agent", "host.vars.tightgate_mode=%22agent%22&("
                    "service.check_command=%22tgmon_reachable%22)"),
}


@pytest.mark.parametrize("name", sorted(DEPENDENCIES))
def test_a_dependency_rule_waits_for_a_parent_every_set_with_children_has(name):
    parent, assign = DEPENDENCIES[name]
    rule = BASKET["Dependency"][name]
    assert (rule["parent_service_by_name"], rule["assign_filter"]) == (parent, assign)
    assert (rule["object_type"], rule["apply_to"], rule["states"], rule["ignore_soft_states"],
            rule["disable_notifications"]) == ("apply", "service", ["OK"], False, True)
    children = set(re.findall(r"check_command=%22(\w+)%22", assign))
    for service_set in BASKET["ServiceSet"].values():
        commands = {BASKET["ServiceTemplate"][s["imports"][0]]["check_command"]
                    for s in service_set["services"].values()}
        if commands & children and (name != "tgmon-agent" or "agent)" in
                                    service_set["object_name"]):
            assert parent in service_set["services"], service_set["object_name"]


def test_only_the_agent_template_runs_on_the_agent():
    runs_there = {name for name, obj in BASKET["ServiceTemplate"].items() if obj.get("use_agent")}
    assert runs_there == {"tgmon-agent"}


# check -> (interval in seconds, or None: its base template's; base template), as
# tgmon-constants.conf and tgmon-services.conf schedule them
SCHEDULES = [
    ("reachable", "60", "tgmon-service"),
    ("versions", "900", "tgmon-service"),
    ("update_lock", "300", "tgmon-service"),
    ("hotfixes", "3660", "tgmon-service"),
    ("reboot_required", "1020", "tgmon-service"),
    ("maintenance", "180", "tgmon-service"),
    ("update_schedule", None, "tgmon-nightly"),
    ("tightgate", None, "tgmon-service"),
    ("cluster_updates", "420", "tgmon-service"),
]


@pytest.mark.parametrize("check, interval, base", SCHEDULES, ids=[c[0] for c in SCHEDULES])
def test_a_check_template_is_scheduled_as_the_samples_say(check, interval, base):
    template = BASKET["ServiceTemplate"]["tgmon-" + check]
    assert (template.get("check_interval"), template["imports"]) == (interval, [base])
    assert template["check_command"] == "tgmon_" + check


def test_the_base_templates_and_the_night_are_the_samples():
    templates = BASKET["ServiceTemplate"]
    assert {k: templates["tgmon-service"][k] for k in (
        "max_check_attempts", "check_interval", "retry_interval", "enable_perfdata")} == {
        "max_check_attempts": "3", "check_interval": "300", "retry_interval": "60",
        "enable_perfdata": True}
    assert (templates["tgmon-nightly"]["check_period"], templates["tgmon-nightly"]["imports"]) == (
        "tgmon-night", ["tgmon-service"])
    assert BASKET["TimePeriod"]["tgmon-night"]["ranges"] == dict.fromkeys(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        "03:00-04:00")


@pytest.mark.parametrize("definition", all_checks(), ids=[d.prog for d in all_checks()])
def test_a_check_template_carries_notes_and_its_runbook(definition):
    """As the samples' tgmon-runbook-<check> (tgmon-oncall.conf), from TgmonDocsUrl."""
    template = BASKET["ServiceTemplate"]["tgmon-" + definition.short_name]
    base = icingadsl.constant(director.CONSTANTS, "TgmonDocsUrl")
    runbook = icingadsl.block(ONCALL, "template", "Service", "tgmon-runbook-"
                              + definition.short_name)
    assert template["notes"] == runbook["notes"] == definition.notes
    assert template["notes_url"] == "%s/checks/%s.html#runbook" % (base, definition.prog)
    assert template["vars"] == {"tgmon_%s_runbook_url" % definition.short_name: base}


def test_the_agent_connection_is_the_samples_tightgate_agent():
    template = BASKET["ServiceTemplate"]["tgmon-agent-connection"]
    runbook = icingadsl.block(ONCALL, "template", "Service", "tgmon-runbook-agent")
    base = icingadsl.constant(director.CONSTANTS, "TgmonDocsUrl")
    assert (template["check_command"], template["notes"], template["notes_url"]) == (
        "cluster-zone", runbook["notes"], base + "/checks/check_reachable.html#agent-disconnected")
    assert (template["check_interval"], template["retry_interval"],
            template["max_check_attempts"]) == ("60", "30", "2")


# sample text, what is read -> the fact, or the error naming what is missing
DSL_CASES = [
    ('const A = "x\\"y"\n', "constant", "A", 'x"y', None),
    ('const A = B + "x"\n', "constant", "A", None, "no constant A with a literal value"),
    ("const A = 1m\n", "constant", "A", "1m", None),
    ('const B = "x"\n', "constant", "A", None, "no constant A with a literal value"),
    ('const T = {\n  "a" = { interval = 5m, nightly = true }\n}\n', "dictionary", "T",
     {"a": {"interval": "5m", "nightly": True}}, None),
    ("const T = {\n}\n", "dictionary", "T", None, "constant T has no entries"),
    ('template Service "s" {\n  import "b"\n  check_interval = 5m  // why\n  vars.m = "a"\n'
     '  notes_url = U + "/x"\n}\n', "block", "s",
     {"imports": ["b"], "check_interval": "5m", "vars.m": "a"}, None),
    ('template Service "other" {\n}\n', "block", "s", None, 'no template Service "s"'),
]


@pytest.mark.parametrize("text, kind, name, fact, error", DSL_CASES,
                         ids=["%s-%d" % (c[1], i) for i, c in enumerate(DSL_CASES)])
def test_the_samples_reader_finds_a_fact_or_names_what_is_missing(tmp_path, text, kind, name,
                                                                  fact, error):
    path = str(tmp_path / "sample.conf")
    with open(path, "w") as handle:
        handle.write(text)
    read = {"constant": icingadsl.constant, "dictionary": icingadsl.dictionary_constant,
            "block": lambda p, n: icingadsl.block(p, "template", "Service", n)}[kind]
    if error is None:
        assert read(path, name) == fact
    else:
        with pytest.raises(icingadsl.DslError) as raised:
            read(path, name)
        assert str(raised.value) == "%s: %s" % (path, error)


def test_a_sample_without_what_the_basket_needs_stops_the_generator(tmp_path, monkeypatch,
                                                                    capsys):
    constants = tmp_path / "tgmon-constants.conf"
    constants.write_text('const TgmonDocsUrl = "http://x"\n')    # no TgmonChecks
    monkeypatch.setattr(director, "CONSTANTS", str(constants))
    assert director.main(["--check"]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", "tools/director.py: %s: no dictionary constant TgmonChecks\n"
                          % constants)

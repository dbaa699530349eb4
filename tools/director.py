"""Generate the Icinga Director basket from the check registry.

    python tools/director.py          rewrite icinga-conf/director/*.json
    python tools/director.py --check  exit 1 if they are out of date

One basket holds what a Director user would otherwise build by hand
(docs/director.rst): a DataField for every CheckCommand var and every host var
(severities from the DataList "tgmon severities"), the CheckCommands, a service
template per check with notes and notes_url, the service sets assigned by host
var and the dependency rules.

The CheckCommands are external objects: the Debian package defines them in the
ITL's plugins-contrib.d (without it: tgmon-commands.conf in a global zone), the
Director's kickstart imports them from there, and a Director-rendered copy would
define them twice. The basket's copy is what kickstart imports (so neither
changes the other) plus the DataFields linked to each var.

Two files, the same objects: tgmon-basket.json gives every object a stable uuid
(uuid5 of its type and name), by which Director 1.11 and later find it again on
the next restore; Director 1.10 (Debian 12's icingaweb2-module-director) cannot
read a uuid in a basket (it stores the text where 16 bytes belong and the
restore fails), so tgmon-basket-director1.10.json leaves them out - 1.10 finds
its objects again by name.
"""

import json
import os
import sys
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tgmon.checks import runbook  # noqa: E402
from tgmon.checks.reachable import DEFINITION as REACHABLE  # noqa: E402
from tgmon.checks.registry import all_checks  # noqa: E402
from tgmon import options as optmod  # noqa: E402
from tgmon.timeutil import parse_duration  # noqa: E402
from tgmon.verdict import SEVERITY_CHOICES  # noqa: E402
from generated import sync  # noqa: E402
from icingaconf import (AGENT_ANCHOR, AGENT_NOTES, COMMAND_TIMEOUT, DEPENDENCY,  # noqa: E402
                        arguments, command_name, dependencies)
import icingadsl  # noqa: E402

CONF = os.path.join(ROOT, "icinga-conf")
CONSTANTS = os.path.join(CONF, "master", "tgmon-constants.conf")
TEMPLATES = os.path.join(CONF, "global-templates", "tgmon-templates.conf")
SERVICES = os.path.join(CONF, "master", "tgmon-services.conf")
BASKET = os.path.join(CONF, "director", "tgmon-basket.json")
BASKET_1_10 = os.path.join(CONF, "director", "tgmon-basket-director1.10.json")

# Every object's uuid is uuid5(UUID_NAMESPACE, "<basket type>:<name>"): the same in every build.
UUID_NAMESPACE = uuid.UUID("685f9222-888b-48a4-acaa-ba0e49493b1a")
OWNER = "tgmon"
SEVERITIES = "tgmon severities"
MODES = "tgmon modes"
DATATYPE = "Icinga\\Module\\Director\\DataType\\DataType"

# A Director host's vars, flat so that the Director's forms can edit them:
# tgmon-services.conf's host.vars.tightgate.<key> is tightgate_<key> here,
# host.vars.tightgate_cluster.<key> is tightgate_cluster_<key>.
MODE_HELP = {
    "agent": "the checks run on the node's Icinga agent (the host is an agent in the Director)",
    "agentless": "the checks run on the Icinga server, over the node's tgmon exporter "
                 "(tightgate_url) or a state dir the server reads (tightgate_state_dir)",
}
NODE_VARS = (
    ("tightgate_mode", "Datalist", "where the checks run: " + "; ".join(
        "%s: %s" % item for item in MODE_HELP.items())),
    ("tightgate_all_in_one", "Boolean", "one service tightgate (check_tightgate) instead of "
                                        "one per check"),
    ("tightgate_state_dir", "String", optmod.SHARED_HELP["state_dir"]),
    ("tightgate_url", "String", optmod.SHARED_HELP["url"]),
    ("tightgate_token_file", "String", optmod.SHARED_HELP["token_file"]),
    ("tightgate_ca_file", "String", optmod.SHARED_HELP["ca_file"]),
    ("tightgate_cache_ttl", "String", optmod.SHARED_HELP["cache_ttl"]),
    ("tightgate_config", "String", optmod.SHARED_HELP["config"]),
)
CLUSTER_VARS = (
    ("tightgate_cluster_nodes", "Array", "the cluster's nodes: " + optmod.SHARED_HELP["node"]),
    ("tightgate_cluster_token_file", "String", optmod.SHARED_HELP["token_file"]),
    ("tightgate_cluster_ca_file", "String", optmod.SHARED_HELP["ca_file"]),
    ("tightgate_cluster_config", "String", optmod.SHARED_HELP["config"]),
)
# plugin option (its dest) <- host var, per place the checks run
SOURCES = {
    "agent": {"state_dir": "tightgate_state_dir", "config": "tightgate_config"},
    "agentless": {"url": "tightgate_url", "token_file": "tightgate_token_file",
                  "ca_file": "tightgate_ca_file", "cache_ttl": "tightgate_cache_ttl",
                  "state_dir": "tightgate_state_dir", "config": "tightgate_config"},
    "cluster": {"node": "tightgate_cluster_nodes", "token_file": "tightgate_cluster_token_file",
                "ca_file": "tightgate_cluster_ca_file", "config": "tightgate_cluster_config"},
}
# tgmon-services.conf's apply rules (and so the services' names) for the checks not
# in TgmonChecks; a check in TgmonChecks is "tightgate-<check>"
APPLY_RULES = {"tightgate": "tightgate", "reachable": "tightgate-reachable",
               "cluster_updates": "tightgate-cluster"}
# the agent's connection (the ITL's cluster-zone, on the Icinga server): its service,
# and the Director template that carries it, its notes and runbook
AGENT_SERVICE = "tightgate-agent"
AGENT_TEMPLATE = "tgmon-agent-connection"


def object_uuid(basket_type, name):
    return str(uuid.uuid5(UUID_NAMESPACE, "%s:%s" % (basket_type, name)))


def seconds(duration):
    """'15m' -> '900': how the Director stores (and exports) an interval."""
    return "%d" % parse_duration(duration)


def field_kind(option, kind):
    """The DataField type for a CheckCommand argument (icingaconf.arguments' kind)."""
    if kind == "flag":
        return "Boolean"
    if kind == "repeat":
        return "Array"
    if option.type is optmod.severity:
        return "Datalist"
    return "String"


def _options(definition):
    """The plugin's options (tgmon.options.Arg) by their long flag."""
    return {max(a.flags, key=len): a for a in optmod.plugin_args(definition).values()}


class Basket:
    """The objects by basket type, and the DataFields their ``fields`` link to."""

    def __init__(self):
        self.types = {}
        self.field_specs = {}

    def add(self, basket_type, name, properties):
        self.types.setdefault(basket_type, {})[name] = dict(properties)
        self.types[basket_type][name]["uuid"] = object_uuid(basket_type, name)

    def field(self, varname, kind, caption, description):
        """A DataField for ``varname``; its id (basket-internal) is its place in the order
        the fields were added, so an id once given never changes within a build."""
        assert varname not in self.field_specs, varname
        self.field_specs[varname] = (len(self.field_specs) + 1, kind, caption,
                                     " ".join(description.split()))
        return varname

    def fields(self, varnames, required=()):
        return [{"datafield_id": self.field_specs[v][0],
                 "is_required": "y" if v in required else "n", "var_filter": None}
                for v in varnames]

    def datafields(self):
        result = {}
        for varname, (number, kind, caption, description) in self.field_specs.items():
            settings = {}
            if kind == "Datalist":
                settings = {"behavior": "strict", "data_type": "string",
                            "datalist": MODES if varname == "tightgate_mode" else SEVERITIES}
            key = str(number)
            result[key] = {"varname": varname, "caption": caption, "description": description,
                           "datatype": DATATYPE + kind, "format": None, "settings": settings,
                           "category": None, "originalId": key,
                           "uuid": object_uuid("Datafield", varname)}
        return result


def datalists(basket):
    basket.add("DataList", SEVERITIES, {
        "list_name": SEVERITIES, "owner": OWNER,
        "entries": [_entry(name, name.upper()) for name in SEVERITY_CHOICES]})
    basket.add("DataList", MODES, {
        "list_name": MODES, "owner": OWNER,
        "entries": [_entry(name, "%s: %s" % (name, text)) for name, text in MODE_HELP.items()]})


def _entry(name, value):
    return {"entry_name": name, "entry_value": value, "format": "string", "allowed_roles": None}


def commands(basket):
    """External CheckCommands as kickstart imports the package's ITL file (its PluginDir
    prefix dropped), each var a DataField."""
    for definition in all_checks():
        options = _options(definition)
        args, varnames = {}, []
        for option, var, kind, description in arguments(definition):
            argument = {"description": description}
            argument["set_if" if kind == "flag" else "value"] = "$%s$" % var
            if kind == "repeat":
                argument["repeat_key"] = True
            args[option] = argument
            varnames.append(basket.field(var, field_kind(options[option], kind),
                                         "%s %s" % (definition.prog, option), description))
        name = command_name(definition)
        basket.add("ExternalCommand", name, {
            "object_name": name, "object_type": "external_object",
            "methods_execute": "PluginCheck", "command": definition.prog,
            "timeout": str(COMMAND_TIMEOUT), "arguments": args,
            "fields": basket.fields(varnames)})


def host_templates(basket):
    """Host templates whose fields are the host vars the service sets read."""
    for name, specs, required in (("tgmon-node", NODE_VARS, {"tightgate_mode"}),
                                  ("tgmon-cluster", CLUSTER_VARS, {"tightgate_cluster_nodes"})):
        varnames = [basket.field(var, kind, var, text) for var, kind, text in specs]
        basket.add("HostTemplate", name, {"object_name": name, "object_type": "template",
                                          "fields": basket.fields(varnames, required)})


def _template(attrs, name, known):
    """A Director service template from a template's plain attributes in the samples;
    of its imports those ``known`` (the samples' tgmon-runbook-<check> are not: here
    each check's own template carries its notes)."""
    result = {"object_name": name, "object_type": "template", "fields": []}
    imports = [i for i in attrs["imports"] if i in known]
    if imports:
        result["imports"] = imports
    for attr, value in attrs.items():
        if attr in ("check_interval", "retry_interval"):
            result[attr] = seconds(value)
        elif attr == "max_check_attempts":
            result[attr] = str(value)
        elif attr in ("enable_perfdata", "check_period", "display_name", "check_command"):
            result[attr] = value
        elif attr.startswith("vars."):
            result.setdefault("vars", {})[attr[len("vars."):]] = value
    return result


def service_templates(basket, docs_url):
    """tgmon-service, tgmon-nightly, tgmon-agent, tgmon-agentless as the samples define
    them, the night's TimePeriod; per check tgmon-<check> with its notes, its runbook
    (notes_url, and the plugin's --runbook-url) and its schedule; and the agent's
    connection check."""
    known = basket.types.setdefault("ServiceTemplate", {})
    for name in ("tgmon-service", "tgmon-nightly", "tgmon-agent", "tgmon-agentless"):
        template = _template(icingadsl.block(TEMPLATES, "template", "Service", name), name, known)
        if name == "tgmon-agent":
            template["use_agent"] = True    # command_endpoint = host_name, as the apply rules do
        basket.add("ServiceTemplate", name, template)
    night = icingadsl.block(TEMPLATES, "object", "TimePeriod", "tgmon-night")
    basket.add("TimePeriod", "tgmon-night", {
        "object_name": "tgmon-night", "object_type": "object",
        "display_name": night["display_name"], "ranges": night["ranges"]})
    schedule = icingadsl.dictionary_constant(CONSTANTS, "TgmonChecks")
    for definition in all_checks():
        if definition.short_name in schedule:
            spec = schedule[definition.short_name]
            attrs = {"imports": ["tgmon-nightly" if spec["nightly"] else "tgmon-service"],
                     "display_name": "TightGate " + definition.short_name.replace("_", " ")}
            if not spec["nightly"]:
                attrs["check_interval"] = spec["interval"]
        else:
            attrs = _apply_rule(APPLY_RULES[definition.short_name])
        name = template_name(definition)
        template = _template(dict(attrs, check_command=command_name(definition)), name, known)
        template.update(notes=definition.notes,
                        notes_url=runbook.anchor_url(docs_url, definition.prog, runbook.SECTION))
        template.setdefault("vars", {})["%s_runbook_url" % command_name(definition)] = docs_url
        basket.add("ServiceTemplate", name, template)
    template = _template(_apply_rule(AGENT_SERVICE), AGENT_TEMPLATE, known)
    template.update(notes=AGENT_NOTES,
                    notes_url=runbook.anchor_url(docs_url, REACHABLE.prog, AGENT_ANCHOR))
    basket.add("ServiceTemplate", AGENT_TEMPLATE, template)


def _apply_rule(name):
    """The plain attributes of tgmon-services.conf's apply rule ``name``."""
    interval = icingadsl.constant(CONSTANTS, "TgmonReachableInterval")
    return icingadsl.block(SERVICES, "apply", "Service", name,
                           {"TgmonReachableInterval": interval})


def service_name(definition):
    return APPLY_RULES.get(definition.short_name, "tightgate-" + definition.short_name)


def template_name(definition):
    return "tgmon-" + definition.short_name


def _is(var, value):
    """A Director assign filter: host.vars.VAR equals VALUE (a string, or true)."""
    return "host.vars.%s=%s" % (var, "true" if value is True else "%%22%s%%22" % value)


def service_sets(basket):
    """Per place the checks run: one service per single-node check, or all in one, each
    with the node's reachability (and on an agent the agent's connection) that the
    Dependency rules make them wait for; the cluster's service for a host that lists
    the cluster's nodes."""
    single = [d for d in all_checks() if d.scope == "node"] + [REACHABLE]
    whole = [d for d in all_checks() if d.scope == "all-in-one"] + [REACHABLE]
    cluster = [d for d in all_checks() if d.scope == "cluster"]
    for mode in ("agent", "agentless"):
        only = _is("tightgate_mode", mode)
        aio = _is("tightgate_all_in_one", True)
        _service_set(basket, "tgmon node (%s)" % mode, single, mode, "%s&!(%s)" % (only, aio),
                     "one service per check of a TightGate node; " + MODE_HELP[mode])
        _service_set(basket, "tgmon all-in-one (%s)" % mode, whole, mode, "%s&%s" % (only, aio),
                     "one service with every check of a TightGate node; " + MODE_HELP[mode])
    _service_set(basket, "tgmon cluster", cluster, "cluster",
                 _is("tightgate_cluster_nodes", True),
                 "the updates of a TightGate cluster across its nodes, on a host standing for "
                 "the cluster")


def _service_set(basket, name, definitions, mode, assign_filter, description):
    services = {}
    for definition in definitions:
        service = service_name(definition)
        imports = [template_name(definition)]
        if mode != "cluster":
            imports.append("tgmon-" + mode)
        services[service] = {
            "object_name": service, "object_type": "object", "imports": imports, "fields": [],
            "vars": {"%s_%s" % (command_name(definition), dest): "$host.vars.%s$" % var
                     for dest, var in SOURCES[mode].items()},
            "uuid": object_uuid("Service", "%s/%s" % (name, service))}
    if mode == "agent":
        services[AGENT_SERVICE] = {
            "object_name": AGENT_SERVICE, "object_type": "object", "imports": [AGENT_TEMPLATE],
            "fields": [], "uuid": object_uuid("Service", "%s/%s" % (name, AGENT_SERVICE))}
    basket.add("ServiceSet", name, {"object_name": name, "object_type": "template",
                                    "description": description, "assign_filter": assign_filter,
                                    "services": services})


def dependency_rules(basket):
    """The samples' Dependency rules (tgmon-oncall.conf), for the hosts of the sets."""
    for name, parent, children, agent_only in dependencies():
        hosts = _is("tightgate_mode", "agent") if agent_only else _is("tightgate_mode", True)
        commands = "|".join("service.check_command=%%22%s%%22" % c for c in children)
        basket.add("Dependency", name, dict(
            DEPENDENCY, object_name=name, object_type="apply", apply_to="service",
            parent_service_by_name=parent, assign_filter="%s&(%s)" % (hosts, commands)))


def build():
    """The basket, every object with its uuid."""
    basket = Basket()
    datalists(basket)
    commands(basket)
    host_templates(basket)
    service_templates(basket, icingadsl.constant(CONSTANTS, "TgmonDocsUrl"))
    service_sets(basket)
    dependency_rules(basket)
    result = dict(basket.types)
    result["Datafield"] = basket.datafields()
    return result


def without_uuids(objects):
    """The same basket as Director 1.10 reads it."""
    if isinstance(objects, dict):
        return {key: without_uuids(value) for key, value in objects.items() if key != "uuid"}
    if isinstance(objects, list):
        return [without_uuids(value) for value in objects]
    return objects


def render(objects):
    return json.dumps(objects, indent=4, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv):
    try:
        basket = build()
    except (icingadsl.DslError, OSError) as error:
        # a sample that changed shape: say which, rather than guess or trace back
        print("tools/director.py: %s" % error, file=sys.stderr)
        return 1
    return sync({BASKET: render(basket), BASKET_1_10: render(without_uuids(basket))}, argv,
                "make icinga-conf")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Passive check results into Icinga 2 (tgmon push): which of tgmon's services
exist (with their vars: the command line their CheckCommand gives the plugin),
and /v1/actions/process-check-result for one of them.

Objects are never created: a result goes only to a service the API listed.
What the API lists is input: a service of a host not asked for, or whose
name is not one printable line, is ignored. A result whose service is gone
(HTTP 404: a reload removed it, or the ApiUser's filter hides it) is Refused
for that one service.
"""

from . import Refused
from .icinga_client import IcingaClient, NoObjects, attributes, usable_name

# hosts per service query: 1000 nodes with 8 services each stay far below the
# client's bound on the objects of one answer
HOSTS_PER_QUERY = 200
COMMAND_PATTERN = "tgmon_*"
PUSHED = "tgmon_pushed"      # the var of the template tgmon-pushed


class IcingaResults(IcingaClient):
    """The pusher's view of one Icinga 2 API: its services, and results sent to them."""

    def services(self, hosts):
        """{(host, service): (check command, vars)} of the pushed services on ``hosts``:
        check command one of tgmon's (tgmon_*), passive checks on and vars.tgmon_pushed
        (the template tgmon-pushed) - checked here whatever the API answered, so a
        broader ApiUser never makes tgmon push to a service left to its active check."""
        hosts = sorted(hosts)
        found = {}
        for start in range(0, len(hosts), HOSTS_PER_QUERY):
            asked = set(hosts[start:start + HOSTS_PER_QUERY])
            # vars.tgmon_pushed is checked here only: a service without vars would make
            # the filter fail for the whole query
            for item in self.query("services", "host.name in hosts && match(pattern, "
                                   "service.check_command) && service.enable_passive_checks",
                                   {"hosts": sorted(asked), "pattern": COMMAND_PATTERN},
                                   ["name", "host_name", "check_command", "vars",
                                    "enable_passive_checks"]):
                attrs = attributes(item)
                host, name, command = (attrs.get("host_name"), attrs.get("name"),
                                       attrs.get("check_command"))
                variables = attrs.get("vars")
                if (host in asked and usable_name(name) and isinstance(command, str)
                        and attrs.get("enable_passive_checks") is True
                        and isinstance(variables, dict) and variables.get(PUSHED) is True):
                    found[(host, name)] = (command, variables)
        return found

    def process_check_result(self, host, service, result):
        """Send one result (a dict of process-check-result's fields: exit_status,
        plugin_output, performance_data, check_source, execution_start/end, ttl)."""
        try:
            self.action("process-check-result", dict(result, type="Service",
                                                     service="%s!%s" % (host, service)))
        except NoObjects:
            raise Refused("Icinga 2 has no service %s!%s for this ApiUser (HTTP 404)"
                          % (host, service), "a reload removed it, or the ApiUser's filter "
                          "does not let tgmon push to it (docs/push.rst)") from None

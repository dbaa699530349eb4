"""The cores the pusher sends to, each through the client or encoder of tgmon/cores:
Icinga 2 (its API: process-check-result with ttl), Nagios (its command pipe) and
NSCA-ng (send_nsca). Each knows which of tgmon's services its core has and
sends a round's results to those only; a core that cannot be used raises
CoreError, a result refused for its service is Refused and the rest go on.
"""

import re
import time

from ..cores import CoreError, Refused
from ..cores.nagios import check_pipe, check_result, read_status, write_commands
from .services import (CLUSTER_CHECK, COMMAND_PREFIX, NAGIOS_DESCRIPTIONS, NODE_CHECKS,
                       check_of_command, plugin_argv)

# the services are listed again after this long, or after a refusal
SERVICES_REFRESH = 600
_PERF_TOKEN = re.compile(r"(?:'[^']*'|[^\s'])+")


def icinga_parts(output):
    """(output, perfdata list) as Icinga 2 parses a plugin's output: on every line the
    text after a '|' followed by '=' is perfdata; the lines of text joined by \\n."""
    text, perfdata = [], []
    for line in output.strip().split("\n"):
        bar = line.find("|")
        if bar >= 0 and "=" in line[bar:]:
            text.append(line[:bar])
            perfdata.extend(_PERF_TOKEN.findall(line[bar + 1:]))
        else:
            text.append(line)
    return "\n".join(text), perfdata


class Target:
    """What every core shares: the services known, listed again when stale."""

    def __init__(self):
        self.known, self.listed_at, self.hosts = None, 0.0, frozenset()
        self.argv = {}           # (host, service) -> its plugin's command line from its vars
        self.overdue = []        # (thread, since) of the requests that overran -t

    def services(self, hosts):
        """{(host, service): check} of tgmon's services this core has on ``hosts``."""
        hosts = frozenset(hosts)
        if (self.known is None or hosts != self.hosts
                or time.monotonic() - self.listed_at > SERVICES_REFRESH):
            self.known, self.argv = {}, {}
            for key, (command, variables) in self.list_services(hosts).items():
                check = check_of_command(command)
                if check:
                    self.known[key] = check
                    self.argv[key] = plugin_argv(check, variables)
            self.listed_at, self.hosts = time.monotonic(), hosts
        return self.known

    def forget(self):
        self.known = None

    def renew(self):
        """After a send that overran: what the next send needs afresh (nothing here)."""

    def reload(self):
        """SIGHUP: the secrets read again (TgmonError when they cannot be: the old stay)."""


class IcingaTarget(Target):
    name = "Icinga 2"

    def __init__(self, make_api, check_source):
        super().__init__()
        self.make_api, self.check_source = make_api, check_source
        self.api = make_api()

    def renew(self):
        """A new session: the overrun send keeps the old one to itself."""
        self.api = self.make_api()

    def reload(self):
        """A new session, the password file read again."""
        self.api = self.make_api()

    def list_services(self, hosts):
        """The services with their vars: a service's own tgmon_<check>_<option> vars
        judge its results, as they make its CheckCommand's command line."""
        return self.api.services(hosts)

    def send(self, batch):
        """Each (Pushed, ttl, start, end); the Refused ones as (Pushed, error). The
        session is the one the send began with: an overrun keeps it to itself."""
        refused, api = [], self.api
        for pushed, ttl, start, end in batch:
            output, perfdata = icinga_parts(pushed.output)
            try:
                api.process_check_result(pushed.host, pushed.service, {
                    "exit_status": pushed.code, "plugin_output": output,
                    "performance_data": perfdata, "check_source": self.check_source,
                    "execution_start": start, "execution_end": end, "ttl": ttl})
            except Refused as exc:
                refused.append((pushed, exc))
                self.forget()
        return refused


def _encoded(batch):
    """The commands of a batch, through the one encoder; the ones it refuses apart."""
    lines, refused = [], []
    for pushed, _ttl, _start, end in batch:
        try:
            lines.append(check_result(pushed.host, pushed.service, pushed.code, pushed.output,
                                      int(end)))
        except Refused as exc:
            refused.append((pushed, exc))
    return lines, refused


class NagiosPipeTarget(Target):
    """The local command pipe; the services from status.dat (by check command)."""

    name = "Nagios"

    def __init__(self, command_file, status_file, seconds):
        super().__init__()
        if not status_file:
            from ..errors import UsageError
            raise UsageError("--nagios-command-file needs --nagios-status-file",
                             "give Nagios' status.dat (status_file in nagios.cfg)")
        self.command_file, self.status_file, self.seconds = command_file, status_file, seconds
        self.pipe = check_pipe(command_file)

    def list_services(self, hosts):
        blocks = read_status(self.status_file, {"servicestatus"},
                             lambda b: b.get("host_name") in hosts,
                             time.monotonic() + self.seconds)
        return {(b["host_name"], b.get("service_description", "")): (b.get("check_command"),
                                                                      None) for b in blocks}

    def send(self, batch):
        lines, refused = _encoded(batch)
        try:
            write_commands(self.command_file, lines, time.monotonic() + self.seconds, self.pipe)
        except CoreError:
            # a restarted Nagios makes a new pipe: take it for the next try
            self.pipe = check_pipe(self.command_file, CoreError)
            raise
        return refused


class NscaTarget(Target):
    """NSCA-ng: nothing can be listed, the services are the Nagios sample's."""

    name = "NSCA-ng"

    def __init__(self, config, seconds, all_in_one=False, cluster_host=None, binary=None):
        super().__init__()
        from ..cores import nsca
        self.nsca, self.config, self.seconds = nsca, nsca.check_config(config), seconds
        self.binary = binary or nsca.SEND_NSCA
        self.cluster_host = cluster_host
        self.node_checks = [d for d in NODE_CHECKS if d.short_name == "reachable"
                            or (d.scope == "all-in-one") == all_in_one]

    def list_services(self, hosts):
        checks = {host: [CLUSTER_CHECK] if host == self.cluster_host else self.node_checks
                  for host in hosts}
        return {(host, NAGIOS_DESCRIPTIONS[d.short_name]): (COMMAND_PREFIX + d.short_name, None)
                for host, listed in checks.items() for d in listed}

    def reload(self):
        self.nsca.check_config(self.config)

    def send(self, batch):
        lines, refused = _encoded(batch)
        self.nsca.send(self.config, lines, self.seconds, self.binary)
        return refused

"""The run of tgmon downtimes sync: read the nodes, plan their windows, make each
core hold exactly tgmon's downtimes for them.

A node is known by the name it is configured as (NAME=SOURCE, a cluster
file's NAME SOURCE, or the name its URL or state dir gives it), never by the
name its state claims: a node whose state calls itself otherwise is skipped,
so a cloned or hostile appliance cannot put a downtime on another host. One
bad node, one missing host, one refused downtime is skipped with one line;
the rest is synced. A core that fails, however it fails, is one line: the
other cores are synced all the same. stdout says what a core has done, once
it is done (Nagios: once status.dat shows it).
"""

import time
from datetime import timedelta

from ..cores import CoreError, Ownership, Refused
from ..state.model import NodeFailure
from ..options import http_settings
from ..sources.nodes import configured_nodes, node_name, read_each
from .plan import PlanSettings, plan, zone_of
from .options import DEFAULT_SERVICE_COMMANDS, DEFAULT_SILENCED
from .wanted import COMMENT_PREFIX, begun_now, changes, wanted_downtimes

DONE = {"add": "added", "remove": "removed"}


def sync(opts, report, now):
    configured = configured_nodes(opts.node, opts.cluster_file)
    cores = make_cores(opts, report.skip)   # usage errors before anything is read
    states, zones = usable_states(configured, read_each(
        [n.source for n in configured], nodes_share(opts), opts.max_age, now), report)
    if not states:
        report.line("tgmon downtimes: 0 of %d nodes usable, nothing changed" % len(configured))
        return report.code() or 1
    settings = PlanSettings(timedelta(seconds=opts.lookahead),
                            timedelta(seconds=opts.update_duration),
                            timedelta(seconds=opts.default_duration), opts.timezone, zones)
    result = plan(states, now, settings)
    for node, why in sorted(result.refused.items()):
        report.skip("node %s: %s - no downtime for it, its downtimes stay as they are; fix "
                    "its plan (admin maint)" % (node, why))
    states = [s for s in states if s.node.name not in result.refused]
    zones = {s.node.name: zone_of(s, settings) for s in states}
    summaries = sync_cores(cores, opts, states, result.windows, zones, report)
    report.line("tgmon downtimes%s: %d of %d nodes synced, %d windows; %s" % (
        " (dry run)" if opts.dry_run else "", len(states), len(configured),
        len(result.windows), "; ".join(summaries)))
    return report.code()


def sync_cores(cores, opts, states, windows, zones, report):
    """Each core in turn, the summary of each: one that fails, however it fails, is one
    line, and the next one is synced all the same."""
    summaries = []
    for core in cores:
        try:
            summaries.append(sync_core(core, opts, states, windows, zones, report))
        except CoreError as exc:
            report.problem("%s: %s" % (core.name, words(exc)))
            summaries.append("%s: failed" % core.name)
        except Exception as exc:   # an answer nobody foresaw must not cost the other cores
            report.problem("%s: stopped by an answer tgmon cannot use (%s) - nothing more "
                           "changed there; please report it" % (core.name, type(exc).__name__))
            summaries.append("%s: failed" % core.name)
    return summaries


def nodes_share(opts):
    """The nodes are read within half of what -t leaves: a node that never answers
    must not leave the cores no time (the others would not be synced)."""
    half = max(0.0, opts.deadline - time.monotonic()) / 2
    return http_settings(opts)._replace(deadline=time.monotonic() + half,
                                        timeout=round(half, 1))


def usable_states(configured, outcomes, report):
    """The states of the nodes read, each under the name it is configured as, and
    their configured time zones; one line for each node skipped."""
    states, zones, seen = [], {}, {}
    for node, (shown, value) in zip(configured, outcomes):
        if isinstance(value, NodeFailure):
            cause = "%s; %s" % (value.cause, value.fix) if value.fix else value.cause
            report.skip("node %s not read: %s - its downtimes stay as they are"
                        % (shown, cause))
            continue
        name, why = node_name(node, value.node.name)
        if name is None:
            report.skip("node %s %s - no downtime for it; %s" % (shown, why[0], why[1]))
            continue
        if name.lower() in seen:
            report.skip("node %s is %s again (as %s) - no downtime for it; give each node once"
                        % (shown, name, seen[name.lower()]))
            continue
        seen[name.lower()] = shown
        states.append(value._replace(node=value.node._replace(name=name)))
        if node.zone is not None:
            zones[name] = node.zone
    return states, zones


def make_cores(opts, warn):
    cores = []
    if opts.icinga_url:
        from ..cores.icinga import IcingaApi, IcingaSettings
        cores.append(IcingaApi(IcingaSettings(opts.icinga_url, opts.icinga_user,
                                              opts.icinga_password_file, opts.icinga_ca_file,
                                              opts.icinga_insecure, http_settings(opts)),
                               lambda text: warn("%s: %s" % (IcingaApi.name, text))))
    if opts.nagios_command_file:
        from ..cores.nagios import NagiosCore, NagiosSettings
        cores.append(NagiosCore(NagiosSettings(opts.nagios_command_file, opts.nagios_status_file,
                                               opts.nagios_host_downtime, opts.deadline),
                                lambda text: warn("%s: %s" % (NagiosCore.name, text))))
    if opts.alertmanager_url:
        from ..cores.alertmanager import Alertmanager, AlertmanagerSettings
        cores.append(Alertmanager(AlertmanagerSettings(
            opts.alertmanager_url, opts.alertmanager_ca_file, opts.alertmanager_token_file,
            opts.alertmanager_user, opts.alertmanager_password_file,
            opts.alertmanager_finding or DEFAULT_SILENCED, http_settings(opts)),
            lambda text: warn("%s: %s" % (Alertmanager.name, text))))
    return cores


def sync_core(core, opts, states, windows, zones, report):
    # Alertmanager's silences match the node's label, which is its name, not a host's
    silences = getattr(core, "silences", False)
    host_name = "{node}" if silences else opts.host_name_format
    hosts = {s.node.name: host_name.format(node=s.node.name) for s in states}
    existing = core.hosts(set(hosts.values()))
    for node, host in sorted(hosts.items()):
        if host not in existing:
            report.skip("%s: no host %s for node %s - add it, or fix the node's NAME or "
                        "--host-name-format" % (core.name, host, node))
    nodes = {node for node, host in hosts.items() if host in existing}
    owner = Ownership(opts.author, COMMENT_PREFIX, frozenset(hosts[node] for node in nodes))
    commands = tuple(opts.service_command or DEFAULT_SERVICE_COMMANDS)
    services = core.services(owner.hosts, commands) if nodes else {}
    found = core.downtimes(owner) if nodes else []
    wanted = wanted_downtimes([w for w in windows if w.node in nodes], zones, hosts.get,
                              services, host_downtime=core.host_downtime)
    if silences:
        wanted, found = begun_now(wanted, found, int(time.time()))
    todo = changes(wanted, found)
    if opts.dry_run:
        for item in todo.remove:
            report.line("%s: would remove %s" % (core.name, describe(item.downtime, core)))
        for downtime in todo.add:
            report.line("%s: would add %s" % (core.name, describe(downtime, core)))
        return "%s: %d to add, %d to remove, %d unchanged" % (
            core.name, len(todo.add), len(todo.remove), len(todo.keep))
    removes = _send(core, "remove", todo.remove, lambda f: core.remove(f, owner),
                    lambda f: f.downtime, report)
    adds = _send(core, "add", todo.add, lambda d: core.schedule(d, opts.author),
                 lambda d: d, report)
    late_adds, late_removes = core.finish(adds, removes)
    removed = [f.downtime for f in removes if f not in late_removes]
    added = [d for d in adds if d not in late_adds]
    if not core.applies_at_once:      # only now is it known what was done
        for verb, downtimes in (("remove", removed), ("add", added)):
            for downtime in downtimes:
                report.line("%s: %s %s" % (core.name, DONE[verb], describe(downtime, core)))
    for verb, downtime in ([("removal", f.downtime) for f in late_removes]
                           + [("addition", d) for d in late_adds]):
        report.skip("%s: did not apply the %s of %s within -t - check that it still has "
                    "that object (a reload?), or raise -t" % (core.name, verb,
                                                             describe(downtime, core)))
    refused = len(todo.add) + len(todo.remove) - len(adds) - len(removes)
    late = len(late_adds) + len(late_removes)
    return "%s: %d added, %d removed, %d unchanged%s%s" % (
        core.name, len(added), len(removed), len(todo.keep),
        ", %d refused" % refused if refused else "",
        ", %d not applied" % late if late else "")


def _send(core, verb, items, action, downtime_of, report):
    """Each item's action, the items sent; one refused is skipped with a line, the
    others go on. A core that applies each action at once has done it: said here."""
    sent = []
    for item in items:
        try:
            action(item)
        except Refused as exc:
            report.skip("%s: could not %s %s: %s" % (core.name, verb,
                                                     describe(downtime_of(item), core), words(exc)))
            continue
        if core.applies_at_once:
            report.line("%s: %s %s" % (core.name, DONE[verb], describe(downtime_of(item), core)))
        sent.append(item)
    return sent


def words(exc):
    """A TgmonError as one line: 'cause - fix'."""
    return "%s - %s" % (exc.cause, exc.fix) if exc.fix else exc.cause


def describe(downtime, core):
    if getattr(core, "silences", False):
        return "silence of %s %s alerts (%s)" % (downtime.host, downtime.service,
                                                 downtime.comment)
    target = downtime.host + (core.separator + downtime.service if downtime.service else "")
    kind = "service" if downtime.service else "host"
    return "%s downtime %s (%s)" % (kind, target, downtime.comment)

"""The pusher's rounds: read every node once, judge what is due, send it.

A service is due when its interval (services.INTERVALS) has passed since it
was last judged; its result waits per core, keyed by service, so a core that
fails keeps only the newest result of each service (memory: one per service,
whatever the outage's length) and is tried again after a backoff that doubles
up to MAX_BACKOFF. One node that cannot be read gives its services what the
plugins say then (or nothing, --node-failure expire); one core that fails
never stops the others. Every round ends with one summary line.
"""

import socket
import threading
import time

from ..cores import CoreError
from ..errors import TgmonError, UsageError
from ..options import http_settings
from ..sources.nodes import configured_nodes, node_name, read_each
from ..state.model import NodeFailure
from ..timeutil import utcnow
from .judge import Judge
from .services import CLUSTER_CHECK, INTERVALS, NODE_CHECKS, ttl_of

FIRST_BACKOFF = 2.0
MAX_BACKOFF = 300.0
# a request overrunning -t holds its core back this many -t at most, and at most
# this many such requests are left running at once
ABANDON = 10
MAX_ABANDONED = 4
NODE_CHECK_NAMES = {d.short_name for d in NODE_CHECKS}
# the pusher's options that, given to it, every check takes instead of its plugin's
PINNED = frozenset({"max_age", "runbook_url"})


class Pusher:
    """Rounds over the configured nodes into ``targets``; ``report`` takes the lines."""

    def __init__(self, opts, report):
        self.opts, self.report = opts, report
        self.nodes = configured_nodes(opts.node, opts.cluster_file)
        self.judge = Judge(opts.config, {dest: getattr(opts, dest)
                                         for dest in PINNED & getattr(opts, "given", set())})
        for check in INTERVALS:       # the config file's plugin sections: a usage error now
            self.judge.plugin(check)
        self.intervals = dict(INTERVALS, **dict(opts.interval or ()))
        self.last = {}                                  # (core, host, service) -> monotonic
        self.rounds = 0
        self.check_source = opts.check_source or socket.gethostname()
        self.use([])

    def use(self, targets):
        """Send to ``targets`` (the cores), nothing waiting yet."""
        self.targets = targets
        self.waiting = {t.name: {} for t in targets}    # core -> {(host, service): item}
        self.failures = {t.name: 0 for t in targets}
        self.retry_at = {t.name: 0.0 for t in targets}

    # ------------------------------------------------------------ one round
    def round(self):
        """Read, judge what is due, send; the round's summary line. Returns
        (skipped, failed cores)."""
        self.rounds += 1
        started, mono = time.time(), time.monotonic()
        outcomes = read_each([n.source for n in self.nodes], self._http(mono), None, utcnow())
        now, read_end = utcnow(), time.time()
        hosts, own, skipped = self._hosts(outcomes)
        wanted = set(hosts.values()) | ({self.opts.cluster_host} if self.opts.cluster_host
                                        else set())
        judged, failed, said, unlisted = {}, 0, [], set()
        for target in self.targets:
            try:
                services = self._within(target, lambda t=target: t.services(wanted))
            except CoreError as exc:
                self.report.problem("%s: %s - %s" % (target.name, exc.cause, exc.fix))
                unlisted.add(target.name)
                services = {}
            for (host, service), check in sorted(services.items()):
                if not self._due(target, host, service, check, mono):
                    continue
                argv = target.argv.get((host, service), ())
                try:
                    result = self._judged(judged, host, check, argv, hosts, own, outcomes, now)
                except UsageError as exc:
                    self.report.skip("%s: %s/%s not pushed, its vars give check_%s %s - %s"
                                     % (target.name, host, service, check, exc.cause, exc.fix))
                    continue
                if result is None:
                    continue
                pushed = result._replace(service=service)
                self.waiting[target.name][(host, service)] = (
                    pushed, ttl_of(check, self.intervals), started, read_end)
                self.last[(target.name, host, service)] = mono
        for target in self.targets:
            ok, words = self._flush(target, mono)
            if target.name in unlisted:
                ok, words = False, "%s: services not listed, %s" % (
                    target.name, words.split(": ", 1)[1])
            failed += not ok
            said.append(words)
        read = sum(not isinstance(value, NodeFailure) for _, value in outcomes)
        self.report.line("tgmon push: round %d: %d of %d nodes read, %d results judged; %s; "
                         "%.1f s" % (self.rounds, read, len(outcomes), len(judged),
                                     "; ".join(said) or "no core", time.time() - started))
        return skipped, failed

    def _http(self, mono):
        half = self.opts.timeout / 2
        return http_settings(self.opts)._replace(deadline=mono + half, timeout=half)

    def _hosts(self, outcomes):
        """{node index: host} of the nodes with a host, {node index: what its services
        are judged on} (a node read under another name is a failure there, never in the
        cluster view, which ignores names) and the number skipped; a line for each."""
        hosts, own, skipped = {}, {}, 0
        for index, (node, (shown, value)) in enumerate(zip(self.nodes, outcomes)):
            name = node.name
            if not isinstance(value, NodeFailure):
                name, why = node_name(node, value.node.name)
                if name is None:
                    value = NodeFailure(shown, *why)
                    name = node.name
            if isinstance(value, NodeFailure):
                skipped += 1
                self.report.skip("node %s not read: %s%s" % (
                    "%s (%s)" % (name, shown) if name else shown, value.cause,
                    "" if name else " - and it has no NAME, so its "
                    "services get nothing until their ttl runs out: give NAME=SOURCE"))
                if name is None:
                    continue
            hosts[index] = self.opts.host_name_format.format(node=name)
            own[index] = (shown, value)
        return hosts, own, skipped + self._one_node_a_host(hosts, own)

    def _one_node_a_host(self, hosts, own):
        """Two nodes read as one host (names taken from their sources and states: two
        clones calling themselves tg1 at tg1.site-a and tg1.site-b): which one the host's
        services stand for cannot be told, so none - each gets UNKNOWN naming both."""
        by_host, skipped = {}, 0
        for index, host in hosts.items():
            by_host.setdefault(host, []).append(index)
        for host, indexes in by_host.items():
            if len(indexes) < 2:
                continue
            shown = [own[index][0] for index in indexes]
            cause = "%d nodes are read as host %s: %s" % (len(shown), host, ", ".join(shown))
            fix = "give each node its own NAME (NAME=SOURCE)"
            for index in indexes:
                own[index] = (own[index][0], NodeFailure(own[index][0], cause, fix))
            skipped += len(indexes)
            self.report.skip("%s - %s" % (cause, fix))
        return skipped

    def _due(self, target, host, service, check, mono):
        last = self.last.get((target.name, host, service))
        return last is None or mono - last >= self.intervals[check] - 1

    def _judged(self, judged, host, check, argv, hosts, own, outcomes, now):
        """The Pushed of ``check`` on ``host`` (service to be filled in) with the plugin's
        command line ``argv`` (its service's vars), judged once a round whatever the
        number of cores; None when nothing is pushed for it."""
        key = (host, check, argv)
        if key not in judged:
            judged[key] = None
            if check == CLUSTER_CHECK.short_name:
                if host == self.opts.cluster_host:
                    judged[key] = self.judge.cluster(host, outcomes, [None], now, argv)[0]
            elif check in NODE_CHECK_NAMES:
                for index, name in hosts.items():
                    if name == host:
                        outcome = own[index]
                        if not (isinstance(outcome[1], NodeFailure)
                                and self.opts.node_failure == "expire"):
                            judged[key] = self.judge.node(host, outcome, [(None, check)],
                                                          now, argv)[0]
                        break
        return judged[key]

    def _flush(self, target, mono):
        """Send what waits for ``target`` unless it is backing off: (ok, summary words)."""
        waiting = self.waiting[target.name]
        if waiting and mono >= self.retry_at[target.name]:
            batch = list(waiting.values())
            if self.opts.dry_run:
                for pushed, ttl, _s, _e in batch:
                    self.report.line("%s: would push %s/%s ttl %d: %s" % (
                        target.name, pushed.host, pushed.service, ttl,
                        pushed.output.split("\n", 1)[0].split(" | ")[0]))
                waiting.clear()
                return True, "%s: %d would be sent" % (target.name, len(batch))
            try:
                refused = self._within(target, lambda: target.send(batch))
            except CoreError as exc:
                self.failures[target.name] += 1
                delay = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (self.failures[target.name] - 1))
                self.retry_at[target.name] = mono + delay
                self.report.problem("%s: %s - %s" % (target.name, exc.cause, exc.fix))
                return False, "%s: failed, %d waiting, next try in %g s" % (
                    target.name, len(waiting), delay)
            waiting.clear()
            self.failures[target.name] = 0
            for pushed, exc in refused:
                self.report.skip("%s: %s/%s refused: %s - %s" % (
                    target.name, pushed.host, pushed.service, exc.cause, exc.fix))
            return True, "%s: %d sent, %d refused" % (target.name, len(batch) - len(refused),
                                                      len(refused))
        if waiting:
            return False, "%s: %d waiting, next try in %.0f s" % (
                target.name, len(waiting), self.retry_at[target.name] - mono)
        return True, "%s: nothing due" % target.name

    def _within(self, target, work):
        """``work()`` on ``target`` within -t, in a thread of its own: a core that drips
        its answers holds that thread, never the rounds. An overrun is left to end by
        itself with the client it has; the next call gets a fresh one, and none starts
        while the overrun one still runs - unless that has run for ABANDON times -t (a
        connection that drips for ever must not hold the core back for ever), and at
        most MAX_ABANDONED of them at once."""
        target.overdue = [(thread, since) for thread, since in target.overdue
                          if thread.is_alive()]
        if target.overdue and (len(target.overdue) >= MAX_ABANDONED or time.monotonic()
                               - target.overdue[-1][1] < ABANDON * self.opts.timeout):
            raise CoreError("a request of an earlier round still waits for its answer",
                            "check the core: it takes longer than -t to answer")
        outcome = {}

        def run():
            try:
                outcome["value"] = work()
            except Exception as exc:      # handed to the round
                outcome["error"] = exc
        thread = threading.Thread(target=run, daemon=True, name="tgmon-push-core")
        thread.start()
        thread.join(self.opts.timeout)
        if thread.is_alive():
            target.overdue.append((thread, time.monotonic()))
            target.renew()
            raise CoreError("did not answer within -t %g s" % self.opts.timeout,
                            "check the core (an answer that drips?), or raise -t")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def reload(self):
        """SIGHUP: each core's secrets read again and its services listed afresh; a core
        whose secrets cannot be read now keeps what it had, said in a line."""
        for target in self.targets:
            try:
                target.reload()
            except TgmonError as exc:
                self.report.problem("%s: not reloaded, %s - %s" % (target.name, exc.cause,
                                                                   exc.fix))
            target.forget()
        self.report.line("tgmon push: SIGHUP after round %d: secrets read again, the "
                         "services listed afresh" % self.rounds)

    def next_retry(self):
        """When a core that failed is tried again (monotonic), inf when none waits."""
        return min([self.retry_at[t.name] for t in self.targets if self.waiting[t.name]],
                   default=float("inf"))

    def retry(self):
        """Send what waits for the cores whose backoff is over, between two rounds."""
        for target in self.targets:
            if self.waiting[target.name] and time.monotonic() >= self.retry_at[target.name]:
                ok, words = self._flush(target, time.monotonic())
                self.report.line("tgmon push: retry after round %d: %s" % (self.rounds, words))

    def waiting_count(self):
        return sum(len(w) for w in self.waiting.values())

"""Download rounds of a simulated node (R1, R3, R5, R8).

A round makes at most ``ATTEMPTS_PER_ROUND`` attempts; when all fail, the
warn flag is set (it is cleared only by a complete download). Whoever needs
the files joins the round already running; ``done(ok)`` is called at its end.
"""

from ..state.lifecycle import (ATTEMPT_TIMEOUT, ATTEMPTS_PER_ROUND, DOWNLOAD_HOTFIXES,
                         DOWNLOAD_RELEASE)
from ..state.model import MARKER_UNSET


class Job:
    """One round in progress."""

    def __init__(self, purpose, payload, callbacks):
        self.purpose = purpose
        self.payload = payload
        self.callbacks = list(callbacks)
        self.attempt = 0
        self.last_reason = None

    def notify(self, ok):
        for callback in self.callbacks:
            callback(ok)


class Downloads:
    """The update files on a node's disk and the round that fetches them."""

    def __init__(self, node):
        self.node = node
        self.job = None
        self.files = None        # the payload the files on disk cover
        self._token = 0          # a stale attempt or abort of an ended round does nothing

    def covers(self, payload):
        """True when the files on disk hold everything ``payload`` needs (R1)."""
        release, hotfixes = payload
        if self.files is None:
            return release is None and not hotfixes
        got_release, got_hotfixes = self.files
        return ((release is None or got_release == release)
                and set(hotfixes) <= set(got_hotfixes))

    def then(self, done):
        """Call ``done(ok)`` when the running round ends (it must be running)."""
        self.job.callbacks.append(done)

    def round(self, purpose, done, deadline=None, payload=None):
        """Start (or join) a round; ``deadline`` aborts it (a scheduled download's end, R3)."""
        node = self.node
        if self.job is not None:
            self.then(done)
            return
        payload = payload or node.payload()
        if self.covers(payload):
            node.sim.queue.at(node.now, done, True)
            return
        self._token += 1
        self.job = Job(purpose, payload, [done])
        node.log("download of %s started (%s)" % (describe(payload), purpose))
        if deadline is not None:
            node.sim.queue.at(deadline, self._abort, self._token)
        self._attempt(self._token)

    def _attempt(self, token):
        job = self._current(token)
        if job is None:
            return
        node = self.node
        job.attempt += 1
        release, _ = job.payload
        duration = DOWNLOAD_RELEASE if release else DOWNLOAD_HOTFIXES
        reason = None
        if node.fail_attempts > 0:
            node.fail_attempts -= 1
            reason = "download attempt failed"
        elif not node.server.reachable(node.now):
            reason = "update server unreachable"
        elif node.server.outage_during(node.now, node.now + duration) is not None:
            reason = "update server went down during the download"
        if reason is None:
            node.sim.queue.at(node.now + duration, self._complete, token)
            return
        job.last_reason = reason
        following = self._attempt if job.attempt < ATTEMPTS_PER_ROUND else self._failed
        node.sim.queue.at(node.now + ATTEMPT_TIMEOUT, following, token)

    def _current(self, token):
        return self.job if self.job is not None and token == self._token else None

    def _end(self, token):
        """The running job if ``token`` is still its own, now ended; else None."""
        job = self._current(token)
        self.job = None if job is not None else self.job
        return job

    def _complete(self, token):
        job = self._end(token)
        if job is None:
            return
        node = self.node
        self.files = job.payload
        node.last_complete_download = node.now
        node.last_check = node.last_successful_check = node.now
        node.last_check_ok = True
        if node.warn_flag.is_set:
            node.log("warn flag cleared by a complete download (R8)")
        node.warn_flag = MARKER_UNSET
        node.log("download of %s complete" % describe(job.payload))
        job.notify(True)

    def _failed(self, token):
        job = self._end(token)
        if job is None:
            return
        node = self.node
        if not node.warn_flag.is_set:
            node.warn_flag = node.marker(["%d download attempts failed: %s"
                                          % (ATTEMPTS_PER_ROUND, job.last_reason)])
            node.log("all %d download attempts failed: warn flag set (R5, R8)"
                     % ATTEMPTS_PER_ROUND)
        else:
            node.log("all %d download attempts failed again" % ATTEMPTS_PER_ROUND)
        job.notify(False)

    def _abort(self, token):
        job = self._end(token)
        if job is None:
            return
        self._token += 1
        self.node.log("scheduled download aborted at its end time (R3)")
        job.notify(False)


def describe(payload):
    """(release, hotfix ids) -> 'release 4.12 (kernel update) + hotfix HF-1'."""
    release, hotfixes = payload
    parts = []
    if release is not None:
        parts.append("release %s%s" % (release.version,
                                       " (kernel update)" if release.kernel_update else ""))
    if hotfixes:
        parts.append("hotfix%s %s" % ("es" if len(hotfixes) > 1 else "", ", ".join(hotfixes)))
    return " + ".join(parts) or "nothing"

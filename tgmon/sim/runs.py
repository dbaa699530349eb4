"""A simulated node's update runs: begin, download rounds, install, end (R1, R2, R5-R13).

``UpdateRuns`` is the part of ``SimNode`` that carries a run from its start to
its end - a scheduled run once ``SimNode._scheduled_run`` has begun it, an
Auto-Update or a Customer-service update from the start - and what its end
leaves: the lock, the maintenance mode, who may log in.
"""

from ..state.lifecycle import ATTEMPTS_PER_ROUND, INSTALL_HOTFIXES, INSTALL_RELEASE, REBOOT
from ..state.model import FailureSwitchOff, UpdateRun
from .download import describe

# What the log says when an update ends well but a maintenance mode stays, by its origin.
MAINTENANCE_STAYS = {
    "planned": ("the maintenance admin maint planned stays until admin maint ends it",
                "R12, R14"),
    "failure": ("the maintenance mode of the earlier failure stays until an admin ends it",
                "R7, R10"),
}


class Run:
    """An update run in progress: scheduled (R11, R12) or Auto-Update (R2)."""

    def __init__(self, kind, start, payload, update_at=None):
        self.kind = kind
        self.start = start
        self.payload = payload
        self.update_at = update_at
        self.phase = "prepare"


class UpdateRuns:
    """The update-run methods of ``SimNode`` (which holds the state they change)."""

    # ------------------------------------------------------------ update runs
    def begin_run(self, kind, payload, message, update_at=None):
        """A run starts: it is the node's current one and its last_update_run."""
        run = self.run = Run(kind, self.now, payload, update_at)
        self.last_update_run = UpdateRun(kind, run.start, None, None, message)
        return run

    def end_run(self, run, result, message):
        """A run ends with ``result`` (ok | no-updates | failed)."""
        if self.run is run:
            self.run = None
            if run.phase == "install":
                self.busy = None
        self.last_update_run = UpdateRun(run.kind, run.start, self.now, result, message)

    def _update_due(self, run):
        if self.run is not run:
            return
        if self.downloads.job is not None:
            self.downloads.then(lambda ok: self._after_round(run, ok, first=True))
            return
        self._after_round(run, self.downloads.covers(run.payload), first=True)

    def _after_round(self, run, ok, first):
        """A download round before the run is over: install, try a second round (R5),
        or give up (R6)."""
        if self.run is not run:
            return
        if ok:
            self.install(run)
        elif first:
            self.log("files not downloaded: second round of %d attempts before the run (R5)"
                     % ATTEMPTS_PER_ROUND)
            self.downloads.round("R5: second round",
                                 lambda ok2: self._after_round(run, ok2, first=False),
                                 payload=run.payload)
        else:
            self._both_rounds_failed(run)

    def _both_rounds_failed(self, run):
        # R6: scheduled operation off, lock; R7: a cluster node also goes to maintenance
        self.download_setting = self.download_setting._replace(active=False)
        self.update_setting = self.update_setting._replace(active=False)
        self.disabled_by_failure = FailureSwitchOff(self.now, "download failed in both rounds")
        self.disarm_schedule()
        self.log("second round failed: scheduled download and update switched off (R6)")
        if self.role == "cluster-node":
            self.enter_maintenance("update download failed", only_maint=True, origin="failure")
            self.in_load_balancing = False
            self.log("cluster node in maintenance mode; only admin maint can end it (R7)")
        else:
            self._leave_run_maintenance()
        message = "download of the update files failed in both rounds"
        self.end_run(run, "failed", message)
        self._set_lock("scheduled update failed: %s" % message)

    def _set_lock(self, reason):
        if not self.update_lock.is_set:
            self.update_lock = self.marker([reason])
            self.log("update lock set (R9): %s" % reason)

    def start_manual_run(self, kind, payload, what="Auto-Update"):
        """Auto-Update or a Customer-service update: download, then install (R1, R2)."""
        if payload == (None, ()):
            self.end_run(self.begin_run(kind, payload, what), "no-updates",
                         "no updates available")
            self.log("%s: no updates available" % what)
            return
        run = self.begin_run(kind, payload, what)
        self.log("%s started for %s" % (what, describe(payload)))

        def downloaded(ok):
            if self.run is not run:
                return
            if ok:
                self.install(run)
            else:
                self.end_run(run, "failed", "download of the update files failed")
        self.downloads.round(what, downloaded, payload=payload)

    # ---------------------------------------------------------- install (R12, R13)
    def install(self, run):
        if run.kind == "scheduled":
            # R9: a lock set on another node after this run began still halts it
            blocked = self._run_blocker()
            if blocked:
                self._halt(run, blocked)
                return
        run.phase = "install"
        release, hotfixes = run.payload
        if run.kind == "scheduled" and self.role == "single":
            self.new_logins_blocked = True
            self.log("new client logins blocked right before the update (R11)")
        self.busy = "install"
        self.users_disconnected = True
        if self.role == "cluster-node":
            self.in_load_balancing = False
        self.log("update started: users disconnected, installing %s (R12)" % describe(run.payload))
        duration = INSTALL_RELEASE if release else INSTALL_HOTFIXES
        self.sim.queue.at(self.now + duration, self._install_done, run)

    def _install_done(self, run):
        if self.run is not run:
            return
        release, hotfixes = run.payload
        if self.fail_install:
            self.fail_install = False
            self.end_run(run, "failed", "installation of %s failed" % describe(run.payload))
            self.log("installation failed")
            if run.kind == "scheduled":
                self._set_lock("scheduled update failed: installation error")
                self._stay_down_after_failure()
            else:
                self.users_may_return()
            return
        if release is not None:
            self.installed = release.version
            self.installed_at = self.now
        by_id = {h.id: h for h in self.known_hotfixes}
        self.installed_hotfixes.extend(by_id[i] for i in hotfixes if i in by_id)
        self.selected_hotfixes -= set(hotfixes)
        self.downloads.files = None
        kernel = release is not None and release.kernel_update
        if kernel and run.kind == "scheduled":
            self.busy = "reboot"
            self.log("kernel update: rebooting by itself (R12)")
            self.sim.queue.at(self.now + REBOOT, self._finish_run, run)
            return
        if kernel:
            self.reboot_required = self.marker(["linux-image (kernel of %s)" % release.version])
            self.log("kernel update by Auto-Update: reboot required, no automatic reboot (R13)")
        self._finish_run(run)

    def _finish_run(self, run):
        self.end_run(run, "ok", "installed %s" % describe(run.payload))
        done = ["update finished"]
        if self.maintenance is not None and self.maintenance.origin == "run":
            done.append("maintenance ended")
        self._leave_run_maintenance()
        if run.kind == "scheduled":
            # R12: logins are released, a VNC block admin maint set for the run included
            self.new_logins_blocked = False
            if self.vnc_login_disabled:
                self.vnc_login_disabled = False
                self.log("VNC login released after the error-free update (R12)")
        if self.maintenance is not None:
            self.log("update finished; %s (%s)" % MAINTENANCE_STAYS[self.maintenance.origin])
            self.users_may_return()
            return
        if run.kind == "scheduled":
            done.append("logins released")
        if self.role == "cluster-node" and not self.in_load_balancing:
            self.in_load_balancing = True
            done.append("back in load balancing")
        self.users_may_return()
        self.log("%s (R12)" % ", ".join(done))

    def _stay_down_after_failure(self):
        """A scheduled update that failed installing (R9): the node stays in maintenance,
        locked, out of load balancing or with new logins blocked, so its users stay away
        until an admin ends the maintenance."""
        self.enter_maintenance("scheduled update failed: installation error", origin="failure")
        self.log("maintenance mode stays on, %s until an admin ends it"
                 % ("out of load balancing" if self.role == "cluster-node"
                    else "new client logins blocked"))

    def _halt(self, run, blocked):
        """A scheduled run that may not install after all: it ends without installing.

        Not a failure of this node, so no lock of its own (else one node's
        failure would lock every node whose run had begun). The downloaded
        files stay for the next run.
        """
        self.end_run(run, "failed", "halted before installing: %s" % blocked[0])
        self._leave_run_maintenance()
        if self.role == "cluster-node" and self.maintenance is None:
            self.in_load_balancing = True
        self.users_may_return()
        self.log("scheduled update halted before installing: %s (%s)" % blocked)

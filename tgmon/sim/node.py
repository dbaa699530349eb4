"""One simulated TightGate-Pro node (single system or cluster node), R1-R17.

The node is a small state machine driven by the simulation's event queue.
Admin actions are methods; what the appliance forbids raises ``Refused``
naming the rule. ``snapshot`` exports the immutable ``State`` the checks read.
"""

from datetime import timedelta

from .. import model
from ..model import (
    ClusterSettings, FailureSwitchOff, Flags, Hotfixes, Maintenance, Marker,
    MARKER_UNSET, Node, PlannedMaintenance, Releases, Schedule, ScheduledDownload,
    ScheduledUpdate, State, UpdateRun, UpdateServer, version_key)
from .errors import Refused, SimError
from .wallclock import next_daily, next_weekly

MINUTE = timedelta(minutes=1)
ATTEMPTS_PER_ROUND = 10            # R5
ATTEMPT_TIMEOUT = 2 * MINUTE       # a failed attempt gives up after this
DOWNLOAD_RELEASE = 20 * MINUTE
DOWNLOAD_HOTFIXES = 2 * MINUTE
INSTALL_RELEASE = 30 * MINUTE
INSTALL_HOTFIXES = 5 * MINUTE
REBOOT = 5 * MINUTE
RUN_LEAD = timedelta(hours=1)      # R4 download / R11 out of load balancing
NOTICE_LEAD = timedelta(hours=2)   # R14 users see the planned maintenance
POLL_CLOCK = "05:00"               # daily update-server check (hotfixes, R15)


class Run:
    """An update run in progress: scheduled (R11, R12) or Auto-Update (R2)."""

    def __init__(self, kind, start, update_at=None):
        self.kind = kind
        self.start = start
        self.update_at = update_at
        self.phase = "prepare"
        self.payload = None


class Download:
    def __init__(self, purpose, payload, deadline, callbacks):
        self.purpose = purpose
        self.payload = payload
        self.deadline = deadline
        self.callbacks = list(callbacks)
        self.attempt = 0
        self.last_reason = None


class SimNode:
    def __init__(self, sim, name, role, cluster=None, installed="4.11", installed_at=None,
                 download=None, update=None, always_install_all=True, users=0):
        self.sim = sim
        self.name = name
        self.role = role
        self.cluster = cluster
        self.installed = installed
        self.installed_at = installed_at
        self.download_setting = download or ScheduledDownload(False, "tuesday", "01:30", None)
        self.update_setting = update or ScheduledUpdate(False, "tuesday", "03:00")
        self.disabled_by_failure = None
        self.always_install_all = always_install_all
        self.selected_hotfixes = set()
        self.installed_hotfixes = []
        self.known_releases = ()
        self.known_hotfixes = ()
        self.last_check = None
        self.last_check_ok = None
        self.last_successful_check = None
        self.last_complete_download = None
        self.downloaded = None            # payload the files on disk cover
        self.maintenance = None           # dict(since, reason, only_maint, by_run)
        self.planned = None               # PlannedMaintenance
        self.vnc_login_disabled = False
        self.in_load_balancing = role == "cluster-node"
        self.last_update_run = None
        self.users = users
        self.warn_flag = MARKER_UNSET
        self.update_lock = MARKER_UNSET
        self.reboot_required = MARKER_UNSET
        self.run = None
        self.download = None
        self.busy = None                  # "install" | "reboot" while the node serves nobody
        self.fail_attempts = 0
        self.fail_install = False
        self._schedule_token = 0
        self._download_token = 0

    # ------------------------------------------------------------ helpers
    @property
    def now(self):
        return self.sim.now

    @property
    def server(self):
        return self.sim.server

    def log(self, text):
        self.sim.log(self.name, text)

    def _marker(self, lines):
        return Marker(True, self.now, tuple(lines))

    def start(self):
        """Arm the recurring events (called once the simulation is assembled)."""
        self.check_server()
        self._arm_poll()
        self._arm_schedule()

    # ------------------------------------------------ update server (R11, R15)
    def check_server(self):
        self.last_check = self.now
        ok = self.server.reachable(self.now)
        self.last_check_ok = ok
        if ok:
            self.last_successful_check = self.now
            self.known_releases = self.server.releases_at(self.now)
            self.known_hotfixes = self.server.hotfixes_at(self.now)
        return ok

    def _arm_poll(self):
        self.sim.queue.at(next_daily(self.now, POLL_CLOCK, self.sim.zone), self._poll)

    def _poll(self):
        self.check_server()
        self._arm_poll()

    def releases_ahead(self):
        current = version_key(self.installed)
        return [r for r in self.known_releases if version_key(r.version) > current]

    def available_hotfixes(self):
        done = {h.id for h in self.installed_hotfixes}
        base = self._installed_release_time()
        return tuple(h for h in self.known_hotfixes
                     if h.id not in done and (base is None or h.released > base))

    def _installed_release_time(self):
        for release in self.server.releases:
            if release.version == self.installed:
                return release.released
        return None

    def payload(self):
        """What an update run would install now: (release or None, hotfix ids)."""
        ahead = self.releases_ahead()
        release = ahead[0] if len(ahead) == 1 else None
        hotfixes = tuple(h.id for h in self.available_hotfixes()
                         if self.always_install_all or h.id in self.selected_hotfixes)
        return release, hotfixes

    def _covered(self, payload):
        release, hotfixes = payload
        if self.downloaded is None:
            return release is None and not hotfixes
        got_release, got_hotfixes = self.downloaded
        return ((release is None or got_release == release)
                and set(hotfixes) <= set(got_hotfixes))

    # ------------------------------------------------------ downloads (R1, R5, R8)
    def _download_round(self, purpose, done, deadline=None, payload=None):
        """One round of at most 10 attempts; ``done(ok)`` is called at its end."""
        if self.download is not None:  # join the download already running
            self.download.callbacks.append(done)
            return
        payload = payload or self.payload()
        if self._covered(payload):
            self.sim.queue.at(self.now, done, True)
            return
        self._download_token += 1
        self.download = Download(purpose, payload, deadline, [done])
        self.log("download of %s started (%s)" % (_describe(payload), purpose))
        if deadline is not None:
            self.sim.queue.at(deadline, self._abort_download, self._download_token)
        self._attempt(self._download_token)

    def _attempt(self, token):
        job = self.download
        if job is None or token != self._download_token:
            return
        job.attempt += 1
        release, _ = job.payload
        duration = DOWNLOAD_RELEASE if release else DOWNLOAD_HOTFIXES
        reason = None
        if self.fail_attempts > 0:
            self.fail_attempts -= 1
            reason = "download attempt failed"
        elif not self.server.reachable(self.now):
            reason = "update server unreachable"
        elif self.server.outage_during(self.now, self.now + duration) is not None:
            reason = "update server went down during the download"
        if reason is None:
            self.sim.queue.at(self.now + duration, self._download_complete, token)
            return
        job.last_reason = reason
        if job.attempt < ATTEMPTS_PER_ROUND:
            self.sim.queue.at(self.now + ATTEMPT_TIMEOUT, self._attempt, token)
        else:
            self.sim.queue.at(self.now + ATTEMPT_TIMEOUT, self._round_failed, token)

    def _end_download(self, token):
        """The running download job if ``token`` is still its own, now ended; else None."""
        job = self.download
        if job is None or token != self._download_token:
            return None
        self.download = None
        return job

    def _download_complete(self, token):
        job = self._end_download(token)
        if job is None:
            return
        self.downloaded = job.payload
        self.last_complete_download = self.now
        self.last_check = self.last_successful_check = self.now
        self.last_check_ok = True
        if self.warn_flag.is_set:
            self.log("warn flag cleared by a complete download (R8)")
        self.warn_flag = MARKER_UNSET
        self.log("download of %s complete" % _describe(job.payload))
        _notify(job, True)

    def _round_failed(self, token):
        job = self._end_download(token)
        if job is None:
            return
        if not self.warn_flag.is_set:
            self.warn_flag = self._marker(["%d download attempts failed: %s"
                                           % (ATTEMPTS_PER_ROUND, job.last_reason)])
            self.log("all %d download attempts failed: warn flag set (R5, R8)"
                     % ATTEMPTS_PER_ROUND)
        else:
            self.log("all %d download attempts failed again" % ATTEMPTS_PER_ROUND)
        _notify(job, False)

    def _abort_download(self, token):
        job = self._end_download(token)
        if job is None:
            return
        self._download_token += 1
        self.log("scheduled download aborted at its end time (R3)")
        _notify(job, False)

    # ------------------------------------------------------ schedule (R2-R4, R16)
    def _arm_schedule(self):
        self._schedule_token += 1
        token = self._schedule_token
        zone = self.sim.zone
        if self.download_setting.active:
            when = next_weekly(self.now, self.download_setting.weekday,
                               self.download_setting.start, zone)
            self.sim.queue.at(when, self._scheduled_download, token)
        if self.update_setting.active:
            update_at = next_weekly(self.now + RUN_LEAD, self.update_setting.weekday,
                                    self.update_setting.start, zone)
            self.sim.queue.at(update_at - RUN_LEAD, self._scheduled_run, token, update_at)

    def _scheduled_download(self, token):
        if token != self._schedule_token:
            return
        setting = self.download_setting
        deadline = None
        if setting.end:
            deadline = next_weekly(self.now, setting.weekday, setting.end, self.sim.zone)
            if deadline - self.now > timedelta(days=1):
                deadline = None  # an end before the start means no end that day
        self.check_server()
        self._download_round("scheduled download", lambda ok: None, deadline)
        when = next_weekly(self.now, setting.weekday, setting.start, self.sim.zone)
        self.sim.queue.at(when, self._scheduled_download, token)

    def _scheduled_run(self, token, update_at):
        if token != self._schedule_token:
            return
        # the next week's run is armed first: whatever happens to this one
        following = next_weekly(update_at, self.update_setting.weekday,
                                self.update_setting.start, self.sim.zone)
        self.sim.queue.at(following - RUN_LEAD, self._scheduled_run, token, following)
        blocked = self._run_blocker()
        if blocked:
            self.log("scheduled update of %s not started: %s"
                     % (self.sim.local(update_at).strftime("%H:%M"), blocked))
            return
        if self.run is not None:
            self.log("scheduled update not started: another run is in progress")
            return
        self.check_server()
        release, hotfixes = payload = self.payload()
        if len(self.releases_ahead()) >= 2:
            self._fail_scheduled(self.now, "%d releases behind: catch up from oldstable (R17)"
                                 % len(self.releases_ahead()), lock=True)
            return
        if release is None and not hotfixes:
            self.last_update_run = UpdateRun("scheduled", self.now, self.now, "no-updates",
                                             "no updates available")
            self.log("scheduled run: no updates available (R11)")
            return
        self.run = run = Run("scheduled", self.now, update_at)
        run.payload = payload
        self.last_update_run = UpdateRun("scheduled", self.now, None, None,
                                         "updates available: %s" % _describe(payload))
        self._enter_maintenance("scheduled update at %s" % self.sim.local(update_at).strftime("%H:%M"),
                                by_run=True)
        if self.role == "cluster-node":
            self.in_load_balancing = False
            self.log("out of load balancing 1 h before the update (R11)")
        self.log("scheduled run: updates available (%s), maintenance mode on" % _describe(payload))
        self._download_round("R4: 1 h before the update run", lambda ok: None,
                             payload=payload)
        self.sim.queue.at(update_at, self._update_due, run)

    def _run_blocker(self):
        if self.update_lock.is_set:
            return "update lock set (R9)"
        if self.cluster is not None:
            if self.cluster.update_lock:
                return "Cluster-wide update lock = yes (R16)"
            holder = self.cluster.lock_holder(exclude=self)
            if holder:
                return "node %s holds the update lock: the cluster's updates are halted (R9)" % holder
        return None

    def _update_due(self, run):
        if self.run is not run:
            return
        if self.download is not None:
            self.download.callbacks.append(lambda ok: self._after_first_round(run, ok))
            return
        self._after_first_round(run, self._covered(run.payload))

    def _after_first_round(self, run, ok):
        if self.run is not run:
            return
        if ok:
            self._install(run)
            return
        self.log("files not downloaded: second round of %d attempts before the run (R5)"
                 % ATTEMPTS_PER_ROUND)
        self._download_round("R5: second round", lambda ok2: self._after_second_round(run, ok2),
                             payload=run.payload)

    def _after_second_round(self, run, ok):
        if self.run is not run:
            return
        if ok:
            self._install(run)
            return
        # R6: scheduled operation off, lock; R7: a cluster node also goes to maintenance
        self.download_setting = self.download_setting._replace(active=False)
        self.update_setting = self.update_setting._replace(active=False)
        self.disabled_by_failure = FailureSwitchOff(self.now, "download failed in both rounds")
        self._schedule_token += 1
        self.log("second round failed: scheduled download and update switched off (R6)")
        if self.role == "cluster-node":
            self._enter_maintenance("update download failed", only_maint=True, by_run=False)
            self.in_load_balancing = False
            self.log("cluster node in maintenance mode; only admin maint can end it (R7)")
        else:
            self._leave_run_maintenance()
        self._fail_scheduled(run.start, "download of the update files failed in both rounds",
                             lock=True)

    def _fail_scheduled(self, start, message, lock):
        self.run = None
        self.last_update_run = UpdateRun("scheduled", start, self.now, "failed", message)
        if lock:
            self._set_lock("scheduled update failed: %s" % message)

    def _set_lock(self, reason):
        if not self.update_lock.is_set:
            self.update_lock = self._marker([reason])
            self.log("update lock set (R9): %s" % reason)

    # ---------------------------------------------------------- install (R12, R13)
    def _install(self, run):
        run.phase = "install"
        release, hotfixes = run.payload
        self.busy = "install"
        if self.role == "cluster-node":
            self.in_load_balancing = False
        self.log("update started: users disconnected, installing %s (R12)" % _describe(run.payload))
        duration = INSTALL_RELEASE if release else INSTALL_HOTFIXES
        self.sim.queue.at(self.now + duration, self._install_done, run)

    def _install_done(self, run):
        if self.run is not run:
            return
        release, hotfixes = run.payload
        if self.fail_install:
            self.fail_install = False
            self.busy = None
            self.run = None
            self.last_update_run = UpdateRun(run.kind, run.start, self.now, "failed",
                                             "installation of %s failed" % _describe(run.payload))
            self.log("installation failed")
            if run.kind == "scheduled":
                self._set_lock("scheduled update failed: installation error")
            return
        if release is not None:
            self.installed = release.version
            self.installed_at = self.now
        by_id = {h.id: h for h in self.known_hotfixes}
        self.installed_hotfixes.extend(by_id[i] for i in hotfixes if i in by_id)
        self.selected_hotfixes -= set(hotfixes)
        self.downloaded = None
        kernel = release is not None and release.kernel_update
        if kernel and run.kind == "scheduled":
            self.busy = "reboot"
            self.log("kernel update: rebooting by itself (R12)")
            self.sim.queue.at(self.now + REBOOT, self._finish_run, run, "ok")
            return
        if kernel:
            self.reboot_required = self._marker(["linux-image (kernel of %s)" % release.version])
            self.log("kernel update by Auto-Update: reboot required, no automatic reboot (R13)")
        self._finish_run(run, "ok")

    def _finish_run(self, run, result):
        self.busy = None
        self.run = None
        self.last_update_run = UpdateRun(run.kind, run.start, self.now, result,
                                         "installed %s" % _describe(run.payload))
        self._leave_run_maintenance()
        if self.role == "cluster-node" and self.maintenance is None:
            self.in_load_balancing = True
        self.log("update finished: maintenance ended, logins released%s (R12)"
                 % (", back in load balancing" if self.role == "cluster-node" else ""))

    # ---------------------------------------------------------- maintenance (R7, R14)
    def _enter_maintenance(self, reason, only_maint=False, by_run=False):
        if self.maintenance is None:
            self.maintenance = {"since": self.now, "reason": reason,
                                "only_maint": only_maint, "by_run": by_run}
        else:
            self.maintenance.update(reason=reason,
                                    only_maint=only_maint or self.maintenance["only_maint"],
                                    by_run=by_run and self.maintenance["by_run"])

    def _leave_run_maintenance(self):
        if self.maintenance is not None and self.maintenance["by_run"]:
            self.maintenance = None

    # ------------------------------------------------------------ admin actions
    def admin(self, role, action, **args):
        """Dispatch an admin action; ``role`` is update, maint or customer-service."""
        method = ADMIN_ACTIONS.get((role, action))
        if method is None:
            raise SimError("admin %s has no action %r (known: %s)" % (
                role, action, ", ".join(sorted("%s %s" % k for k in ADMIN_ACTIONS))))
        return method(self, **args)

    def act_download(self):
        self.check_server()
        self._download_round("admin update: Download", lambda ok: None)

    def act_auto_update(self):
        if self.update_lock.is_set:
            raise Refused("R9", "the update lock is set: admin update -> "
                                '"Remove update lock" first')
        if self.run is not None:
            raise Refused("R2", "an update run is already in progress")
        self.check_server()
        if len(self.releases_ahead()) >= 2:
            raise Refused("R17", "two or more releases behind: Customer service -> "
                                 '"Full update from Oldstable"')
        self._start_manual_run("auto-update", self.payload())

    def act_install(self):
        """Install already downloaded updates (R1: never without a complete download)."""
        if self.update_lock.is_set:
            raise Refused("R9", "the update lock is set: installing is blocked")
        payload = self.payload()
        if payload == (None, ()):
            raise Refused("R1", "nothing to install")
        if not self._covered(payload):
            raise Refused("R1", "the update files are not completely downloaded")
        if self.run is not None:
            raise Refused("R2", "an update run is already in progress")
        run = self.run = Run("auto-update", self.now)
        run.payload = payload
        self.last_update_run = UpdateRun("auto-update", self.now, None, None, "installing")
        self._install(run)

    def act_update_from_oldstable(self, mode="full"):
        if self.update_lock.is_set:
            raise Refused("R9", "the update lock is set: installing is blocked")
        if self.run is not None:
            raise Refused("R2", "an update run is already in progress")
        self.check_server()
        ahead = self.releases_ahead()
        if not ahead:
            raise Refused("R17", "nothing to catch up: the node is up to date")
        self._start_manual_run("auto-update", (ahead[0], ()),
                               "%s update from Oldstable" % mode)

    def _start_manual_run(self, kind, payload, what="Auto-Update"):
        if payload == (None, ()):
            self.last_update_run = UpdateRun(kind, self.now, self.now, "no-updates",
                                             "no updates available")
            self.log("%s: no updates available" % what)
            return
        run = self.run = Run(kind, self.now)
        run.payload = payload
        self.last_update_run = UpdateRun(kind, self.now, None, None, what)
        self.log("%s started for %s" % (what, _describe(payload)))

        def downloaded(ok):
            if self.run is not run:
                return
            if ok:
                self._install(run)
            else:
                self.run = None
                self.last_update_run = UpdateRun(kind, run.start, self.now, "failed",
                                                 "download of the update files failed")
        self._download_round(what, downloaded, payload=payload)

    def act_remove_update_lock(self):
        if not self.update_lock.is_set:
            raise Refused("R9", "no update lock is set")
        self.update_lock = MARKER_UNSET
        self.log('admin update: "Remove update lock" (R10)')

    def act_cancel_scheduled_update(self):
        self.update_setting = self.update_setting._replace(active=False)
        self.download_setting = self.download_setting._replace(active=False)
        self.disabled_by_failure = None  # the admin has taken the decision over
        self._schedule_token += 1
        self.log("scheduled update cancelled: nothing is downloaded or installed (R10b)")

    def act_set_schedule(self, download=None, update=None):
        if download is not None:
            self.download_setting = self.download_setting._replace(**download)
        if update is not None:
            self.update_setting = self.update_setting._replace(**update)
        if self.download_setting.active or self.update_setting.active:
            self.disabled_by_failure = None
        self._arm_schedule()
        self.log("scheduled settings: download %s, update %s" % (
            _describe_setting(self.download_setting), _describe_setting(self.update_setting)))

    def act_select_hotfixes(self, ids):
        known = {h.id for h in self.available_hotfixes()}
        unknown = set(ids) - known
        if unknown:
            raise Refused("R15", "not an available hotfix: %s" % ", ".join(sorted(unknown)))
        self.selected_hotfixes |= set(ids)
        self.log("hotfixes selected: %s" % ", ".join(sorted(ids)))

    def act_always_install_all_hotfixes(self, value):
        self.always_install_all = bool(value)
        self.log('"Always install all hotfixes" = %s' % ("yes" if value else "no"))

    def act_clear_warn_flag(self):
        raise Refused("R8", "the warn flag cannot be cleared by hand; only a complete "
                            "download clears it")

    def act_end_maintenance(self, role="maint"):
        if self.maintenance is None:
            raise Refused("R14", "no maintenance mode is active")
        if self.maintenance["only_maint"] and role != "maint":
            raise Refused("R7", "this maintenance mode can only be ended by admin maint")
        if self.run is not None and self.run.phase == "install":
            raise Refused("R12", "an update is being installed")
        self.maintenance = None
        self.planned = None
        if self.role == "cluster-node" and self.run is None:
            self.in_load_balancing = True
        self.log("admin %s ended the maintenance mode" % role)

    def act_plan_maintenance(self, start, reason=None, end=None, disable_vnc=False):
        planned = PlannedMaintenance(start, end, reason)
        self.planned = planned
        if disable_vnc and self.role != "cluster-node":
            raise Refused("R14", "disabling VNC login is for cluster nodes")
        self.sim.queue.at(start - NOTICE_LEAD, self._planned_notice, planned)
        self.sim.queue.at(start, self._planned_start, planned, disable_vnc)
        self.log("maintenance planned for %s: %s" % (self.sim.local(start).isoformat(), reason or ""))

    def _planned_notice(self, planned):
        if self.planned is planned:
            self.log("users are shown the planned maintenance: %s (R14)" % (planned.reason or ""))

    def _planned_start(self, planned, disable_vnc):
        if self.planned is not planned:
            return
        self._enter_maintenance(planned.reason or "planned maintenance")
        if disable_vnc:
            self.vnc_login_disabled = True
        self.log("planned maintenance started%s (R14)"
                 % (", VNC login disabled" if disable_vnc else ""))

    def act_disable_vnc_login(self):
        if self.role != "cluster-node":
            raise Refused("R14", "disabling VNC login is for cluster nodes")
        self.vnc_login_disabled = True
        self.log("admin maint disabled VNC login")

    def act_enable_vnc_login(self):
        self.vnc_login_disabled = False
        self.log("admin maint enabled VNC login")

    def act_reboot(self):
        if self.busy:
            raise Refused("R12", "the node is busy (%s)" % self.busy)
        self.busy = "reboot"
        self.reboot_required = MARKER_UNSET
        self.log("reboot (R13)")

        def back():
            self.busy = None
            self.log("back after reboot")
        self.sim.queue.at(self.now + REBOOT, back)

    # ------------------------------------------------------------ faults
    def fault_fail_downloads(self, attempts):
        self.fail_attempts += int(attempts)

    def fault_fail_install(self):
        self.fail_install = True

    def fault_sessions(self, count):
        self.users = int(count)

    # ------------------------------------------------------------ state export
    def serving(self):
        if self.busy:
            return False
        if self.role == "cluster-node" and not self.in_load_balancing:
            return False
        return self.run is None or self.run.phase != "install"

    def snapshot(self, now=None):
        now = now or self.now
        maintenance = self.maintenance
        planned = self.planned
        cluster = None
        if self.cluster is not None:
            cluster = ClusterSettings(self.cluster.update_lock,
                                      self.cluster.max_parallel_updates,
                                      self.in_load_balancing)
        state = State(
            schema=model.SCHEMA, generated=now,
            node=Node(self.name, self.role, self.cluster.name if self.cluster else None),
            releases=Releases(self.installed, self.installed_at, tuple(self.known_releases)),
            update_server=UpdateServer(self.last_check, self.last_check_ok,
                                       self.last_successful_check, self.last_complete_download),
            hotfixes=Hotfixes(self.available_hotfixes(), tuple(self.installed_hotfixes),
                              self.always_install_all),
            schedule=Schedule(self.download_setting, self.update_setting,
                              self.disabled_by_failure),
            cluster=cluster,
            maintenance=Maintenance(
                maintenance is not None,
                maintenance["since"] if maintenance else None,
                maintenance["reason"] if maintenance else None,
                bool(maintenance and maintenance["only_maint"]),
                planned),
            vnc_login_disabled=self.vnc_login_disabled,
            last_update_run=self.last_update_run,
            active_sessions=self.users if self.serving() else 0,
            flags=Flags(self.warn_flag, self.update_lock, self.reboot_required),
            origin="simulation")
        # every time as the node's own wall clock shows it, like a real writer
        return model.map_times(state, self.sim.local)


ADMIN_ACTIONS = {
    ("update", "download"): SimNode.act_download,
    ("update", "auto_update"): SimNode.act_auto_update,
    ("update", "install"): SimNode.act_install,
    ("update", "remove_update_lock"): SimNode.act_remove_update_lock,
    ("update", "cancel_scheduled_update"): SimNode.act_cancel_scheduled_update,
    ("update", "set_schedule"): SimNode.act_set_schedule,
    ("update", "select_hotfixes"): SimNode.act_select_hotfixes,
    ("update", "always_install_all_hotfixes"): SimNode.act_always_install_all_hotfixes,
    ("update", "clear_warn_flag"): SimNode.act_clear_warn_flag,
    ("update", "end_maintenance"): lambda node: node.act_end_maintenance("update"),
    ("maint", "plan_maintenance"): SimNode.act_plan_maintenance,
    ("maint", "end_maintenance"): lambda node: node.act_end_maintenance("maint"),
    ("maint", "disable_vnc_login"): SimNode.act_disable_vnc_login,
    ("maint", "enable_vnc_login"): SimNode.act_enable_vnc_login,
    ("customer-service", "update_from_oldstable"): SimNode.act_update_from_oldstable,
    ("system", "reboot"): SimNode.act_reboot,
}


def _notify(job, ok):
    for callback in job.callbacks:
        callback(ok)


def _describe(payload):
    release, hotfixes = payload
    parts = []
    if release is not None:
        parts.append("release %s%s" % (release.version,
                                       " (kernel update)" if release.kernel_update else ""))
    if hotfixes:
        parts.append("hotfix%s %s" % ("es" if len(hotfixes) > 1 else "", ", ".join(hotfixes)))
    return " + ".join(parts) or "nothing"


def _describe_setting(setting):
    if not setting.active:
        return "off"
    return "%s %s" % (setting.weekday, setting.start)

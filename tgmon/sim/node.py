"""One simulated TightGate-Pro node (single system or cluster node), R1-R17.

The node is a small state machine driven by the simulation's event queue:
it polls the update server, runs its scheduled download and update, installs
and reboots. Downloads are ``download.Downloads``, a run from its start to its
end ``runs.UpdateRuns``; what admins do is ``admin.py``. ``snapshot`` exports
the immutable ``State`` the checks read.
"""

from datetime import timedelta

from ..state import model
from ..state.lifecycle import NOTICE_LEAD, OLDSTABLE_GAP, RUN_LEAD, SERVER_POLL_CLOCK
from ..state.model import (
    ClusterSettings, Flags, Hotfixes, Maintenance, Marker, MARKER_UNSET, Node, Releases,
    Schedule, ScheduledDownload, ScheduledUpdate, State, UpdateServer, record,
    releases_ahead)
from .download import Downloads, describe
from .runs import UpdateRuns
from .wallclock import next_daily, next_weekly

# The maintenance mode as the node keeps it: who may end it, and what switched it on
# (origin): an update run, which switches it off again when it ends well (R11, R12);
# admin maint's plan, which admin maint ends (R14); or a failure, which stays until
# an admin ends it (R7, R9). One mode at a time: the later cause is kept, by rank.
MaintenanceMode = record("MaintenanceMode", "since reason only_maint origin")
ORIGIN_RANK = {"run": 0, "planned": 1, "failure": 2}


class SimNode(UpdateRuns):
    def __init__(self, sim, name, role, cluster=None, installed="4.11", installed_at=None,
                 download=None, update=None, always_install_all=True, users=0,
                 warn_flag=MARKER_UNSET, update_lock=MARKER_UNSET,
                 reboot_required=MARKER_UNSET):
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
        self.downloads = Downloads(self)
        self.maintenance = None           # MaintenanceMode
        self.planned = None               # PlannedMaintenance
        self.vnc_login_disabled = False
        self.in_load_balancing = role == "cluster-node"
        self.new_logins_blocked = False   # a single system right before its update (R11)
        self.last_update_run = None
        self.users = users                # logged in whenever the node serves
        self.users_disconnected = False   # ended by an update; back once logins are taken
        self.warn_flag = warn_flag        # as the appliance was found (a scenario's setup)
        self.update_lock = update_lock
        self.reboot_required = reboot_required
        self.run = None
        self.busy = None                  # "install" | "reboot" while the node serves nobody
        self.fail_attempts = 0            # injected faults: failing download attempts
        self.fail_install = False
        self._schedule_token = 0

    # ------------------------------------------------------------ helpers
    @property
    def now(self):
        return self.sim.now

    @property
    def server(self):
        return self.sim.server

    def log(self, text):
        self.sim.log(self.name, text)

    def marker(self, lines):
        return Marker(True, self.now, tuple(lines))

    def local_clock(self, instant):
        return self.sim.local(instant).strftime("%H:%M")

    def start(self):
        """Arm the recurring events (called once the simulation is assembled)."""
        self.check_server()
        self._arm_poll()
        self.arm_schedule()

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
        self.sim.queue.at(next_daily(self.now, SERVER_POLL_CLOCK, self.sim.zone), self._poll)

    def _poll(self):
        self.check_server()
        self._arm_poll()

    def releases_ahead(self):
        return releases_ahead(self.installed, self.known_releases)

    def too_far_behind(self):
        """R17: this many releases behind, only oldstable catches up (0 if not)."""
        behind = len(self.releases_ahead())
        return behind if behind >= OLDSTABLE_GAP else 0

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

    # ------------------------------------------------------ schedule (R2-R4, R16)
    def arm_schedule(self):
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

    def disarm_schedule(self):
        self._schedule_token += 1

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
        behind = self.too_far_behind()
        if behind:
            self.log("scheduled download not started: %d releases behind, only Customer "
                     "service catches up from oldstable (R17)" % behind)
        else:
            self.downloads.round("scheduled download", lambda ok: None, deadline)
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
            self.log("scheduled update of %s not started: %s (%s)"
                     % (self.local_clock(update_at), blocked[0], blocked[1]))
            return
        if self.run is not None:
            self.log("scheduled update not started: another run is in progress")
            return
        self.check_server()
        release, hotfixes = payload = self.payload()
        behind = self.too_far_behind()
        if behind:
            message = "%d releases behind: catch up from oldstable" % behind
            self.log("scheduled run refused: %s (R17)" % message)
            self.end_run(self.begin_run("scheduled", payload, message), "failed", message)
            self._set_lock("scheduled update failed: %s" % message)
            return
        if release is None and not hotfixes:
            self.end_run(self.begin_run("scheduled", payload, ""), "no-updates",
                         "no updates available")
            self.log("scheduled run: no updates available (R11)")
            return
        run = self.begin_run("scheduled", payload, "updates available: %s" % describe(payload),
                             update_at)
        self.enter_maintenance("scheduled update at %s" % self.local_clock(update_at))
        if self.role == "cluster-node":
            self.in_load_balancing = False
            self.log("out of load balancing 1 h before the update (R11)")
        self.log("scheduled run: updates available (%s), maintenance mode on" % describe(payload))
        self.downloads.round("R4: 1 h before the update run", lambda ok: None, payload=payload)
        self.sim.queue.at(update_at, self._update_due, run)

    def _run_blocker(self):
        """(why a scheduled run may not proceed, the rule) or None. The words go into
        the state (a run's message), the rule only into the simulator's log."""
        if self.update_lock.is_set:
            return "update lock set", "R9"
        if self.cluster is not None:
            if self.cluster.update_lock:
                return "Cluster-wide update lock = yes", "R16"
            holder = self.cluster.lock_holder(exclude=self)
            if holder:
                return ("node %s holds the update lock: the cluster's updates are halted"
                        % holder, "R9")
        return None

    # ---------------------------------------------------------- maintenance (R7, R14)
    def enter_maintenance(self, reason, only_maint=False, origin="run"):
        current = self.maintenance
        if current is None:
            self.maintenance = MaintenanceMode(self.now, reason, only_maint, origin)
        else:
            self.maintenance = current._replace(
                reason=reason, only_maint=only_maint or current.only_maint,
                origin=max(origin, current.origin, key=ORIGIN_RANK.get))

    def _leave_run_maintenance(self):
        if self.maintenance is not None and self.maintenance.origin == "run":
            self.maintenance = None

    def plan_maintenance(self, planned, disable_vnc):
        """Admin maint planned it: notice from 2 h before, maintenance at its start (R14)."""
        self.planned = planned
        self.sim.queue.at(planned.start - NOTICE_LEAD, self._planned_notice, planned)
        self.sim.queue.at(planned.start, self._planned_start, planned, disable_vnc)

    def _planned_notice(self, planned):
        if self.planned is planned:
            self.log("users are shown the planned maintenance: %s (R14)" % (planned.reason or ""))

    def _planned_start(self, planned, disable_vnc):
        if self.planned is not planned:
            return
        self.enter_maintenance(planned.reason or "planned maintenance", origin="planned")
        if disable_vnc:
            self.vnc_login_disabled = True
        self.log("planned maintenance started%s (R14)"
                 % (", VNC login disabled" if disable_vnc else ""))

    # ------------------------------------------------------------ admin actions
    def admin(self, role, action, **args):
        """Dispatch an admin action; ``role`` is update, maint, customer-service or system."""
        from .admin import perform
        return perform(self, role, action, args)

    # ------------------------------------------------------------ faults
    def fault_fail_downloads(self, attempts):
        self.fail_attempts += int(attempts)

    def fault_fail_install(self):
        self.fail_install = True

    def fault_sessions(self, count):
        self.users = int(count)

    # ------------------------------------------------------------ users (R1, R11, R12)
    def takes_new_logins(self):
        """Whether users can log in now: not installing or rebooting, logins not blocked,
        VNC login not disabled, and a cluster node in load balancing."""
        return not (self.busy or self.new_logins_blocked or self.vnc_login_disabled
                    or (self.role == "cluster-node" and not self.in_load_balancing))

    def users_may_return(self):
        """Users an update disconnected come back once the node takes logins again."""
        if self.takes_new_logins():
            self.users_disconnected = False

    def serving(self):
        """Whether the users are on the node.

        Out of load balancing (R11) a cluster node gets no new users, but the
        logged-in ones stay until the update starts (R12); those it disconnected
        come back only once the node takes logins again (not after a failed
        install, R9); a node in the maintenance a failed download forced (R7)
        serves nobody.
        """
        if self.busy or self.users_disconnected:
            return False
        return not (self.maintenance is not None and self.maintenance.only_maint)

    # ------------------------------------------------------------ state export
    def snapshot(self, now=None):
        now = now or self.now
        mode = self.maintenance
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
                mode is not None, mode.since if mode else None, mode.reason if mode else None,
                bool(mode and mode.only_maint), self.planned),
            vnc_login_disabled=self.vnc_login_disabled,
            last_update_run=self.last_update_run,
            active_sessions=self.users if self.serving() else 0,
            flags=Flags(self.warn_flag, self.update_lock, self.reboot_required),
            origin="simulation", new_logins_blocked=self.new_logins_blocked)
        # every time as the node's own wall clock shows it, like a real writer
        return model.map_times(state, self.sim.local)

"""What the appliance's admins can do on a simulated node, and what it refuses.

Each action is a function of the node and the action's arguments (a
scenario's event names them). What the appliance forbids raises ``Refused``
naming the rule.
"""

from ..state.lifecycle import REBOOT
from ..state.model import MARKER_UNSET, PlannedMaintenance
from .errors import Refused, SimError


# R17: two or more releases behind, admin update neither downloads nor installs; only
# Customer service's update from oldstable catches up (it downloads what it needs).
TOO_FAR_BEHIND = ('two or more releases behind: Customer service -> '
                  '"Full update from Oldstable"')


def download(node):
    """A round of up to 10 attempts (R5, R8); refused where Auto-Update is (R17)."""
    node.check_server()
    if node.too_far_behind():
        raise Refused("R17", TOO_FAR_BEHIND)
    if node.downloads.job is None and node.downloads.covers(node.payload()):
        node.log("admin update: Download: nothing to download, the files are complete")
        return
    node.downloads.round("admin update: Download", lambda ok: None)


def auto_update(node):
    if node.update_lock.is_set:
        raise Refused("R9", "the update lock is set: admin update -> "
                            '"Remove update lock" first')
    if node.run is not None:
        raise Refused("R2", "an update run is already in progress")
    node.check_server()
    if node.too_far_behind():
        raise Refused("R17", TOO_FAR_BEHIND)
    node.start_manual_run("auto-update", node.payload())


def install(node):
    """Install already downloaded updates (R1: never without a complete download)."""
    if node.update_lock.is_set:
        raise Refused("R9", "the update lock is set: installing is blocked")
    payload = node.payload()
    if payload == (None, ()):
        raise Refused("R1", "nothing to install")
    if not node.downloads.covers(payload):
        raise Refused("R1", "the update files are not completely downloaded")
    if node.run is not None:
        raise Refused("R2", "an update run is already in progress")
    node.install(node.begin_run("auto-update", payload, "installing"))


def update_from_oldstable(node, mode="full"):
    if node.update_lock.is_set:
        raise Refused("R9", "the update lock is set: installing is blocked")
    if node.run is not None:
        raise Refused("R2", "an update run is already in progress")
    node.check_server()
    ahead = node.releases_ahead()
    if not ahead:
        raise Refused("R17", "nothing to catch up: the node is up to date")
    node.start_manual_run("auto-update", (ahead[0], ()), "%s update from Oldstable" % mode)


def remove_update_lock(node):
    if not node.update_lock.is_set:
        raise Refused("R9", "no update lock is set")
    node.update_lock = MARKER_UNSET
    node.log('admin update: "Remove update lock" (R10)')


def cancel_scheduled_update(node):
    node.update_setting = node.update_setting._replace(active=False)
    node.download_setting = node.download_setting._replace(active=False)
    node.disabled_by_failure = None  # the admin has taken the decision over
    node.disarm_schedule()
    node.log("scheduled update cancelled: nothing is downloaded or installed (R10b)")


def set_schedule(node, download=None, update=None):
    if download is not None:
        node.download_setting = node.download_setting._replace(**download)
    if update is not None:
        node.update_setting = node.update_setting._replace(**update)
    if node.download_setting.active or node.update_setting.active:
        node.disabled_by_failure = None
    node.arm_schedule()
    node.log("scheduled settings: download %s, update %s" % (
        _describe_setting(node.download_setting), _describe_setting(node.update_setting)))


def select_hotfixes(node, ids):
    known = {h.id for h in node.available_hotfixes()}
    unknown = set(ids) - known
    if unknown:
        raise Refused("R15", "not an available hotfix: %s" % ", ".join(sorted(unknown)))
    node.selected_hotfixes |= set(ids)
    node.log("hotfixes selected: %s" % ", ".join(sorted(ids)))


def always_install_all_hotfixes(node, value):
    node.always_install_all = bool(value)
    node.log('"Always install all hotfixes" = %s' % ("yes" if value else "no"))


def clear_warn_flag(node):
    raise Refused("R8", "the warn flag cannot be cleared by hand; only a complete "
                        "download clears it")


def end_maintenance(node, role="maint"):
    if node.maintenance is None:
        raise Refused("R14", "no maintenance mode is active")
    if node.maintenance.only_maint and role != "maint":
        raise Refused("R7", "this maintenance mode can only be ended by admin maint")
    if node.run is not None and node.run.phase == "install":
        raise Refused("R12", "an update is being installed")
    node.maintenance = None
    node.planned = None
    if node.run is None:
        node.new_logins_blocked = False    # a failed update's block ends with it
        if node.role == "cluster-node":
            node.in_load_balancing = True
    node.users_may_return()
    node.log("admin %s ended the maintenance mode" % role)


def plan_maintenance(node, start, reason=None, end=None, disable_vnc=False):
    planned = PlannedMaintenance(start, end, reason)
    node.planned = planned
    if disable_vnc and node.role != "cluster-node":
        raise Refused("R14", "disabling VNC login is for cluster nodes")
    node.plan_maintenance(planned, disable_vnc)
    node.log("maintenance planned for %s: %s" % (node.sim.local(start).isoformat(), reason or ""))


def cancel_planned_maintenance(node):
    """Admin maint withdraws a maintenance that has not begun (R14)."""
    if node.planned is None:
        raise Refused("R14", "no maintenance is planned")
    if node.maintenance is not None and node.planned.start <= node.now:
        raise Refused("R14", "the planned maintenance has begun: end it instead")
    node.planned = None
    node.log("planned maintenance cancelled")


def disable_vnc_login(node):
    if node.role != "cluster-node":
        raise Refused("R14", "disabling VNC login is for cluster nodes")
    node.vnc_login_disabled = True
    node.log("admin maint disabled VNC login")


def enable_vnc_login(node):
    node.vnc_login_disabled = False
    node.users_may_return()
    node.log("admin maint enabled VNC login")


def reboot(node):
    if node.busy:
        raise Refused("R12", "the node is busy (%s)" % node.busy)
    node.busy = "reboot"
    node.reboot_required = MARKER_UNSET
    node.log("reboot (R13)")

    def back():
        node.busy = None
        node.log("back after reboot")
    node.sim.queue.at(node.now + REBOOT, back)


ADMIN_ACTIONS = {
    ("update", "download"): download,
    ("update", "auto_update"): auto_update,
    ("update", "install"): install,
    ("update", "remove_update_lock"): remove_update_lock,
    ("update", "cancel_scheduled_update"): cancel_scheduled_update,
    ("update", "set_schedule"): set_schedule,
    ("update", "select_hotfixes"): select_hotfixes,
    ("update", "always_install_all_hotfixes"): always_install_all_hotfixes,
    ("update", "clear_warn_flag"): clear_warn_flag,
    ("update", "end_maintenance"): lambda node: end_maintenance(node, "update"),
    ("maint", "plan_maintenance"): plan_maintenance,
    ("maint", "end_maintenance"): lambda node: end_maintenance(node, "maint"),
    ("maint", "cancel_planned_maintenance"): cancel_planned_maintenance,
    ("maint", "disable_vnc_login"): disable_vnc_login,
    ("maint", "enable_vnc_login"): enable_vnc_login,
    ("customer-service", "update_from_oldstable"): update_from_oldstable,
    ("system", "reboot"): reboot,
}


def perform(node, role, action, args):
    function = ADMIN_ACTIONS.get((role, action))
    if function is None:
        raise SimError("admin %s has no action %r (known: %s)" % (
            role, action, ", ".join(sorted("%s %s" % k for k in ADMIN_ACTIONS))))
    return function(node, **args)


def _describe_setting(setting):
    if not setting.active:
        return "off"
    return "%s %s" % (setting.weekday, setting.start)

"""Every single-node check, in the order the timeline and the demo show them."""

from . import hotfixes, maintenance, reboot_required, update_lock, update_schedule, versions

SINGLE_NODE_CHECKS = (
    versions.DEFINITION,
    update_lock.DEFINITION,
    hotfixes.DEFINITION,
    reboot_required.DEFINITION,
    maintenance.DEFINITION,
    update_schedule.DEFINITION,
)

"""Every plugin of tgmon, in one place: tools, tests, the bench and the
generated configuration read their list of checks from here.

``SINGLE_NODE_CHECKS`` are the checks of one node's state, in the order the
timeline, the demo and check_tightgate show them. ``all_checks()`` adds the
all-in-one check, the reachability check the others depend on, and the
cluster check (imported on demand: check_tightgate itself is built from this
module).
"""

from . import hotfixes, maintenance, reboot_required, update_lock, update_schedule, versions

SINGLE_NODE_CHECKS = (
    versions.DEFINITION,
    update_lock.DEFINITION,
    hotfixes.DEFINITION,
    reboot_required.DEFINITION,
    maintenance.DEFINITION,
    update_schedule.DEFINITION,
)


def all_checks():
    """Every plugin, each once: the single-node checks, check_tightgate, check_reachable,
    check_cluster_updates."""
    from . import cluster_updates, reachable, tightgate
    return SINGLE_NODE_CHECKS + (tightgate.DEFINITION, reachable.DEFINITION,
                                 cluster_updates.DEFINITION)


def by_prog(prog):
    """The definition of the plugin named ``prog`` (e.g. check_versions); KeyError if none."""
    for definition in all_checks():
        if definition.prog == prog:
            return definition
    raise KeyError(prog)

"""Every plugin of tgmon, in one place: the entry points, tools, tests, the
bench and the generated configuration read their list of checks from here.

``SINGLE_NODE_CHECKS`` are the checks of one node's state, in the order the
timeline, the demo and check_tightgate show them; ``TIGHTGATE`` is the
all-in-one check composed of them; ``ALL_CHECKS`` adds the reachability check
the others depend on and the cluster check.
"""

from . import (cluster_updates, hotfixes, maintenance, reachable, reboot_required, tightgate,
               update_lock, update_schedule, versions)

SINGLE_NODE_CHECKS = (
    versions.DEFINITION,
    update_lock.DEFINITION,
    hotfixes.DEFINITION,
    reboot_required.DEFINITION,
    maintenance.DEFINITION,
    update_schedule.DEFINITION,
)
TIGHTGATE = tightgate.compose(SINGLE_NODE_CHECKS)
ALL_CHECKS = SINGLE_NODE_CHECKS + (TIGHTGATE, reachable.DEFINITION, cluster_updates.DEFINITION)


def all_checks():
    """Every plugin, each once: the single-node checks, check_tightgate, check_reachable,
    check_cluster_updates."""
    return ALL_CHECKS


def by_prog(prog):
    """The definition of the plugin named ``prog`` (e.g. check_versions); KeyError if none."""
    for definition in ALL_CHECKS:
        if definition.prog == prog:
            return definition
    raise KeyError(prog)

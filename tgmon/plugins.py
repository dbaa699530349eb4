"""The plugins' console-script entry points (setup.cfg, the wrappers in plugins/).

Each loads its one check and hands it to the runtime, so a plugin imports
only its own check (check_tightgate: the registry, which composes it).
"""

from .runtime.plugin import main as _run


def check_versions():
    from .checks.versions import DEFINITION
    _run(DEFINITION)


def check_update_lock():
    from .checks.update_lock import DEFINITION
    _run(DEFINITION)


def check_hotfixes():
    from .checks.hotfixes import DEFINITION
    _run(DEFINITION)


def check_reboot_required():
    from .checks.reboot_required import DEFINITION
    _run(DEFINITION)


def check_maintenance():
    from .checks.maintenance import DEFINITION
    _run(DEFINITION)


def check_update_schedule():
    from .checks.update_schedule import DEFINITION
    _run(DEFINITION)


def check_cluster_updates():
    from .checks.cluster_updates import DEFINITION
    _run(DEFINITION)


def check_tightgate():
    from .checks.registry import TIGHTGATE
    _run(TIGHTGATE)


def check_reachable():
    from .checks.reachable import DEFINITION
    _run(DEFINITION)

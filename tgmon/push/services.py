"""Which service of a core carries which check, and how often it is pushed.

A service is recognised by its check command, as the shipped configuration
names it: Icinga 2's CheckCommand ``tgmon_<check>``, Nagios' ``tgmon_<check>``,
``tgmon_<check>_url`` or ``tgmon_<check>_nrpe``. NSCA-ng cannot be asked what
exists: there the service is the Nagios sample's description of the check.
The intervals are the shipped apply rules' (tgmon-constants.conf's
TgmonChecks, the templates; a test holds them equal); a result lives for
TTL_FACTOR intervals, after which the core runs the real check itself.
"""

from ..checks.registry import SINGLE_NODE_CHECKS, TIGHTGATE
from ..checks import cluster_updates, reachable

NODE_CHECKS = SINGLE_NODE_CHECKS + (TIGHTGATE, reachable.DEFINITION)
CLUSTER_CHECK = cluster_updates.DEFINITION
BY_NAME = {d.short_name: d for d in NODE_CHECKS + (CLUSTER_CHECK,)}
COMMAND_PREFIX = "tgmon_"
NAGIOS_SUFFIXES = ("", "_url", "_nrpe")

# seconds between two pushes of a check, as the shipped Icinga 2 apply rules check it
INTERVALS = {
    "versions": 15 * 60, "update_lock": 5 * 60, "hotfixes": 61 * 60,
    "reboot_required": 17 * 60, "maintenance": 3 * 60, "update_schedule": 60 * 60,
    "tightgate": 5 * 60, "reachable": 60, "cluster_updates": 7 * 60,
}
TTL_FACTOR = 2

# the Nagios sample's service descriptions (icinga-conf/nagios/tgmon-services.cfg)
NAGIOS_DESCRIPTIONS = {
    "versions": "TightGate versions", "update_lock": "TightGate update lock",
    "hotfixes": "TightGate hotfixes", "reboot_required": "TightGate reboot",
    "maintenance": "TightGate maintenance", "update_schedule": "TightGate update schedule",
    "tightgate": "TightGate all checks", "reachable": "TightGate reachable",
    "cluster_updates": "TightGate cluster updates",
}


def check_of_command(command):
    """The check a service's check command runs ('tgmon_versions_url!...' -> 'versions'),
    or None when it is none of tgmon's."""
    if not isinstance(command, str):
        return None
    name = command.split("!", 1)[0]
    if not name.startswith(COMMAND_PREFIX):
        return None
    stem = name[len(COMMAND_PREFIX):]
    for suffix in NAGIOS_SUFFIXES[1:]:
        if stem.endswith(suffix) and stem[:-len(suffix)] in BY_NAME:
            return stem[:-len(suffix)]
    return stem if stem in BY_NAME else None


def ttl_of(check, intervals=INTERVALS):
    """How long a pushed result stands for (seconds): the core's next expected result."""
    return TTL_FACTOR * intervals[check]


# the options that say where and how its plugin reads (the pusher reads its own
# nodes, within its own -t): a service's vars for these are not the pusher's
READING = frozenset({"state_dir", "url", "token_file", "ca_file", "insecure", "no_proxy",
                     "cache_ttl", "timeout", "config", "node"})
MAX_VAR = 1024


def plugin_argv(check, variables):
    """The command line the CheckCommand tgmon_<check> builds from a service's vars
    (``variables``, as the API answered them), but for the READING options: a value
    option's var ``tgmon_<check>_<dest>`` as ``--<option> VALUE``, a flag's (set_if)
    as ``--<option>`` when true. As ((dest, words), ...), sorted; a var of a type or
    size no plugin takes is left out, as is every var that is not an option's."""
    from ..options import plugin_args
    if not isinstance(variables, dict):
        return ()
    argv = []
    for dest, option in plugin_args(BY_NAME[check]).items():
        value = variables.get("%s%s_%s" % (COMMAND_PREFIX, check, dest))
        if dest in READING or value is None:
            continue
        flag = max(option.flags, key=len)
        if option.form in ("flag", "count"):
            if value is True or (type(value) in (int, float) and value):
                argv.append((dest, (flag,)))
        elif type(value) in (int, float):
            whole = isinstance(value, int) or value.is_integer()
            argv.append((dest, (flag, "%d" % value if whole else repr(value))))
        elif isinstance(value, str) and len(value) <= MAX_VAR:
            argv.append((dest, (flag, value)))
    return tuple(sorted(argv))

"""The immutable state model every check judges and the simulator produces.

Records are small tuple classes rather than dataclasses: a check runs
thousands of times an hour, and ``dataclasses`` pulls in ``inspect`` (about
12 ms a start, a fifth of the plugin's whole budget); even
``collections.namedtuple`` costs ~0.15 ms per class to build. ``Record`` has
the namedtuple interface the code uses (fields by name, ``_replace``,
``_asdict``, ``_fields``) and is just as immutable.

Every timestamp is an aware ``datetime``; every collection is a tuple.
"""

from operator import itemgetter

SCHEMA_FAMILY = "tgmon"
SCHEMA_MAJOR = 1
SCHEMA = "%s/%d" % (SCHEMA_FAMILY, SCHEMA_MAJOR)

ROLES = ("single", "cluster-node")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday",
            "saturday", "sunday")
RUN_KINDS = ("scheduled", "auto-update")
RUN_RESULTS = ("ok", "no-updates", "failed")


class Record(tuple):
    """Immutable record: a tuple whose items also have names."""

    __slots__ = ()
    _fields = ()
    _defaults = {}

    def __new__(cls, *args, **kwargs):
        fields = cls._fields
        if len(args) > len(fields):
            raise TypeError("%s takes %d fields, got %d" % (cls.__name__, len(fields), len(args)))
        values = list(args)
        for name in fields[len(args):]:
            if name in kwargs:
                values.append(kwargs.pop(name))
            elif name in cls._defaults:
                values.append(cls._defaults[name])
            else:
                raise TypeError("%s: missing field %r" % (cls.__name__, name))
        if kwargs:
            raise TypeError("%s: unknown field(s) %s" % (cls.__name__, ", ".join(kwargs)))
        return tuple.__new__(cls, values)

    def _replace(self, **changes):
        unknown = set(changes) - set(self._fields)
        if unknown:
            raise TypeError("%s: unknown field(s) %s" % (type(self).__name__, ", ".join(unknown)))
        return tuple.__new__(type(self), [changes.get(name, value)
                                          for name, value in zip(self._fields, self)])

    def _asdict(self):
        return dict(zip(self._fields, self))

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join(
            "%s=%r" % item for item in zip(self._fields, self)))

    def __getnewargs__(self):
        return tuple(self)


def record(name, fields, defaults=()):
    """A Record class with these space-separated fields; defaults fill the last ones."""
    fields = tuple(fields.split())
    namespace = {"__slots__": (), "_fields": fields,
                 "_defaults": dict(zip(fields[len(fields) - len(defaults):], defaults))}
    for index, field in enumerate(fields):
        namespace[field] = property(itemgetter(index))
    return type(name, (Record,), namespace)


Node = record("Node", "name role cluster")
Release = record("Release", "version released kernel_update", (False,))
Releases = record("Releases", "installed installed_at available")
UpdateServer = record(
    "UpdateServer",
    "last_check last_check_ok last_successful_check last_complete_download")
Hotfix = record("Hotfix", "id title released")
Hotfixes = record("Hotfixes", "available installed always_install_all")
ScheduledDownload = record("ScheduledDownload", "active weekday start end")
ScheduledUpdate = record("ScheduledUpdate", "active weekday start")
FailureSwitchOff = record("FailureSwitchOff", "since reason")
Schedule = record("Schedule", "download update disabled_by_failure")
ClusterSettings = record(
    "ClusterSettings", "update_lock max_parallel_updates in_load_balancing")
PlannedMaintenance = record("PlannedMaintenance", "start end reason")
Maintenance = record(
    "Maintenance", "active since reason only_maint_may_end planned")
UpdateRun = record("UpdateRun", "kind start end result message")
Marker = record("Marker", "is_set since lines", (None, ()))
Flags = record("Flags", "warn_flag update_lock reboot_required")
# new_logins_blocked: the node takes no new client logins - a single system right
# before its update starts (R11); optional in status.json, so last with a default.
State = record(
    "State",
    "schema generated node releases update_server hotfixes schedule cluster "
    "maintenance vnc_login_disabled last_update_run active_sessions flags "
    "origin new_logins_blocked", (False,))

# The cluster check's subject: (source, State) of every node read, and the
# nodes that could not be read (source, cause, and the fix when one is known).
ClusterView = record("ClusterView", "nodes failures generated origin")
NodeFailure = record("NodeFailure", "source cause fix", (None,))

MARKER_UNSET = Marker(False, None, ())
NO_FLAGS = Flags(MARKER_UNSET, MARKER_UNSET, MARKER_UNSET)


def version_key(version):
    """'4.10.2' -> (4, 10, 2) so that 4.10 sorts after 4.9."""
    return tuple(int(part) for part in version.split("."))


def releases_ahead(installed, available):
    """Releases of ``available`` newer than the ``installed`` version, oldest first."""
    current = version_key(installed)
    newer = [r for r in available if version_key(r.version) > current]
    return tuple(sorted(newer, key=lambda r: version_key(r.version)))


def update_running(state):
    """True while an update run has started and not yet ended (R12)."""
    run = state.last_update_run
    return run is not None and run.end is None


def map_times(value, function):
    """The same record with ``function`` applied to every timestamp in it."""
    if hasattr(value, "_fields"):
        return type(value)(*(map_times(item, function) for item in value))
    if isinstance(value, tuple):
        return tuple(map_times(item, function) for item in value)
    if hasattr(value, "utcoffset") and hasattr(value, "tzinfo"):
        return function(value)
    return value


def shift_times(value, delta):
    """The same record with every timestamp moved by ``delta`` (a timedelta)."""
    return map_times(value, lambda stamp: stamp + delta)

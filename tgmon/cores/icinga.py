"""Icinga 2's REST API for the downtimes: the hosts, the services by check command,
tgmon's downtimes, and scheduling and removing them (the client: icinga_client.py).

What the API answers is input: every object is re-checked here (asked-for
host, tgmon's author and comment prefix, a usable name) whatever filter it
was asked with, and a removal carries the same conditions in its own filter,
so the API cannot make tgmon remove another's downtime. An action refused for
one downtime, or whose object is gone (HTTP 404), is Refused and the rest go on.
"""

from ..safeio.text import sanitize
from . import CoreError, Downtime, Found, Refused, owned
from .icinga_client import (PERMISSIONS_DOC, IcingaClient, IcingaSettings,  # noqa: F401
                            NoObjects, attributes, usable_name)


class IcingaApi(IcingaClient):
    separator = "!"          # how Icinga 2 names a service: host!service
    host_downtime = True     # Icinga 2 keeps notifying for the services of a host in downtime
    applies_at_once = True   # every action is done when the API answers it

    # ------------------------------------------------------------ queries
    def hosts(self, names):
        results = self.query("hosts", "host.name in names", {"names": sorted(names)}, ["name"])
        return {r.get("name") for r in results if isinstance(r.get("name"), str)} & set(names)

    def services(self, hosts, commands):
        """{host: sorted service names} whose check_command is one of ``commands``, of
        the hosts asked for; a name that is not one printable line is skipped."""
        results = self.query("services", "host.name in hosts && service.check_command in cmds",
                              {"hosts": sorted(hosts), "cmds": sorted(commands)},
                              ["name", "host_name", "check_command"])
        services = {}
        for item in results:
            attrs = attributes(item)
            host, name = attrs.get("host_name"), attrs.get("name")
            if not (isinstance(host, str) and host in hosts
                    and isinstance(attrs.get("check_command"), str)
                    and attrs["check_command"] in commands):
                continue      # not asked for: the API's word is not enough
            if not usable_name(name):
                self.warn("service %s of %s is not one printable line - it gets no downtime; "
                          "rename it" % (sanitize(name)[:80] or "''", host))
                continue
            services.setdefault(host, []).append(name)
        return {host: sorted(names) for host, names in services.items()}

    def downtimes(self, owner):
        """The downtimes ``owner`` may change, as Found. The rest of the answer is
        ignored and never removed, with a warning: the API was asked for these only."""
        results = self.query(
            "downtimes", "downtime.author == author && downtime.host_name in hosts",
            {"author": owner.author, "hosts": sorted(owner.hosts)},
            ["host_name", "service_name", "start_time", "end_time", "comment", "author", "name"])
        found, ignored = [], 0
        for item in results:
            attrs = attributes(item)
            try:
                downtime = Downtime(attrs["host_name"], attrs.get("service_name") or None,
                                    int(attrs["start_time"]), int(attrs["end_time"]),
                                    attrs["comment"])
            except (KeyError, TypeError, ValueError, OverflowError):
                downtime = None
            ident = item.get("name")
            if (downtime is None or not owned(downtime, owner, attrs.get("author"))
                    or not (downtime.service is None or usable_name(downtime.service))
                    or not usable_name(ident) or ident != _full_name(downtime, attrs)):
                ignored += 1
                continue
            found.append(Found(downtime, ident))
        if ignored:
            self.warn("Icinga 2 at %s answered %d downtimes that are not %s's on the hosts read "
                      "- ignored, none of them is removed" % (self.shown, ignored, owner.author))
        return found

    # ------------------------------------------------------------ actions
    def schedule(self, downtime, author):
        if not downtime.end > downtime.start:
            raise Refused("a downtime of %s that ends before it starts" % downtime.host,
                          "fix the window it came from")
        if downtime.service is None:
            target = {"type": "Host", "filter": "host.name == h",
                      "filter_vars": {"h": downtime.host}, "all_services": False}
        else:
            target = {"type": "Service", "filter": "host.name == h && service.name == s",
                      "filter_vars": {"h": downtime.host, "s": downtime.service}}
        body = dict(target, start_time=downtime.start, end_time=downtime.end,
                    duration=downtime.end - downtime.start,
                    fixed=True,   # always given: the default changed between Icinga versions
                    author=author, comment=downtime.comment)
        kind = "host" if downtime.service is None else "service"
        try:
            self.action("schedule-downtime", body)
        except NoObjects:
            # the object went with a reload - or it is there, and the ApiUser lacks the
            # permission (Icinga 2 answers both alike): that is the whole core's
            if self.query(kind + "s", target["filter"], target["filter_vars"], ["name"]):
                raise CoreError("ApiUser %s may not use /v1/actions/schedule-downtime (HTTP "
                                "404: no objects for this user)" % self.user,
                                PERMISSIONS_DOC) from None
            raise Refused("Icinga 2 no longer has that %s (HTTP 404): a reload removed it"
                          % kind, "nothing to do if it was meant to go") from None

    def remove(self, found, owner):
        """Remove by the full name (host!service!id) and, in the same filter, only if it is
        still ``owner``'s: the API itself re-checks what tgmon checked."""
        if "*" in owner.prefix or "?" in owner.prefix:
            raise ValueError("the comment prefix is matched literally")
        try:
            self.action("remove-downtime", {
                "type": "Downtime",
                "filter": "downtime.__name == n && downtime.author == a "
                          "&& downtime.host_name == h && match(p, downtime.comment)",
                "filter_vars": {"n": found.ident, "a": owner.author, "h": found.downtime.host,
                                "p": owner.prefix + "*"}})
        except NoObjects:
            raise Refused("Icinga 2 found no such downtime (HTTP 404): it is gone, or no "
                          "longer tgmon's", "if every removal says so, grant "
                          "actions/remove-downtime (docs/downtimes.rst)") from None

    def finish(self, expected_adds, expected_removes):
        """Icinga 2 applies every action before it answers: nothing is late."""
        return (), ()

def _full_name(downtime, attrs):
    """host!service!id, the name Icinga 2 gives a downtime: an answer whose name
    points at another object than its attributes describe is a lie."""
    return "!".join([downtime.host] + ([downtime.service] if downtime.service else [])
                    + [str(attrs.get("name"))])

"""Icinga 2's REST API: the hosts, the services by check command, tgmon's
downtimes, and scheduling and removing them.

requests directly (the Python clients for Icinga's API on PyPI are
unmaintained). The password comes from a file and goes nowhere but the API;
TLS is verified unless --icinga-insecure; no redirect is followed, nothing
is taken from the environment but proxies (unless --no-proxy); every answer
is bounded in size and time. What the API answers is input: every object is
re-checked here (asked-for host, tgmon's author and comment prefix, a usable
name) whatever filter it was asked with, and a removal carries the same
conditions in its own filter, so the API cannot make tgmon remove another's
downtime. A failure of the API is a CoreError; an action refused for one
downtime, or whose object is gone (HTTP 404), is Refused and the rest go on.
"""

import json

import requests

from ..errors import UsageError
from ..state.model import record
from ..safeio.text import sanitize
from ..safeio.files import read_option_file
from ..sources.http import (CONNECT_TIMEOUT, BodyTooLarge, make_session, network_words,
                            proxies_for, read_body, remaining, tls_words)
from ..safeio.urls import check_url, redact_url
from . import MAX_NAME, CoreError, Downtime, Found, Refused, owned, unsafe_character

# An answer is parsed whole, so its size and its number of objects ('{' and '['
# counted before parsing, those in strings too) are bounded: 3 MB of JSON held
# as Python objects stay below the 100 MB every tgmon process keeps to, also
# when made of nothing but the smallest strings or objects. tgmon's downtimes
# of 1000 nodes with two windows each fit (some 6000, of 400 bytes and 2
# objects each).
MAX_ANSWER = 3 * 1024 * 1024
MAX_RESULTS = 7500
MAX_OBJECTS = 3 * MAX_RESULTS
FEWER_NODES = "sync fewer nodes per run (split --cluster-file)"
MAX_PASSWORD = 4096
PERMISSIONS_DOC = "grant it to the ApiUser (docs/downtimes.rst)"

IcingaSettings = record("IcingaSettings", "url user password_file ca_file insecure http")


class _NoObjects(Exception):
    """An action found no object (HTTP 404): its caller knows what that means."""


def read_password(path):
    data = read_option_file(path, "--icinga-password-file", MAX_PASSWORD, UsageError)
    try:
        password = data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise UsageError("--icinga-password-file %s is not UTF-8 text" % path,
                         "write just the ApiUser's password into it") from None
    if not password or not password.isprintable():
        raise UsageError("--icinga-password-file %s must hold the password on one line" % path,
                         "write just the ApiUser's password into it")
    return password


def usable_name(value):
    """A name from the API tgmon can act on and print: a string of one printable line."""
    return (isinstance(value, str) and 0 < len(value) <= MAX_NAME
            and unsafe_character(value) is None)


class IcingaApi:
    name = "Icinga 2"
    separator = "!"          # how Icinga 2 names a service: host!service
    host_downtime = True     # Icinga 2 keeps notifying for the services of a host in downtime
    applies_at_once = True   # every action is done when the API answers it

    def __init__(self, settings, warn):
        check_url(settings.url, "remove it; the password goes in --icinga-password-file")
        if not settings.url.startswith("https://"):
            raise UsageError("--icinga-url %s is not https://" % redact_url(settings.url)[:100],
                             "Icinga 2's API speaks TLS only, e.g. https://master:5665")
        if not settings.user:
            raise UsageError("--icinga-url needs --icinga-user", "name the ApiUser")
        if not settings.password_file:
            raise UsageError("--icinga-url needs --icinga-password-file",
                             "put the ApiUser's password into a file readable only by you")
        if "?" in settings.url or "#" in settings.url:
            raise UsageError("--icinga-url %s has a query or fragment"
                             % redact_url(settings.url)[:100],
                             "give just the API's address, e.g. https://master:5665")
        self.base = settings.url.rstrip("/")
        self.shown = redact_url(self.base)
        self.http = settings.http._replace(token_file=None, ca_file=settings.ca_file,
                                           insecure=settings.insecure)
        self.session = make_session(self.http, ca_option="--icinga-ca-file")
        self.password = read_password(settings.password_file)
        # UTF-8, as Icinga 2 reads its config: requests would encode Latin-1 only
        self.session.auth = (settings.user.encode("utf-8"), self.password.encode("utf-8"))
        self.user = sanitize(settings.user)[:40]
        self.warn = warn

    # ------------------------------------------------------------ queries
    def hosts(self, names):
        results = self._query("hosts", "host.name in names", {"names": sorted(names)}, ["name"])
        return {r.get("name") for r in results if isinstance(r.get("name"), str)} & set(names)

    def services(self, hosts, commands):
        """{host: sorted service names} whose check_command is one of ``commands``, of
        the hosts asked for; a name that is not one printable line is skipped."""
        results = self._query("services", "host.name in hosts && service.check_command in cmds",
                              {"hosts": sorted(hosts), "cmds": sorted(commands)},
                              ["name", "host_name", "check_command"])
        services = {}
        for item in results:
            attrs = _attributes(item)
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
        results = self._query(
            "downtimes", "downtime.author == author && downtime.host_name in hosts",
            {"author": owner.author, "hosts": sorted(owner.hosts)},
            ["host_name", "service_name", "start_time", "end_time", "comment", "author", "name"])
        found, ignored = [], 0
        for item in results:
            attrs = _attributes(item)
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
            self._action("schedule-downtime", body)
        except _NoObjects:
            # the object went with a reload - or it is there, and the ApiUser lacks the
            # permission (Icinga 2 answers both alike): that is the whole core's
            if self._query(kind + "s", target["filter"], target["filter_vars"], ["name"]):
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
            self._action("remove-downtime", {
                "type": "Downtime",
                "filter": "downtime.__name == n && downtime.author == a "
                          "&& downtime.host_name == h && match(p, downtime.comment)",
                "filter_vars": {"n": found.ident, "a": owner.author, "h": found.downtime.host,
                                "p": owner.prefix + "*"}})
        except _NoObjects:
            raise Refused("Icinga 2 found no such downtime (HTTP 404): it is gone, or no "
                          "longer tgmon's", "if every removal says so, grant "
                          "actions/remove-downtime (docs/downtimes.rst)") from None

    def finish(self, expected_adds, expected_removes):
        """Icinga 2 applies every action before it answers: nothing is late."""
        return (), ()

    # ------------------------------------------------------------ transport
    def _query(self, kind, filter_, variables, attrs):
        return self._request("/v1/objects/%s" % kind, {"filter": filter_,
                                                        "filter_vars": variables,
                                                        "attrs": attrs}, query=True)

    def _action(self, action, body):
        """Refused when the API refuses this one action; _NoObjects when it finds no
        object for it (HTTP 404), for the caller to tell why."""
        results = self._request("/v1/actions/%s" % action, body)
        if not results:
            raise Refused("Icinga 2 answered no result to %s" % action.replace("-", " "),
                          "look at the Icinga 2 log on the master")
        for result in results:
            code = result.get("code")
            if not isinstance(code, (int, float)) or not 200 <= code < 300:
                raise Refused("Icinga 2 refused to %s: %s" % (
                    action.replace("-", " "), self._words(result.get("status"))),
                    "look at the Icinga 2 log on the master")

    def _request(self, path, body, query=False):
        url = self.base + path
        left = remaining(self.http)
        headers = {"X-HTTP-Method-Override": "GET"} if query else {}
        try:
            response = self.session.post(url, data=json.dumps(body), headers=dict(
                headers, **{"Content-Type": "application/json"}),
                timeout=(min(CONNECT_TIMEOUT, left), left), stream=True,
                verify=self.session.verify, allow_redirects=False,
                proxies=proxies_for(url, self.http))
        except requests.exceptions.SSLError as exc:
            words, fix = tls_words(exc)
            raise CoreError("TLS to Icinga 2 at %s failed: %s" % (self.shown, words),
                            fix.replace("--ca-file", "--icinga-ca-file")
                            .replace("the exporter's", "the API's")) from None
        except requests.exceptions.ConnectTimeout:
            raise CoreError("connecting to Icinga 2 at %s timed out" % self.shown,
                            "check --icinga-url and the firewall") from None
        except requests.exceptions.ReadTimeout:
            raise CoreError("Icinga 2 at %s did not answer within -t" % self.shown,
                            "check the master, or raise -t") from None
        except (requests.exceptions.RequestException, ValueError, OSError) as exc:
            raise CoreError("cannot reach Icinga 2 at %s: %s" % (self.shown, network_words(exc)),
                            "check --icinga-url and that icinga2 runs with its API") from None
        with response:
            return self._results(response, path)

    def _results(self, response, path):
        status, shown = response.status_code, self.shown
        if status == 401:
            raise CoreError("Icinga 2 at %s refused user %s (HTTP 401)" % (shown, self.user),
                            "check --icinga-user and --icinga-password-file")
        if status == 403:
            raise CoreError("ApiUser %s may not use %s (HTTP 403)" % (self.user, path),
                            PERMISSIONS_DOC)
        if 300 <= status < 400:
            raise CoreError("Icinga 2 at %s redirects elsewhere (HTTP %d), tgmon follows none"
                            % (shown, status), "point --icinga-url at the API itself")
        body = self._body(response)
        if body.count(b"{") + body.count(b"[") > MAX_OBJECTS:
            raise CoreError("Icinga 2 at %s answered more than %d objects to %s"
                            % (shown, MAX_OBJECTS, path), FEWER_NODES)
        try:
            document = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise CoreError("Icinga 2 at %s answered HTTP %d without JSON" % (shown, status),
                            "check that --icinga-url is Icinga 2's API (port 5665)") from None
        if not isinstance(document, dict):
            raise CoreError("Icinga 2 at %s answered HTTP %d with no results" % (shown, status),
                            "check that --icinga-url is Icinga 2's API (port 5665)")
        results = document.get("results")
        if status == 404:
            # "No objects found": to a query, the ApiUser lacks the permission; to an
            # action, the object went (a reload) or the permission is missing - the
            # action's caller tells which
            if path.startswith("/v1/actions/"):
                raise _NoObjects()
            raise CoreError("ApiUser %s may not use %s (HTTP 404: no objects for this user)"
                            % (self.user, path), PERMISSIONS_DOC)
        if status >= 400 and not isinstance(results, list):
            raise CoreError("Icinga 2 at %s answered HTTP %d: %s"
                            % (shown, status, self._words(document.get("status"))),
                            "look at the Icinga 2 log on the master")
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise CoreError("Icinga 2 at %s answered without a list of results" % shown,
                            "check that --icinga-url is Icinga 2's API (port 5665)")
        if len(results) > MAX_RESULTS:
            raise CoreError("Icinga 2 at %s answered more than %d objects to %s"
                            % (shown, MAX_RESULTS, path), FEWER_NODES)
        return results

    def _body(self, response):
        try:
            return read_body(response, MAX_ANSWER)
        except BodyTooLarge:
            raise CoreError("Icinga 2 at %s sent more than %d bytes" % (self.shown, MAX_ANSWER),
                            FEWER_NODES) from None
        except (requests.exceptions.RequestException, OSError, ValueError) as exc:
            raise CoreError("the answer of Icinga 2 at %s broke off (%s)"
                            % (self.shown, network_words(exc)),
                            "check the master, or raise -t") from None

    def _words(self, status):
        """Icinga's status text, one short safe line; should it echo the password, not that."""
        text = status if isinstance(status, str) else "no reason given"
        return sanitize(text.replace(self.password, "***"))[:160]


def _attributes(item):
    """An object's attrs: a dict, or empty (the API's answer is input)."""
    attrs = item.get("attrs")
    return attrs if isinstance(attrs, dict) else {}


def _full_name(downtime, attrs):
    """host!service!id, the name Icinga 2 gives a downtime: an answer whose name
    points at another object than its attributes describe is a lie."""
    return "!".join([downtime.host] + ([downtime.service] if downtime.service else [])
                    + [str(attrs.get("name"))])


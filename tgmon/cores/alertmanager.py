"""Alertmanager's API v2: tgmon's silences, made and expired like the cores' downtimes.

A silence is a service downtime of a node: for each check whose findings a
planned window explains, one silence with the matchers ``node="NAME"``,
``check="CHECK"`` and ``finding`` (those findings) - the labels of tgmon's
metrics (tgmon_finding_status) and so of its alert rules - createdBy the
sync's author, a comment with tgmon's prefix. Alertmanager has no hosts:
every node is one, and the checks are its "services".

What the API answers is input, as Icinga 2's is: a silence is tgmon's only if
its createdBy is the author, its comment has the prefix and its node matcher
names a node this run read (``cores.owned``); an expired one is history and
ignored. Before a silence is expired it is fetched again by its id and must
still be that same silence of tgmon's: a list whose ids point elsewhere cannot
make tgmon expire another's. Every field sent passes the cores' one check
(``unsafe_character``); TLS is verified (--alertmanager-ca-file for your own
CA); a bearer token or a basic-auth password comes from a file and is sent
over TLS only, or to this host; no redirect is followed; every answer is
bounded in size and time (the cores' one transport, httpjson.py).

Alertmanager starts a silence no earlier than when it is made (a window begun
gets a silence from now on), so the sync compares a begun window by its end
and comment (``silences`` = True; ``downtimes.wanted.begun_now``).
"""

import json
import math
import re
from datetime import datetime, timezone
from ipaddress import ip_address
from urllib.parse import urlsplit

from ..errors import UsageError
from ..safeio.text import sanitize
from ..safeio.tokenfile import read_password, read_token
from ..safeio.urls import check_url, redact_url
from ..state.model import record
from ..timeutil import parse_timestamp
from . import MAX_NAME, CoreError, Downtime, Found, Refused, owned, unsafe_character
from .httpjson import MAX_RESULTS, ApiWords, JsonApi

# the labels of tgmon's metrics and so of its alerts (tgmon/metrics/registry.py)
NODE_LABEL, CHECK_LABEL, FINDING_LABEL = "node", "check", "finding"
API = "/api/v2"
_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
_OPERATORS = {(True, False): "=", (True, True): "=~", (False, False): "!=", (False, True): "!~"}
_FRACTION = re.compile(r"(\.\d{6})\d+")       # Go writes nanoseconds, Python reads micro
FIX_AUTH = "check --alertmanager-token-file, or --alertmanager-user and its password file"
FIX_URL = "point --alertmanager-url at Alertmanager itself, e.g. http://127.0.0.1:9093"
FEWER_SILENCES = "expire old silences, or sync fewer nodes per run"

AlertmanagerSettings = record("AlertmanagerSettings",
                              "url ca_file token_file user password_file findings http")


def check_field(value, what):
    """``value`` if a silence may carry it (a matcher, its author, its comment);
    Refused naming it (sanitised) if not."""
    bad = unsafe_character(value) if value else "nothing"
    if bad or len(value) > MAX_NAME:
        raise Refused("%s %s holds %s" % (what, sanitize(value)[:80] or "''",
                                          bad or "more than %d characters" % MAX_NAME),
                      "only one printable line is sent: rename it")
    return value


def selection(findings):
    """{check: the matchers of its silence besides the node's} for (check, finding)
    pairs: the check's, and its findings' (names of letters, digits, _ and -, so a
    regex of them matches exactly them)."""
    by_check = {}
    for check, finding in findings:
        by_check.setdefault(check, set()).add(finding)
    return {check: (matcher(CHECK_LABEL, check), matcher(FINDING_LABEL, names.pop())
                    if len(names) == 1 else
                    matcher(FINDING_LABEL, "|".join(sorted(names)), regex=True))
            for check, names in sorted(by_check.items())}


def matcher(name, value, regex=False):
    return {"name": name, "value": value, "isRegex": regex, "isEqual": True}


def _sorted(matchers):
    return tuple(sorted((m["name"], m["value"], m["isRegex"], m["isEqual"]) for m in matchers))


def iso(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds_of(text):
    """An API timestamp as whole seconds since the epoch (rounded down: a silence
    Alertmanager began at its making), or ValueError."""
    if not isinstance(text, str):
        raise ValueError("not a timestamp")
    return math.floor(parse_timestamp(_FRACTION.sub(r"\1", text)).timestamp())


class Alertmanager(JsonApi):
    name = "Alertmanager"
    words = ApiWords(url_option="--alertmanager-url", ca_option="--alertmanager-ca-file",
                     whose="Alertmanager's", server="Alertmanager", unreachable=FIX_URL,
                     redirected=FIX_URL, not_json=FIX_URL, fewer=FEWER_SILENCES,
                     names_path=False, text_errors=True)
    separator = " "          # a silence of a node's check: "tg1 maintenance"
    host_downtime = False    # a silence per check, none for all of the node's alerts
    applies_at_once = True   # every silence is made or expired when the API answers
    silences = True          # begins no earlier than now; names nodes, not hosts

    def __init__(self, settings, warn):
        check_url(settings.url, "remove it; a password goes in --alertmanager-password-file")
        parts = urlsplit(settings.url)
        if parts.query or parts.fragment or "?" in settings.url or "#" in settings.url:
            raise UsageError("--alertmanager-url %s has a query or fragment"
                             % redact_url(settings.url)[:100], FIX_URL)
        if settings.token_file and (settings.user or settings.password_file):
            raise UsageError("--alertmanager-token-file and a user and password given both",
                             "give the one your Alertmanager's web config asks for")
        if bool(settings.user) != bool(settings.password_file):
            raise UsageError("--alertmanager-user and --alertmanager-password-file go together",
                             "give both for basic auth, or neither")
        secret = settings.token_file or settings.password_file
        if secret and parts.scheme != "https" and not _loopback(parts.hostname):
            raise UsageError("--alertmanager-url %s is not https://: the secret would cross "
                             "the network in clear" % redact_url(settings.url)[:100],
                             "serve Alertmanager with TLS (web.config.file) and use https://")
        super().__init__(settings.url, settings.http, settings.ca_file)
        if settings.token_file:
            token = read_token(settings.token_file, "--alertmanager-token-file")
            self.session.headers["Authorization"] = "Bearer " + token
            self.secrets.append(token)
        elif settings.user:
            self.basic_auth(settings.user, read_password(settings.password_file,
                                                         "--alertmanager-password-file"))
        self.matchers = selection(settings.findings)
        self.shapes = {_sorted(m): check for check, m in self.matchers.items()}
        self.warn = warn

    # ------------------------------------------------------------ queries
    def hosts(self, names):
        """Every node is a label value: all of them (a name is checked when it is sent)."""
        return set(names)

    def services(self, hosts, commands):
        """Each node's "services": the checks whose alerts a window silences."""
        return {host: sorted(self.matchers) for host in hosts}

    def downtimes(self, owner):
        """tgmon's silences of the nodes read, as Found; expired ones are history. Any
        other silence is ignored, never expired; one that looks like tgmon's but is not
        (another author with the prefix, fields of the wrong type) is named."""
        found, ignored = [], 0
        for item in self._list():
            silence = self._silence(item, owner)
            if silence is None:
                if _claims(item, owner):
                    ignored += 1
                continue
            if silence is not _EXPIRED:
                found.append(silence)
        if ignored:
            self.warn("Alertmanager at %s answered %d silences that look like %s's but are "
                      "not, on the nodes read - ignored, none of them is expired"
                      % (self.shown, ignored, owner.author))
        return found

    # ------------------------------------------------------------ actions
    def schedule(self, downtime, author):
        if not downtime.end > downtime.start:
            raise Refused("a silence of %s that ends before it starts" % downtime.host,
                          "fix the window it came from")
        node = check_field(downtime.host, "node")
        comment = check_field(downtime.comment, "the comment")
        if downtime.service not in self.matchers:
            raise Refused("no silence of %s's %s alerts is configured" % (
                node, sanitize(str(downtime.service))[:80]), "see --alertmanager-finding")
        body = {"matchers": [matcher(NODE_LABEL, node)] + list(self.matchers[downtime.service]),
                "startsAt": iso(downtime.start), "endsAt": iso(downtime.end),
                "createdBy": check_field(author, "the author"), "comment": comment}
        status, document = self.call("POST", API + "/silences", body)
        if status != 200 or not (isinstance(document, dict)
                                 and isinstance(document.get("silenceID"), str)):
            raise Refused("Alertmanager refused the silence (HTTP %d: %s)"
                          % (status, self._words(document)),
                          "look at the Alertmanager log")

    def remove(self, found, owner):
        """Expire it, if the silence of that id is still this one of tgmon's."""
        status, document = self.call("GET", API + "/silence/" + found.ident)
        again = self._silence(document, owner) if status == 200 else None
        if again is None or again is _EXPIRED or not _same(again, found):
            raise Refused("Alertmanager no longer has that silence as tgmon's (HTTP %d): it "
                          "is gone or was changed" % status, "nothing to do if it was "
                          "meant to go; else look at it in Alertmanager")
        status, document = self.call("DELETE", API + "/silence/" + found.ident)
        if status != 200:
            raise Refused("Alertmanager did not expire it (HTTP %d: %s)"
                          % (status, self._words(document)), "look at the Alertmanager log")

    def finish(self, expected_adds, expected_removes):
        return (), ()

    # ------------------------------------------------------------ reading answers
    def _list(self):
        status, document = self.call("GET", API + "/silences")
        if status != 200:
            raise CoreError("Alertmanager at %s answered HTTP %d to the list of silences: %s"
                            % (self.shown, status, self._words(document)), FIX_URL)
        if not isinstance(document, list) or not all(isinstance(i, dict) for i in document):
            raise CoreError("Alertmanager at %s answered without a list of silences"
                            % self.shown, FIX_URL)
        if len(document) > MAX_RESULTS:
            raise CoreError("Alertmanager at %s answered more than %d silences"
                            % (self.shown, MAX_RESULTS), FEWER_SILENCES)
        return document

    def _silence(self, item, owner):
        """A silence of the API as Found if it is tgmon's on a node read, _EXPIRED if it
        was and is over, else None."""
        if not isinstance(item, dict):
            return None
        matchers = item.get("matchers")
        status = item.get("status")
        ident = item.get("id")
        try:
            shape = _sorted(matchers)
            nodes = [m for m in shape if m[0] == NODE_LABEL]
            start, end = seconds_of(item.get("startsAt")), seconds_of(item.get("endsAt"))
        except (TypeError, KeyError, ValueError, OverflowError, AttributeError):
            return None
        if (len(nodes) != 1 or nodes[0][2:] != (False, True)
                # tgmon sends nothing that is not one printable line: such is not its
                or not all(isinstance(m[0], str) and isinstance(m[1], str)
                           and isinstance(m[2], bool) and isinstance(m[3], bool)
                           and unsafe_character(m[0] + m[1]) is None for m in shape)
                or not isinstance(item.get("comment"), str)
                or unsafe_character(item["comment"]) is not None
                or not isinstance(ident, str) or not _ID.match(ident)
                or not isinstance(status, dict)):
            return None
        rest = [m for m in shape if m[0] != NODE_LABEL]
        # a check's silence as this run makes them, or what else it matches (replaced)
        service = self.shapes.get(tuple(rest)) or " ".join(
            "%s%s%s" % (m[0], _OPERATORS[m[3], m[2]], json.dumps(m[1]))
            for m in rest) or "(all alerts)"
        if len(service) > MAX_NAME:
            return None
        downtime = Downtime(nodes[0][1], service, start, end, item.get("comment"))
        if not owned(downtime, owner, item.get("createdBy")):
            return None
        if status.get("state") == "expired":
            return _EXPIRED
        return Found(downtime, ident)

    # ------------------------------------------------------------ transport
    def check_access(self, status, path):
        if status in (401, 403):
            raise CoreError("Alertmanager at %s refused access (HTTP %d)" % (self.shown, status),
                            FIX_AUTH)

    def _words(self, document):
        """The API's reason, one short safe line; should it echo a secret, not that."""
        if isinstance(document, dict):
            document = document.get("message") or document.get("error")
        return self.masked(document if isinstance(document, str) else "") or "no reason given"


_EXPIRED = object()


def _same(again, found):
    """The silence fetched by its id is the one listed (its start aside: the sync
    compares a begun one from now on)."""
    return (again.ident == found.ident
            and again.downtime._replace(start=0) == found.downtime._replace(start=0))


def _claims(item, owner):
    """Whether an answered silence says it is tgmon's on a node read (author, prefix, a
    node matcher), whatever the rest of it holds: such a one not taken is named, not
    passed over in silence."""
    matchers = item.get("matchers") if isinstance(item, dict) else None
    return (isinstance(matchers, list) and item.get("createdBy") == owner.author
            and isinstance(item.get("comment"), str)
            and item["comment"].startswith(owner.prefix)
            and not (isinstance(item.get("status"), dict)
                     and item["status"].get("state") == "expired")
            and any(isinstance(m, dict) and m.get("name") == NODE_LABEL
                    and isinstance(m.get("value"), str) and m["value"] in owner.hosts
                    for m in matchers))


def _loopback(host):
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"

"""Icinga 2's REST API, the client every tool shares: one keep-alive TLS session,
auth from a password file, bounded answers, every failure in words.

requests directly (the Python clients for Icinga's API on PyPI are
unmaintained). The password comes from a file and goes nowhere but the API;
TLS is verified unless --icinga-insecure; no redirect is followed, nothing
is taken from the environment but proxies (unless --no-proxy); every answer
is bounded in size and time. What the API answers is input: its users
re-check every object. A failure of the API is a CoreError; an action
refused for one object is Refused, and the rest go on; an action that finds
no object (HTTP 404) is NoObjects, for its caller to tell why.
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
from . import MAX_NAME, CoreError, Refused, unsafe_character

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


class NoObjects(Exception):
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


class IcingaClient:
    """The API at ``settings.url``; ``warn(text)`` takes what is skipped."""

    name = "Icinga 2"

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

    def query(self, kind, filter_, variables, attrs):
        return self.request("/v1/objects/%s" % kind, {"filter": filter_,
                                                        "filter_vars": variables,
                                                        "attrs": attrs}, query=True)

    def action(self, action, body):
        """Refused when the API refuses this one action; NoObjects when it finds no
        object for it (HTTP 404), for the caller to tell why."""
        results = self.request("/v1/actions/%s" % action, body)
        if not results:
            raise Refused("Icinga 2 answered no result to %s" % action.replace("-", " "),
                          "look at the Icinga 2 log on the master")
        for result in results:
            code = result.get("code")
            if not isinstance(code, (int, float)) or not 200 <= code < 300:
                raise Refused("Icinga 2 refused to %s: %s" % (
                    action.replace("-", " "), self._words(result.get("status"))),
                    "look at the Icinga 2 log on the master")

    def request(self, path, body, query=False):
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
                raise NoObjects()
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


def attributes(item):
    """An object's attrs: a dict, or empty (the API's answer is input)."""
    attrs = item.get("attrs")
    return attrs if isinstance(attrs, dict) else {}

"""Icinga 2's REST API, the client every tool shares: one keep-alive TLS session,
auth from a password file, bounded answers, every failure in words.

requests directly (the Python clients for Icinga's API on PyPI are
unmaintained), through the cores' one JSON transport (httpjson.py: no
redirect followed, nothing from the environment but proxies, every answer
bounded in size and time). The password comes from a file and goes nowhere
but the API; TLS is verified unless --icinga-insecure. What the API answers
is input: its users re-check every object. A failure of the API is a
CoreError; an action refused for one object is Refused, and the rest go on;
an action that finds no object (HTTP 404) is NoObjects, for its caller to
tell why.
"""

from ..errors import UsageError
from ..state.model import record
from ..safeio.text import sanitize
from ..safeio.tokenfile import read_password
from ..safeio.urls import check_url, redact_url
from . import MAX_NAME, CoreError, Refused, unsafe_character
from .httpjson import MAX_RESULTS, ApiWords, JsonApi

FEWER_NODES = "sync fewer nodes per run (split --cluster-file)"
PERMISSIONS_DOC = "grant it to the ApiUser (docs/downtimes.rst)"
IS_THE_API = "check that --icinga-url is Icinga 2's API (port 5665)"

IcingaSettings = record("IcingaSettings", "url user password_file ca_file insecure http")


class NoObjects(Exception):
    """An action found no object (HTTP 404): its caller knows what that means."""


def usable_name(value):
    """A name from the API tgmon can act on and print: a string of one printable line."""
    return (isinstance(value, str) and 0 < len(value) <= MAX_NAME
            and unsafe_character(value) is None)


class IcingaClient(JsonApi):
    """The API at ``settings.url``; ``warn(text)`` takes what is skipped."""

    name = "Icinga 2"
    words = ApiWords(url_option="--icinga-url", ca_option="--icinga-ca-file",
                     whose="the API's", server="the master",
                     unreachable="check --icinga-url and that icinga2 runs with its API",
                     redirected="point --icinga-url at the API itself", not_json=IS_THE_API,
                     fewer=FEWER_NODES, names_path=True, text_errors=False)

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
        super().__init__(settings.url, settings.http, settings.ca_file, settings.insecure)
        self.basic_auth(settings.user, read_password(
            settings.password_file, "--icinga-password-file", "the ApiUser's password"))
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
        headers = {"X-HTTP-Method-Override": "GET"} if query else {}
        status, document = self.call("POST", path, body, headers)
        return self._results(status, document, path)

    def check_access(self, status, path):
        if status == 401:
            raise CoreError("Icinga 2 at %s refused user %s (HTTP 401)" % (self.shown, self.user),
                            "check --icinga-user and --icinga-password-file")
        if status == 403:
            raise CoreError("ApiUser %s may not use %s (HTTP 403)" % (self.user, path),
                            PERMISSIONS_DOC)

    def _results(self, status, document, path):
        shown = self.shown
        if not isinstance(document, dict):
            raise CoreError("Icinga 2 at %s answered HTTP %d with no results" % (shown, status),
                            IS_THE_API)
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
        if status >= 400 and isinstance(results, list) and not any(
                _failed(r) for r in results):
            # an error whose every result says done is a lie: nothing was done for sure
            raise CoreError("Icinga 2 at %s answered HTTP %d, yet no result says what failed"
                            % (shown, status), "look at the Icinga 2 log on the master")
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise CoreError("Icinga 2 at %s answered without a list of results" % shown,
                            IS_THE_API)
        if len(results) > MAX_RESULTS:
            raise CoreError("Icinga 2 at %s answered more than %d objects to %s"
                            % (shown, MAX_RESULTS, path), FEWER_NODES)
        return results

    def _words(self, status):
        """Icinga's status text, one short safe line; should it echo the password, not that."""
        return self.masked(status if isinstance(status, str) else "no reason given")


def _failed(result):
    """An action's result that says it failed: a number outside 200-299 as its code."""
    code = result.get("code") if isinstance(result, dict) else None
    return isinstance(code, (int, float)) and not 200 <= code < 300


def attributes(item):
    """An object's attrs: a dict, or empty (the API's answer is input)."""
    attrs = item.get("attrs")
    return attrs if isinstance(attrs, dict) else {}

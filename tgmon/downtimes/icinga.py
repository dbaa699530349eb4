"""Icinga 2's REST API: the hosts, the services by check command, tgmon's
downtimes, and scheduling and removing them.

requests directly (the Python clients for Icinga's API on PyPI are
unmaintained). The password comes from a file and goes nowhere but the API;
TLS is verified unless --icinga-insecure; no redirect is followed, nothing
is taken from the environment but proxies (unless --no-proxy); every answer
is bounded in size and time. Each failure is an ApiError naming the cause in
words and the fix; the permissions the ApiUser needs are in docs/downtimes.rst.
"""

import json

import requests

from ..errors import TgmonError, UsageError
from ..model import record
from ..safefile import read_option_file
from ..urls import check_url, redact_url
from ..sources.http import (CONNECT_TIMEOUT, BodyTooLarge, make_session, network_words,
                            proxies_for, read_body, remaining, tls_words)
from .wanted import Downtime, Found

MAX_ANSWER = 32 * 1024 * 1024
MAX_PASSWORD = 4096
PERMISSIONS_DOC = "grant it to the ApiUser (docs/downtimes.rst)"


class ApiError(TgmonError):
    """The core refused, failed or could not be reached: the sync stops for this core."""


IcingaSettings = record("IcingaSettings", "url user password_file ca_file insecure http")


def read_password(path):
    data = read_option_file(path, "--icinga-password-file", MAX_PASSWORD, UsageError)
    try:
        password = data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise UsageError("--icinga-password-file %s is not UTF-8 text" % path,
                         "write just the ApiUser's password into it") from None
    if not password or "\n" in password or not password.isprintable():
        raise UsageError("--icinga-password-file %s must hold the password on one line" % path,
                         "write just the ApiUser's password into it")
    return password


class IcingaApi:
    name = "Icinga 2"
    separator = "!"          # how Icinga 2 names a service: host!service
    host_downtime = True     # Icinga 2 keeps notifying for the services of a host in downtime

    def __init__(self, settings):
        check_url(settings.url)
        if not settings.url.startswith("https://"):
            raise UsageError("--icinga-url %s is not https://" % redact_url(settings.url)[:100],
                             "Icinga 2's API speaks TLS only, e.g. https://master:5665")
        if not settings.user:
            raise UsageError("--icinga-url needs --icinga-user", "name the ApiUser")
        if not settings.password_file:
            raise UsageError("--icinga-url needs --icinga-password-file",
                             "put the ApiUser's password into a file readable only by you")
        self.base = settings.url.rstrip("/")
        self.http = settings.http._replace(token_file=None, ca_file=settings.ca_file,
                                           insecure=settings.insecure)
        self.session = make_session(self.http, ca_option="--icinga-ca-file")
        self.session.auth = (settings.user, read_password(settings.password_file))
        self.user = settings.user

    # ------------------------------------------------------------ queries
    def hosts(self, names):
        results = self._query("hosts", "host.name in names", {"names": sorted(names)}, ["name"])
        return {r.get("name") for r in results}

    def services(self, hosts, commands):
        """{host: sorted service names} whose check_command is one of ``commands``."""
        results = self._query("services", "host.name in hosts && service.check_command in cmds",
                              {"hosts": sorted(hosts), "cmds": sorted(commands)},
                              ["name", "host_name", "check_command"])
        services = {}
        for item in results:
            attrs = item.get("attrs") or {}
            host, name = attrs.get("host_name"), attrs.get("name")
            if isinstance(host, str) and isinstance(name, str):
                services.setdefault(host, []).append(name)
        return {host: sorted(names) for host, names in services.items()}

    def downtimes(self, author, hosts):
        """tgmon's downtimes (by ``author``) on ``hosts``, as Found records."""
        results = self._query(
            "downtimes", "downtime.author == author && downtime.host_name in hosts",
            {"author": author, "hosts": sorted(hosts)},
            ["host_name", "service_name", "start_time", "end_time", "comment", "author", "name"])
        found = []
        for item in results:
            attrs = item.get("attrs") or {}
            try:
                downtime = Downtime(attrs["host_name"], attrs.get("service_name") or None,
                                    int(attrs["start_time"]), int(attrs["end_time"]),
                                    attrs["comment"])
            except (KeyError, TypeError, ValueError):
                raise ApiError("Icinga 2 at %s answered a downtime without its fields"
                               % self.base, "check that --icinga-url is Icinga 2's API") from None
            found.append(Found(downtime, item.get("name")))
        return found

    # ------------------------------------------------------------ actions
    def schedule(self, downtime, author):
        if downtime.service is None:
            target = {"type": "Host", "filter": "host.name == h", "filter_vars": {"h": downtime.host},
                      "all_services": False}
        else:
            target = {"type": "Service", "filter": "host.name == h && service.name == s",
                      "filter_vars": {"h": downtime.host, "s": downtime.service}}
        body = dict(target, start_time=downtime.start, end_time=downtime.end,
                    duration=downtime.end - downtime.start,
                    fixed=True,   # always given: the default changed between Icinga versions
                    author=author, comment=downtime.comment)
        self._action("schedule-downtime", body)

    def remove(self, found):
        # the full name (host!service!id): ``name`` of a Downtime is only its id
        self._action("remove-downtime", {"type": "Downtime", "filter": "downtime.__name == n",
                                         "filter_vars": {"n": found.ident}})

    def finish(self, expected_adds, expected_removes):
        """Icinga 2 applies every action before it answers: nothing to wait for."""

    # ------------------------------------------------------------ transport
    def _query(self, kind, filter_, variables, attrs):
        return self._request("/v1/objects/%s" % kind, {"filter": filter_,
                                                        "filter_vars": variables,
                                                        "attrs": attrs}, query=True)

    def _action(self, action, body):
        results = self._request("/v1/actions/%s" % action, body)
        for result in results:
            code = result.get("code")
            if not isinstance(code, (int, float)) or not 200 <= code < 300:
                raise ApiError("Icinga 2 could not %s: %s" % (
                    action.replace("-", " "), _words(result.get("status"))),
                    "look at the Icinga 2 log on the master")

    def _request(self, path, body, query=False):
        url = self.base + path
        shown = redact_url(self.base)
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
            raise ApiError("TLS to Icinga 2 at %s failed: %s" % (shown, words),
                           fix.replace("--ca-file", "--icinga-ca-file")
                           .replace("the exporter's", "the API's")) from None
        except requests.exceptions.ConnectTimeout:
            raise ApiError("connecting to Icinga 2 at %s timed out" % shown,
                           "check --icinga-url and the firewall") from None
        except requests.exceptions.ReadTimeout:
            raise ApiError("Icinga 2 at %s did not answer within -t" % shown,
                           "check the master, or raise -t") from None
        except (requests.exceptions.RequestException, ValueError, OSError) as exc:
            raise ApiError("cannot reach Icinga 2 at %s: %s" % (shown, network_words(exc)),
                           "check --icinga-url and that icinga2 runs with its API") from None
        with response:
            return self._results(response, shown, path)

    def _results(self, response, shown, path):
        status = response.status_code
        if status == 401:
            raise ApiError("Icinga 2 at %s refused user %s (HTTP 401)" % (shown, self.user[:40]),
                           "check --icinga-user and --icinga-password-file")
        if status == 403:
            raise ApiError("ApiUser %s may not use %s (HTTP 403)" % (self.user[:40], path),
                           PERMISSIONS_DOC)
        if 300 <= status < 400:
            raise ApiError("Icinga 2 at %s redirects elsewhere (HTTP %d), tgmon follows none"
                           % (shown, status), "point --icinga-url at the API itself")
        body = self._body(response, shown)
        try:
            document = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ApiError("Icinga 2 at %s answered HTTP %d without JSON" % (shown, status),
                           "check that --icinga-url is Icinga 2's API (port 5665)") from None
        if not isinstance(document, dict):
            raise ApiError("Icinga 2 at %s answered HTTP %d with no results" % (shown, status),
                           "check that --icinga-url is Icinga 2's API (port 5665)")
        results = document.get("results")
        if status == 404:
            # Icinga 2 answers "No objects found" when the ApiUser lacks the permission
            # (the hosts and services were found before, with the query permission)
            raise ApiError("ApiUser %s may not use %s (HTTP 404: no objects for this user)"
                           % (self.user[:40], path), PERMISSIONS_DOC)
        if status >= 400 and not isinstance(results, list):
            raise ApiError("Icinga 2 at %s answered HTTP %d: %s"
                           % (shown, status, _words(document.get("status"))),
                           "look at the Icinga 2 log on the master")
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise ApiError("Icinga 2 at %s answered without a list of results" % shown,
                           "check that --icinga-url is Icinga 2's API (port 5665)")
        return results

    def _body(self, response, shown):
        try:
            return read_body(response, MAX_ANSWER)
        except BodyTooLarge:
            raise ApiError("Icinga 2 at %s sent more than %d bytes" % (shown, MAX_ANSWER),
                           "sync fewer nodes per run") from None
        except (requests.exceptions.RequestException, OSError, ValueError) as exc:
            raise ApiError("the answer of Icinga 2 at %s broke off (%s)"
                           % (shown, network_words(exc)), "check the master, or raise -t") from None


def _words(status):
    """Icinga's status text, one short safe line."""
    from ..runtime.output import sanitize
    return sanitize(status if isinstance(status, str) else "no reason given")[:160]

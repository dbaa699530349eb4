"""A core's JSON API over HTTP, the transport Icinga 2's and Alertmanager's clients
share: one keep-alive session, every request under what is left of -t, no
redirect followed, nothing from the environment but the *_proxy variables
(unless --no-proxy), every answer bounded in size and in objects before it is
parsed, every failure a CoreError in the core's words (``ApiWords``: its name
is the client's ``name``, its options, where to look).

What an answer means - a refused user (``check_access``), results, silences -
is each client's.
"""

import json

import requests

from ..safeio.text import sanitize
from ..safeio.urls import redact_url
from ..sources.http import (CONNECT_TIMEOUT, BodyTooLarge, make_session, network_words,
                            proxies_for, read_body, remaining, tls_words)
from ..state.model import record
from . import CoreError

# An answer is parsed whole, so its size and its number of objects ('{' and '['
# counted before parsing, those in strings too) are bounded: 3 MB of JSON held
# as Python objects stay below the 100 MB every tgmon process keeps to, also
# when made of nothing but the smallest strings or objects. tgmon's downtimes
# of 1000 nodes with two windows each fit (some 6000, of 400 bytes and 2
# objects each); so do as many silences.
MAX_ANSWER = 3 * 1024 * 1024
MAX_RESULTS = 7500
MAX_OBJECTS = 3 * MAX_RESULTS

# How a core's failures are worded, besides its name: its --*-url and --*-ca-file;
# whose certificate a TLS fix names; what to check when it is slow; the fixes for
# an address that does not answer, that redirects, that answers no JSON, and for an
# answer over the bounds; whether a bound's words name the path asked; whether an
# answer may be empty (None) or, for an error, plain text (Alertmanager's).
ApiWords = record("ApiWords", "url_option ca_option whose server unreachable redirected "
                              "not_json fewer names_path text_errors")


class JsonApi:
    """The API at ``url``, worded by the subclass's ``name`` and ``words``."""

    name = None
    words = None

    def __init__(self, url, http, ca_file, insecure=False):
        self.base = url.rstrip("/")
        self.shown = redact_url(self.base)
        # the exporters' token is theirs: a core gets its own secret, or none
        self.http = http._replace(token_file=None, ca_file=ca_file, insecure=insecure)
        self.session = make_session(self.http, ca_option=self.words.ca_option)
        self.secrets = []

    def basic_auth(self, user, password):
        # UTF-8, as the cores read it: requests would encode Latin-1 only
        self.session.auth = (user.encode("utf-8"), password.encode("utf-8"))
        self.secrets.append(password)

    def check_access(self, status, path):
        """A CoreError in the core's words when it refuses this client (HTTP 401, 403)."""

    def masked(self, text):
        """The core's own words, one short safe line; should they echo a secret, not that."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return sanitize(text)[:160]

    def call(self, method, path, body=None, headers=()):
        """(HTTP status, the JSON answer) of ``method path`` with ``body`` as JSON; a
        CoreError when the API cannot be used at all: unreachable, TLS, refused
        access, a redirect, too large, no JSON."""
        url, words = self.base + path, self.words
        left = remaining(self.http)
        headers = dict(headers, **({} if body is None else {"Content-Type": "application/json"}))
        try:
            # verify given per request: a session-level value loses against
            # REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE from the environment
            response = self.session.request(
                method, url, data=None if body is None else json.dumps(body), headers=headers,
                timeout=(min(CONNECT_TIMEOUT, left), left), stream=True,
                verify=self.session.verify, allow_redirects=False,
                proxies=proxies_for(url, self.http))
        except requests.exceptions.SSLError as exc:
            cause, fix = tls_words(exc)
            raise CoreError("TLS to %s at %s failed: %s" % (self.name, self.shown, cause),
                            fix.replace("--ca-file", words.ca_option)
                            .replace("the exporter's", words.whose)) from None
        except requests.exceptions.ConnectTimeout:
            raise CoreError("connecting to %s at %s timed out" % (self.name, self.shown),
                            "check %s and the firewall" % words.url_option) from None
        except requests.exceptions.ReadTimeout:
            raise CoreError("%s at %s did not answer within -t" % (self.name, self.shown),
                            "check %s, or raise -t" % words.server) from None
        except (requests.exceptions.RequestException, ValueError, OSError) as exc:
            raise CoreError("cannot reach %s at %s: %s"
                            % (self.name, self.shown, network_words(exc)),
                            words.unreachable) from None
        with response:
            status = response.status_code
            self.check_access(status, path)
            if 300 <= status < 400:
                raise CoreError("%s at %s redirects elsewhere (HTTP %d), tgmon follows none"
                                % (self.name, self.shown, status), words.redirected)
            answer = self._bounded(response, path)
        return status, self._document(status, answer)

    def _bounded(self, response, path):
        try:
            answer = read_body(response, MAX_ANSWER)
        except BodyTooLarge:
            raise CoreError("%s at %s sent more than %d bytes"
                            % (self.name, self.shown, MAX_ANSWER), self.words.fewer) from None
        except (requests.exceptions.RequestException, OSError, ValueError) as exc:
            raise CoreError("the answer of %s at %s broke off (%s)"
                            % (self.name, self.shown, network_words(exc)),
                            "check %s, or raise -t" % self.words.server) from None
        if answer.count(b"{") + answer.count(b"[") > MAX_OBJECTS:
            raise CoreError("%s at %s answered more than %d objects%s"
                            % (self.name, self.shown, MAX_OBJECTS,
                               " to " + path if self.words.names_path else ""),
                            self.words.fewer)
        return answer

    def _document(self, status, answer):
        if self.words.text_errors and not answer.strip():
            return None
        try:
            return json.loads(answer.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            if self.words.text_errors and status != 200:
                return answer[:200].decode("utf-8", "replace")   # an error's text
            raise CoreError("%s at %s answered HTTP %d without JSON"
                            % (self.name, self.shown, status), self.words.not_json) from None

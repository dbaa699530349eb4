"""Every way a core's JSON API can fail, in the exact words each client says it:
Icinga 2's and Alertmanager's, which share one transport (tgmon/cores/httpjson.py)
but name their own core, options and fixes. One table: the answer of a stand-in
on 127.0.0.1 -> the whole CoreError (cause; fix) of each core. In process and
quick: the slow corpus (test_cores_icinga.py, test_cores_alertmanager.py,
test_downtimes_api.py) runs the same through the command line.
"""

import base64
import time

import pytest
import requests

from tgmon.cores import CoreError, Ownership
from tgmon.cores.alertmanager import Alertmanager, AlertmanagerSettings
from tgmon.cores.icinga import IcingaApi, IcingaSettings
from tgmon.errors import UsageError
from tgmon.sources import HttpSettings

from .common import write
from .harness import SECRETS
from .test_downtimes_api import after_body
from .test_http_client import Server, answer, raw, refused, tls_context

TOKEN, PASSWORD = SECRETS[0], SECRETS[3]
HTTP = HttpSettings(timeout=0.5)          # -t for a stand-in that never answers
FEWER = "sync fewer nodes per run (split --cluster-file)"
EXPIRE = "expire old silences, or sync fewer nodes per run"
AM_URL = "point --alertmanager-url at Alertmanager itself, e.g. http://127.0.0.1:9093"
ICINGA_API = "check that --icinga-url is Icinga 2's API (port 5665)"


def never_answers(conn, request, srv):
    time.sleep(2)


BROKEN_CHUNK = raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
AM_REFUSED = "check --alertmanager-token-file, or --alertmanager-user and its password file"
ICINGA_ERROR = answer("500 Internal Server Error",
                      ('{"error": 500, "status": "boom %s x"}' % PASSWORD).encode())
AM_ERROR = answer("500 Internal Server Error",
                  ('{"code": 500, "message": "boom %s x"}' % TOKEN).encode())
GOOD = "good"

WORDS = [
    # (name, the stand-in's answer, its certificate; what Icinga 2's client raises, what
    #  Alertmanager's raises - None: not a case of that core; {u} is the API's address)
    ("redirect", answer("302 Found", b"", extra="Location: https://evil.example/\r\n"), GOOD,
     "Icinga 2 at {u} redirects elsewhere (HTTP 302), tgmon follows none; "
     "point --icinga-url at the API itself",
     "Alertmanager at {u} redirects elsewhere (HTTP 302), tgmon follows none; " + AM_URL),
    ("unauthorized", answer("401 Unauthorized", b"no", "text/plain"), GOOD,
     "Icinga 2 at {u} refused user tgmon (HTTP 401); "
     "check --icinga-user and --icinga-password-file",
     "Alertmanager at {u} refused access (HTTP 401); " + AM_REFUSED),
    ("forbidden", answer("403 Forbidden", b"{}"), GOOD,
     "ApiUser tgmon may not use /v1/objects/hosts (HTTP 403); "
     "grant it to the ApiUser (docs/downtimes.rst)",
     "Alertmanager at {u} refused access (HTTP 403); " + AM_REFUSED),
    ("not_json", answer("200 OK", b"<html>hello</html>", "text/html"), GOOD,
     "Icinga 2 at {u} answered HTTP 200 without JSON; " + ICINGA_API,
     "Alertmanager at {u} answered HTTP 200 without JSON; " + AM_URL),
    # expiring a silence answers nothing: to Alertmanager's client no document, no list
    ("empty", answer("200 OK", b""), GOOD,
     "Icinga 2 at {u} answered HTTP 200 without JSON; " + ICINGA_API,
     "Alertmanager at {u} answered without a list of silences; " + AM_URL),
    ("nested", answer("200 OK", b"[" * 22501), GOOD,
     "Icinga 2 at {u} answered more than 22500 objects to /v1/objects/hosts; " + FEWER,
     "Alertmanager at {u} answered more than 22500 objects; " + EXPIRE),
    ("too_large", answer("200 OK", b" " * (3 * 1024 * 1024 + 1)), GOOD,
     "Icinga 2 at {u} sent more than 3145728 bytes; " + FEWER,
     "Alertmanager at {u} sent more than 3145728 bytes; " + EXPIRE),
    ("broken_chunk", BROKEN_CHUNK, GOOD,
     "the answer of Icinga 2 at {u} broke off (the chunked answer broke off); "
     "check the master, or raise -t",
     "the answer of Alertmanager at {u} broke off (the chunked answer broke off); "
     "check Alertmanager, or raise -t"),
    ("never_answers", never_answers, GOOD,
     "Icinga 2 at {u} did not answer within -t; check the master, or raise -t",
     "Alertmanager at {u} did not answer within -t; check Alertmanager, or raise -t"),
    ("unknown_ca", answer("200 OK", b"[]"), "unknown_ca",
     "TLS to Icinga 2 at {u} failed: certificate of an unknown CA; "
     "give the CA with --icinga-ca-file",
     "TLS to Alertmanager at {u} failed: certificate of an unknown CA; "
     "give the CA with --alertmanager-ca-file"),
    ("expired", answer("200 OK", b"[]"), "expired",
     "TLS to Icinga 2 at {u} failed: certificate expired; renew the API's certificate",
     "TLS to Alertmanager at {u} failed: certificate expired; "
     "renew Alertmanager's certificate"),
    ("closed_port", None, None,
     "cannot reach Icinga 2 at {u}: connection refused; "
     "check --icinga-url and that icinga2 runs with its API",
     "cannot reach Alertmanager at {u}: connection refused; " + AM_URL),
    # an error's reason is shown, one echoing the secret masked; Alertmanager's may be text
    ("an_icinga_error_echoing_the_password", ICINGA_ERROR, GOOD,
     "Icinga 2 at {u} answered HTTP 500: boom *** x; look at the Icinga 2 log on the master",
     None),
    ("an_error_echoing_the_token", AM_ERROR, GOOD, None,
     "Alertmanager at {u} answered HTTP 500 to the list of silences: boom *** x; " + AM_URL),
    ("an_error_in_plain_text", answer("500 Internal Server Error", b"boom", "text/plain"),
     GOOD, None,
     "Alertmanager at {u} answered HTTP 500 to the list of silences: boom; " + AM_URL),
]
CASES = [(core, row[0], row[1], row[2], row[3 + index])
         for index, core in enumerate(("icinga", "alertmanager")) for row in WORDS
         if row[3 + index] is not None]


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    good, ca = tls_context(tmp_path_factory.mktemp("good"), "good")
    expired, expired_ca = tls_context(tmp_path_factory.mktemp("expired"), "expired")
    return {"good": (good, ca), "unknown_ca": (good, None), "expired": (expired, expired_ca)}


class StandIns:
    """serve(respond, kind) -> (base URL, CA file or None); ``servers`` in order."""

    def __init__(self, certificates, tmp):
        self.certificates, self.tmp, self.servers = certificates, tmp, []

    def serve(self, respond, kind):
        if respond is None:      # a port nothing listens on
            url = refused(self.tmp, [])[1]
            return url.replace("http://", "https://").replace("/v1/status", ""), None
        context, ca = self.certificates[kind]
        self.servers.append(Server(after_body(respond), context))
        return self.servers[-1].url(""), ca

    def close(self):
        for server in self.servers:
            server.close()


@pytest.fixture
def stand_ins(certificates, tmp_path):
    stand_ins = StandIns(certificates, tmp_path)
    yield stand_ins
    stand_ins.close()


def icinga(url, ca, tmp_path, password=PASSWORD):
    path = write(tmp_path / "icinga.password", password + "\n", 0o600)
    return IcingaApi(IcingaSettings(url, "tgmon", path, ca, False, HTTP), print)


def alertmanager(url, ca, tmp_path):
    token = write(tmp_path / "am.token", TOKEN + "\n", 0o600)
    return Alertmanager(AlertmanagerSettings(url, ca, token, None, None,
                                             [("maintenance", "maintenance_active")], HTTP),
                        print)


CLIENTS = {"icinga": icinga, "alertmanager": alertmanager}


def first_question(client):
    """What a sync asks first: Icinga 2 for the hosts, Alertmanager for its silences."""
    if isinstance(client, IcingaApi):
        return client.hosts({"tg1"})
    return client.downtimes(Ownership("tgmon", "tgmon: ", {"tg1"}))


@pytest.mark.parametrize("core, name, respond, certificate, words", CASES,
                         ids=["%s-%s" % case[:2] for case in CASES])
def test_each_core_words_every_failure_of_its_api(stand_ins, tmp_path, core, name, respond,
                                                  certificate, words):
    url, ca = stand_ins.serve(respond, certificate)
    with pytest.raises(CoreError) as raised:
        first_question(CLIENTS[core](url, ca, tmp_path))
    assert str(raised.value) == words.format(u=url)


@pytest.mark.parametrize("core, words", [
    ("icinga", "connecting to Icinga 2 at {u} timed out; check --icinga-url and the firewall"),
    ("alertmanager", "connecting to Alertmanager at {u} timed out; "
                     "check --alertmanager-url and the firewall"),
])
def test_each_core_words_a_connection_that_times_out(tmp_path, monkeypatch, core, words):
    """No stand-in can make the kernel drop a SYN: the session says it timed out."""
    url = "https://192.0.2.1:5665"
    client = CLIENTS[core](url, None, tmp_path)

    def times_out(*args, **kwargs):
        raise requests.exceptions.ConnectTimeout("timed out")
    monkeypatch.setattr(client.session, "request", times_out)
    with pytest.raises(CoreError) as raised:
        first_question(client)
    assert str(raised.value) == words.format(u=url)


def test_each_core_is_asked_in_its_own_way(stand_ins, tmp_path):
    """Icinga 2: a query is a POST with a JSON body, overridden to GET, basic auth (UTF-8);
    Alertmanager: a GET with no body, the bearer token. Both: JSON, no compression."""
    url, ca = stand_ins.serve(answer("200 OK", b'{"results": [{"name": "tg1"}]}'), "good")
    umlaut = PASSWORD + "-\u00fc"
    assert icinga(url, ca, tmp_path, umlaut).hosts({"tg1", "tg2"}) == {"tg1"}
    url, ca = stand_ins.serve(answer("200 OK", b"[]"), "good")
    assert alertmanager(url, ca, tmp_path).downtimes(Ownership("tgmon", "tgmon: ", set())) == []
    asked = [server.requests[0].lower().split("\r\n") for server in stand_ins.servers]
    assert asked[0][0] == "post /v1/objects/hosts http/1.1"
    assert {"x-http-method-override: get", "content-type: application/json",
            "accept: application/json", "accept-encoding: identity"} <= set(asked[0])
    basic = base64.b64encode(("tgmon:%s" % umlaut).encode("utf-8")).decode()
    assert "Authorization: Basic %s" % basic in stand_ins.servers[0].requests[0].split("\r\n")
    assert asked[1][0] == "get /api/v2/silences http/1.1"
    assert "authorization: bearer %s" % TOKEN.lower() in asked[1]
    assert not any(line.startswith("content-type") for line in asked[1])


@pytest.mark.parametrize("core, content, words", [
    ("icinga", b"\xff\xfe\n", "--icinga-password-file {p} is not UTF-8 text; "
                               "write just the ApiUser's password into it"),
    ("icinga", b"\n", "--icinga-password-file {p} must hold the password on one line; "
                      "write just the ApiUser's password into it"),
    ("alertmanager", b"a\x00b\n", "--alertmanager-password-file {p} must hold the password "
                                  "on one line; write just the password into it"),
    ("alertmanager", b"\xff\n", "--alertmanager-password-file {p} is not UTF-8 text; "
                                "write just the password into it"),
])
def test_a_password_file_is_one_printable_line(tmp_path, core, content, words):
    path = write(tmp_path / "password", content, 0o600)
    with pytest.raises(UsageError) as raised:
        if core == "icinga":
            IcingaApi(IcingaSettings("https://127.0.0.1:1", "tgmon", path, None, False, HTTP),
                      print)
        else:
            Alertmanager(AlertmanagerSettings("https://127.0.0.1:1", None, None, "tgmon", path,
                                              [], HTTP), print)
    assert str(raised.value) == words.format(p=path)

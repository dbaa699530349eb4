"""Every way a core's JSON API can fail, in the exact words each client says it:
Icinga 2's and Alertmanager's, each naming its own core, options and fixes. A table per core: the answer of a
stand-in on 127.0.0.1 -> the whole CoreError (cause; fix), or what the client
makes of it. In process and quick: the slow corpus (test_cores_icinga.py,
test_cores_alertmanager.py, test_downtimes_api.py) runs the same through the
command line.
"""

import time

import pytest

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
ANSWERS = {
    # (respond, certificate kind) shared by both tables
    "redirect": (answer("302 Found", b"", extra="Location: https://evil.example/\r\n"), "good"),
    "unauthorized": (answer("401 Unauthorized", b"no", "text/plain"), "good"),
    "forbidden": (answer("403 Forbidden", b"{}"), "good"),
    "not_json": (answer("200 OK", b"<html>hello</html>", "text/html"), "good"),
    "empty": (answer("200 OK", b""), "good"),
    "nested": (answer("200 OK", b"[" * 22501), "good"),
    "too_large": (answer("200 OK", b" " * (3 * 1024 * 1024 + 1)), "good"),
    "broken_chunk": (BROKEN_CHUNK, "good"),
    "never_answers": (never_answers, "good"),
    "unknown_ca": (answer("200 OK", b"[]"), "unknown_ca"),
    "expired": (answer("200 OK", b"[]"), "expired"),
    "closed_port": (None, None),
}

ICINGA = [
    # (answer, what the client raises; {u} is the API's address)
    ("redirect", "Icinga 2 at {u} redirects elsewhere (HTTP 302), tgmon follows none; "
                 "point --icinga-url at the API itself"),
    ("unauthorized", "Icinga 2 at {u} refused user tgmon (HTTP 401); "
                     "check --icinga-user and --icinga-password-file"),
    ("forbidden", "ApiUser tgmon may not use /v1/objects/hosts (HTTP 403); "
                  "grant it to the ApiUser (docs/downtimes.rst)"),
    ("not_json", "Icinga 2 at {u} answered HTTP 200 without JSON; " + ICINGA_API),
    ("empty", "Icinga 2 at {u} answered HTTP 200 without JSON; " + ICINGA_API),
    ("nested", "Icinga 2 at {u} answered more than 22500 objects to /v1/objects/hosts; "
               + FEWER),
    ("too_large", "Icinga 2 at {u} sent more than 3145728 bytes; " + FEWER),
    ("broken_chunk", "the answer of Icinga 2 at {u} broke off (the chunked answer broke "
                     "off); check the master, or raise -t"),
    ("never_answers", "Icinga 2 at {u} did not answer within -t; "
                      "check the master, or raise -t"),
    ("unknown_ca", "TLS to Icinga 2 at {u} failed: certificate of an unknown CA; "
                   "give the CA with --icinga-ca-file"),
    ("expired", "TLS to Icinga 2 at {u} failed: certificate expired; "
                "renew the API's certificate"),
    ("closed_port", "cannot reach Icinga 2 at {u}: connection refused; "
                    "check --icinga-url and that icinga2 runs with its API"),
    ("an_error_echoing_the_password", "Icinga 2 at {u} answered HTTP 500: boom *** x; "
                                      "look at the Icinga 2 log on the master"),
]

ALERTMANAGER = [
    ("redirect", "Alertmanager at {u} redirects elsewhere (HTTP 302), tgmon follows none; "
                 + AM_URL),
    ("unauthorized", "Alertmanager at {u} refused access (HTTP 401); check "
                     "--alertmanager-token-file, or --alertmanager-user and its password file"),
    ("forbidden", "Alertmanager at {u} refused access (HTTP 403); check "
                  "--alertmanager-token-file, or --alertmanager-user and its password file"),
    ("not_json", "Alertmanager at {u} answered HTTP 200 without JSON; " + AM_URL),
    # expiring a silence answers nothing: no document, and so no list
    ("empty", "Alertmanager at {u} answered without a list of silences; " + AM_URL),
    ("nested", "Alertmanager at {u} answered more than 22500 objects; " + EXPIRE),
    ("too_large", "Alertmanager at {u} sent more than 3145728 bytes; " + EXPIRE),
    ("broken_chunk", "the answer of Alertmanager at {u} broke off (the chunked answer broke "
                     "off); check Alertmanager, or raise -t"),
    ("never_answers", "Alertmanager at {u} did not answer within -t; "
                      "check Alertmanager, or raise -t"),
    ("unknown_ca", "TLS to Alertmanager at {u} failed: certificate of an unknown CA; "
                   "give the CA with --alertmanager-ca-file"),
    ("expired", "TLS to Alertmanager at {u} failed: certificate expired; "
                "renew Alertmanager's certificate"),
    ("closed_port", "cannot reach Alertmanager at {u}: connection refused; " + AM_URL),
    # an error's answer in plain text is its reason; one echoing the token is masked
    ("an_error_in_plain_text", "Alertmanager at {u} answered HTTP 500 to the list of "
                               "silences: boom; " + AM_URL),
    ("an_error_echoing_the_token", "Alertmanager at {u} answered HTTP 500 to the list of "
                                   "silences: boom *** x; " + AM_URL),
]

ONLY_ICINGA = {"an_error_echoing_the_password": (answer("500 Internal Server Error", (
    '{"error": 500, "status": "boom %s x"}' % PASSWORD).encode()), "good")}
ONLY_ALERTMANAGER = {
    "an_error_in_plain_text": (answer("500 Internal Server Error", b"boom", "text/plain"),
                               "good"),
    "an_error_echoing_the_token": (answer("500 Internal Server Error", (
        '{"code": 500, "message": "boom %s x"}' % TOKEN).encode()), "good")}


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


def icinga(url, ca, tmp_path):
    password = write(tmp_path / "icinga.password", PASSWORD + "\n", 0o600)
    return IcingaApi(IcingaSettings(url, "tgmon", password, ca, False, HTTP), print)


def alertmanager(url, ca, tmp_path):
    token = write(tmp_path / "am.token", TOKEN + "\n", 0o600)
    return Alertmanager(AlertmanagerSettings(url, ca, token, None, None,
                                             [("maintenance", "maintenance_active")], HTTP),
                        print)


@pytest.mark.parametrize("name, words", ICINGA, ids=[c[0] for c in ICINGA])
def test_icinga_words_every_failure_of_its_api(stand_ins, tmp_path, name, words):
    url, ca = stand_ins.serve(*dict(ANSWERS, **ONLY_ICINGA)[name])
    client = icinga(url, ca, tmp_path)
    with pytest.raises(CoreError) as raised:
        client.hosts({"tg1"})
    assert str(raised.value) == words.format(u=url)


@pytest.mark.parametrize("name, words", ALERTMANAGER, ids=[c[0] for c in ALERTMANAGER])
def test_alertmanager_words_every_failure_of_its_api(stand_ins, tmp_path, name, words):
    url, ca = stand_ins.serve(*dict(ANSWERS, **ONLY_ALERTMANAGER)[name])
    client = alertmanager(url, ca, tmp_path)
    with pytest.raises(CoreError) as raised:
        client.downtimes(Ownership("tgmon", "tgmon: ", {"tg1"}))
    assert str(raised.value) == words.format(u=url)


def test_each_core_is_asked_in_its_own_way(stand_ins, tmp_path):
    """Icinga 2: a query is a POST with a JSON body, overridden to GET, basic auth;
    Alertmanager: a GET with no body, the bearer token. Both: JSON, no compression."""
    url, ca = stand_ins.serve(answer("200 OK", b'{"results": [{"name": "tg1"}]}'), "good")
    assert icinga(url, ca, tmp_path).hosts({"tg1", "tg2"}) == {"tg1"}
    url, ca = stand_ins.serve(answer("200 OK", b"[]"), "good")
    assert alertmanager(url, ca, tmp_path).downtimes(Ownership("tgmon", "tgmon: ", set())) == []
    asked = [server.requests[0].lower().split("\r\n") for server in stand_ins.servers]
    assert asked[0][0] == "post /v1/objects/hosts http/1.1"
    assert {"x-http-method-override: get", "content-type: application/json",
            "accept: application/json", "accept-encoding: identity"} <= set(asked[0])
    assert any(line.startswith("authorization: basic ") for line in asked[0])
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

"""What ``tgmon serve``'s engine answers a parsed request, table by table."""

import pytest

from tgmon.errors import SourceError
from tgmon.server.respond import respond
from tgmon.server.wire import Refuse


class App:
    HEALTH_PATH = "/v1/status"

    def __init__(self, outcome):
        self.outcome = outcome

    def route(self, path):
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return 200, {"path": path}


def request(method="GET", target="/v1/status", body=b"", authorization=None):
    headers = {} if authorization is None else {"authorization": authorization}
    return {"method": method, "target": target, "body": body, "headers": headers}


# (id, request, token, app outcome, status, body or error words, log)
CASES = [
    ("get", request(), None, None, 200, {"path": "/v1/status"}, []),
    ("head", request("HEAD"), None, None, 200, {"path": "/v1/status"}, []),
    ("query_dropped", request(target="/v1/status?x=1"), None, None, 200, {"path": "/v1/status"},
     []),
    ("post", request("POST"), None, None, 405, "method not allowed", []),
    ("body", request(body=b"x"), None, None, 413, "requests carry no body", []),
    ("healthz_needs_no_token", request(target="/healthz"), "s3cret", None, 200,
     {"status": "ok", "state": "readable"}, []),
    ("healthz_unreadable_state", request(target="/healthz"), "s3cret",
     SourceError("status.json is empty", "check the writer"), 503,
     {"status": "unavailable", "state": "unreadable",
      "fix": "GET /v1/status (with the token) names the cause"}, []),
    ("healthz_app_breaks", request(target="/healthz"), None, KeyError("secret detail"), 503,
     {"status": "unavailable", "state": "unreadable",
      "fix": "GET /v1/status (with the token) names the cause"},
     ["internal error in the app: KeyError"]),
    ("token_missing", request(), "s3cret", None, 401, "missing or wrong bearer token", []),
    ("token_wrong", request(authorization="Bearer s3cre"), "s3cret", None, 401,
     "missing or wrong bearer token", []),
    ("token_not_latin1", request(authorization="Bearer s3cr\u20ac"), "s3cret", None, 401,
     "missing or wrong bearer token", []),
    ("token_right", request(authorization="Bearer s3cret"), "s3cret", None, 200,
     {"path": "/v1/status"}, []),
    ("metrics_token_missing", request(target="/metrics"), "s3cret", None, 401,
     "missing or wrong bearer token", []),
    ("metrics_token_right", request(target="/metrics", authorization="bearer s3cret"), "s3cret",
     None, 200, {"path": "/metrics"}, []),
    ("app_refuses", request(), None, SourceError("status.json is empty", "check the writer"),
     503, {"error": "status.json is empty; check the writer"}, []),
    ("app_breaks", request(), None, KeyError("secret detail"), 500,
     {"error": "internal error in the exporter"}, ["internal error in the app: KeyError"]),
]


@pytest.mark.parametrize("name, given, token, outcome, status, expected, logged", CASES,
                         ids=[c[0] for c in CASES])
def test_respond(name, given, token, outcome, status, expected, logged):
    log = []
    try:
        answer = respond(given, App(outcome), token, lambda address, text: log.append(text))
    except Refuse as refusal:
        assert (refusal.status, expected in refusal.message) == (status, True)
    else:
        assert answer == (status, expected, {})
    assert log == logged
    assert "secret detail" not in " ".join(log)


class TextApp(App):
    """An app whose route answers bytes with their own type (as /metrics does)."""

    def route(self, path):
        return 200, b"m 1\n", {"Content-Type": "text/plain; version=0.0.4"}


def test_a_route_that_answers_bytes_names_their_type():
    from tgmon.server.wire import answer_bytes
    answer = respond(request(target="/metrics"), TextApp(None), None, lambda *a: None)
    assert answer == (200, b"m 1\n", {"Content-Type": "text/plain; version=0.0.4"})
    head, _, body = answer_bytes(*answer[:2], True, answer[2]).partition(b"\r\n\r\n")
    assert b"\r\nContent-Type: text/plain; version=0.0.4\r\n" in head
    assert head.count(b"Content-Type") == 1 and body == b"m 1\n"

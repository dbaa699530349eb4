"""A stand-in for Alertmanager's API v2 silences, for the hostile corpus of the sync.

It keeps silences as Alertmanager does (a new one begins no earlier than now,
expiring one ends it now and keeps it as history), on a real socket, with TLS
when asked; it can require a bearer token or basic auth, refuse chosen
silences, carry forged objects in every list, answer another silence than
the one asked for by id (a list whose ids lie), or answer anything at all
through ``answer``. Every request's method, path, head and body are kept.
The real Alertmanager is in tests/e2e.
"""

import base64
import json
import threading
import time
import uuid
from datetime import datetime, timezone

from .fakecores import request_body
from .test_http_client import Server, tls_context


def stamp(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] \
        + "Z"


def seconds(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def silence_matchers(node, check="maintenance", findings="maintenance-active|vnc-disabled"):
    """The matchers of tgmon's silence of ``node``'s ``check`` (by default as a sync with
    its default findings makes it)."""
    return [{"name": "node", "value": node, "isRegex": False, "isEqual": True},
            {"name": "check", "value": check, "isRegex": False, "isEqual": True},
            {"name": "finding", "value": findings, "isRegex": "|" in findings,
             "isEqual": True}]


class FakeAlertmanager:
    def __init__(self, tmp, tls=False, token=None, basic=None, refuse=None, forged=(),
                 swap_ids=False, answer=None):
        self.silences = {}
        self.refuse = refuse or (lambda body: None)    # -> (status, document) or None
        self.forged = list(forged)          # raw objects every list carries too
        self.swap_ids = swap_ids            # GET by id answers another silence
        self.answer = answer                # answer(fake, method, path, body) or None
        self.token, self.basic = token, basic
        self.requests = []                  # (method, path, head, body)
        self.posts_ids = []                 # the ids of the silences made
        self.lock = threading.Lock()
        context, self.ca = tls_context(tmp, "good") if tls else (None, None)
        self.server = Server(self._respond, context)

    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.ca else "http", self.server.port)

    def args(self):
        return ["--alertmanager-url", self.url()] + (
            ["--alertmanager-ca-file", self.ca] if self.ca else [])

    def add(self, node, start, end, author, comment, matchers=None, state=None):
        """A silence there before the run; its id."""
        ident = str(uuid.uuid4())
        self.silences[ident] = {
            "id": ident, "status": {"state": state or self._state(start, end)},
            "updatedAt": stamp(time.time()), "comment": comment, "createdBy": author,
            "startsAt": stamp(start), "endsAt": stamp(end),
            "matchers": matchers if matchers is not None else silence_matchers(node)}
        return ident

    def live(self):
        """{id: silence} of those not expired."""
        return {i: s for i, s in self.silences.items() if s["status"]["state"] != "expired"}

    def windows(self, author="tgmon"):
        """{(node, start, end)} of the live silences by ``author``."""
        return {(next(m["value"] for m in s["matchers"] if m["name"] == "node"),
                 int(seconds(s["startsAt"])), int(seconds(s["endsAt"])))
                for s in self.live().values() if s["createdBy"] == author}

    def posts(self):
        return [body for method, path, _, body in self.requests if method == "POST"]

    def deletes(self):
        return [path.rsplit("/", 1)[1] for method, path, _, _ in self.requests
                if method == "DELETE"]

    def close(self):
        self.server.close()

    # ------------------------------------------------------------ the API's side
    @staticmethod
    def _state(start, end, now=None):
        now = time.time() if now is None else now
        return "expired" if end <= now else "active" if start <= now else "pending"

    def _respond(self, conn, request, srv):
        method, path = request.split(b" ", 2)[:2]
        method, path = method.decode(), path.decode()
        raw = request_body(conn, request)
        body = json.loads(raw) if raw.strip() else None
        head = request.partition(b"\r\n\r\n")[0].decode("latin-1")
        with self.lock:
            self.requests.append((method, path, head, body))
            if not self._authorized(head):
                status, document = 401, "Unauthorized"
            else:
                status, document = (self.answer and self.answer(self, method, path, body)) \
                    or self._route(method, path, body)
        payload = b"" if document is None else json.dumps(document).encode()
        conn.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d"
                     b"\r\nConnection: close\r\n\r\n%s" % (status, len(payload), payload))

    def _authorized(self, head):
        fields = [line.partition(":") for line in head.split("\r\n")[1:]]
        given = [value.strip() for name, _, value in fields
                 if name.strip().lower() == "authorization"]
        if self.token is not None:
            return given == ["Bearer " + self.token]
        if self.basic is not None:
            return given == ["Basic " + base64.b64encode(
                ("%s:%s" % self.basic).encode("utf-8")).decode()]
        return True

    def _route(self, method, path, body):
        if (method, path) == ("GET", "/api/v2/silences"):
            for silence in self.silences.values():
                if silence["status"]["state"] != "expired":
                    silence["status"]["state"] = self._state(seconds(silence["startsAt"]),
                                                             seconds(silence["endsAt"]))
            return 200, list(self.silences.values()) + self.forged
        if (method, path) == ("POST", "/api/v2/silences"):
            refused = self.refuse(body)
            if refused:
                return refused
            now = time.time()
            start = max(seconds(body["startsAt"]), now)
            ident = self.add(None, start, seconds(body["endsAt"]), body["createdBy"],
                             body["comment"], matchers=body["matchers"])
            self.posts_ids.append(ident)
            return 200, {"silenceID": ident}
        if path.startswith("/api/v2/silence/"):
            ident = path.rsplit("/", 1)[1]
            if ident not in self.silences:
                return 500 if method == "DELETE" else 404, "silence not found"
            if method == "GET":
                if self.swap_ids:
                    others = [s for i, s in self.silences.items() if i != ident]
                    return 200, others[0] if others else self.silences[ident]
                return 200, self.silences[ident]
            if method == "DELETE":
                silence = self.silences[ident]
                if silence["status"]["state"] != "expired":
                    silence["endsAt"] = stamp(time.time())
                    silence["status"]["state"] = "expired"
                return 200, None
        return 404, "page not found"

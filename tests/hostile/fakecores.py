"""Stand-ins for the monitoring cores, for the hostile corpus of what writes into them.

FakeNagios: a real FIFO read the way Nagios reads its command file (the raw
bytes of every line are kept), and a status.dat rewritten after each command,
applied with Nagios' own field splitting - so a field that shifts shows; it
can write status.dat in another encoding, or ignore the commands for objects
a reload removed. The tests assert with ``sound_commands`` that every line is
one a faithful encoder writes for the objects that exist. FakeIcinga: Icinga
2's API on a real TLS socket that keeps every action's body; it can ignore
its filters (answer everything), refuse chosen downtimes, check the password
(HTTP basic auth, UTF-8) or answer anything at all through ``answer``, as a
hostile or broken API would. The real cores are in tests/e2e.
"""

import base64
import json
import os
import re
import select
import threading
import uuid

from .test_http_client import Server, tls_context

SCHEDULE = re.compile(r"^\[\d+\] SCHEDULE_(HOST|SVC)_DOWNTIME;(.*)$", re.S)
DELETE = re.compile(r"^\[\d+\] DEL_(HOST|SVC)_DOWNTIME;(\d+)$")


class FakeNagios:
    def __init__(self, tmp, hosts, services=(), command="tgmon_maintenance", encoding="utf-8",
                 removed=(), extra="", newline="\n"):
        self.dir = tmp / "nagios"
        self.dir.mkdir()
        self.command_file = str(self.dir / "nagios.cmd")
        self.status_file = str(self.dir / "status.dat")
        os.mkfifo(self.command_file, 0o660)
        self.hosts = list(hosts)
        self.services = dict.fromkeys(services, command)
        self.encoding = encoding          # of status.dat, as the Nagios configuration's
        self.removed = set(removed)       # (host, service) gone with a reload: ignored
        self.extra, self.newline = extra, newline     # what status.dat holds besides
        self.downtimes = {}
        self.next_id = 1
        self.received = []
        self.lock = threading.Lock()
        self.write_status()
        self.rfd = os.open(self.command_file, os.O_RDONLY | os.O_NONBLOCK)
        # Nagios keeps a writer open too: the reader never sees end-of-file
        self.wfd = os.open(self.command_file, os.O_WRONLY | os.O_NONBLOCK)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def args(self):
        return ["--nagios-command-file", self.command_file, "--nagios-status-file",
                self.status_file]

    def add(self, host, service, start, end, author, comment):
        """A downtime that exists before the run (an operator's, an old one of tgmon's)."""
        with self.lock:
            self._add(host, service, start, end, author, comment)
            self.write_status()

    def ours(self, author="tgmon"):
        return {(d["host"], d["service"], d["start"], d["end"])
                      for d in self.downtimes.values() if d["author"] == author}

    def close(self):
        self.stopped.set()
        self.thread.join(5)
        for fd in (self.rfd, self.wfd):
            try:
                os.close(fd)
            except OSError:
                pass

    # ------------------------------------------------------------ Nagios' side
    def _loop(self):
        pending = b""
        while not self.stopped.is_set():
            ready, _, _ = select.select([self.rfd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.rfd, 65536)
            except BlockingIOError:
                continue
            pending += chunk
            *lines, pending = pending.split(b"\n")
            with self.lock:
                for line in lines:
                    self.received.append(line)
                    self._apply(line.decode("utf-8", "replace"))
                self.write_status()

    def _apply(self, line):
        match = SCHEDULE.match(line)
        if match:
            service = match.group(1) == "SVC"
            fields = match.group(2).split(";", 8 if service else 7)   # as Nagios splits
            if len(fields) < (9 if service else 8):
                return
            host, rest = fields[0], fields[1:]
            name = rest.pop(0) if service else None
            if host not in self.hosts or (service and (host, name) not in self.services) \
                    or (host, name) in self.removed:
                return                           # Nagios: unknown object, logged, ignored
            start, end, _fixed, _trigger, _duration, author, comment = rest
            self._add(host, name, int(start), int(end), author, comment)
            return
        match = DELETE.match(line)
        if match:
            self.downtimes.pop(int(match.group(2)), None)

    def _add(self, host, service, start, end, author, comment):
        self.downtimes[self.next_id] = dict(host=host, service=service, start=start, end=end,
                                            author=author, comment=comment)
        self.next_id += 1

    def write_status(self):
        blocks = ["info {\n\tversion=4.4.6\n\t}\n"]
        blocks += ["hoststatus {\n\thost_name=%s\n\tcurrent_state=0\n\t}\n" % h
                   for h in self.hosts]
        blocks += ["servicestatus {\n\thost_name=%s\n\tservice_description=%s\n\t"
                   "check_command=%s!x\n\t}\n" % (h, s, c)
                   for (h, s), c in self.services.items()]
        for number, d in self.downtimes.items():
            kind = "servicedowntime" if d["service"] else "hostdowntime"
            blocks.append("%s {\n\thost_name=%s\n%s\tdowntime_id=%d\n\tstart_time=%d\n\t"
                          "end_time=%d\n\tfixed=1\n\tauthor=%s\n\tcomment=%s\n\t}\n" % (
                              kind, d["host"], "\tservice_description=%s\n" % d["service"]
                              if d["service"] else "", number, d["start"], d["end"],
                              d["author"], d["comment"]))
        temp = self.status_file + ".tmp"
        with open(temp, "w", encoding=self.encoding, newline=self.newline) as handle:
            handle.write("".join(blocks) + self.extra)
        os.replace(temp, self.status_file)


def sound_commands(nagios, author="tgmon"):
    """Every line the pipe received is one command a faithful encoder writes: known
    objects, integer fields, a positive duration, tgmon's author, a comment without
    ';' or controls; a deletion names a downtime that existed. Returns the lines."""
    lines = [raw.decode("utf-8") for raw in nagios.received]
    for line in lines:
        assert line.isprintable(), line
        match = SCHEDULE.match(line)
        if match:
            service = match.group(1) == "SVC"
            fields = match.group(2).split(";")
            assert len(fields) == (9 if service else 8), line      # nothing shifted
            host = fields[0]
            assert host in nagios.hosts, line
            if service:
                assert (host, fields[1]) in nagios.services, line
            start, end, fixed, trigger, duration, who, comment = fields[1 + service:]
            assert (fixed, trigger, who) == ("1", "0", author), line
            assert int(end) > int(start) and int(duration) == int(end) - int(start), line
            assert comment.startswith("tgmon: "), line
            continue
        assert DELETE.match(line), line
    return lines


def request_body(conn, request):
    """The body of an HTTP request whose head (and maybe more) is ``request``: the sync
    POSTs its questions, and a server that closes with the body unread makes the
    kernel reset the connection."""
    head, _, rest = request.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return rest


class FakeIcinga:
    """Icinga 2's API: hosts, services (host, name, command), downtimes as the API
    holds them. ``honest`` False: every query answers every object, whatever its
    filter. ``refuse(body)`` True: that schedule-downtime is answered with an error."""

    def __init__(self, tmp, hosts, services=(), honest=True, refuse=None,
                 refusal="Invalid downtime", forged=(), vanish=False, answer=None,
                 user="tgmon", password=None):
        self.hosts = list(hosts)
        self.services = [dict(host_name=h, name=s, check_command=c) for h, s, c in services]
        self.downtimes = {}
        self.honest = honest
        self.refuse = refuse or (lambda body: False)
        self.refusal = refusal
        self.forged = list(forged)      # raw objects every downtimes answer carries too
        self.vanish = vanish            # every removal finds nothing (HTTP 404)
        # answer(api, path, body): (status, document) instead of the API's, or None
        self.answer = answer
        self.user, self.password = user, password     # checked when a password is given
        self.actions = []
        self.lock = threading.Lock()
        context, self.ca = tls_context(tmp, "good")
        self.server = Server(self._respond, context)

    def args(self, password_file):
        return ["--icinga-url", "https://127.0.0.1:%d" % self.server.port, "--icinga-user",
                self.user, "--icinga-password-file", str(password_file), "--icinga-ca-file",
                self.ca]

    def add(self, host, service, start, end, author, comment, name=None):
        name = name or "%s!%s" % (host + ("!" + service if service else ""), uuid.uuid4())
        self.downtimes[name] = dict(host_name=host, service_name=service or "",
                                    start_time=float(start), end_time=float(end),
                                    author=author, comment=comment, name=name.split("!")[-1])
        return name

    def ours(self, author="tgmon"):
        return {(d["host_name"], d["service_name"] or None, int(d["start_time"]),
                       int(d["end_time"])) for d in self.downtimes.values()
                      if d["author"] == author}

    def close(self):
        self.server.close()

    # ------------------------------------------------------------ the API's side
    def _respond(self, conn, request, srv):
        path = request.split(b" ", 2)[1].decode()
        body = json.loads(request_body(conn, request) or b"{}")
        with self.lock:
            if self.password is not None and not self._authorized(request):
                status, document = 401, {"error": 401, "status": "Unauthorized"}
            else:
                status, document = (self.answer and self.answer(self, path, body)) \
                    or self._route(path, body)
        payload = json.dumps(document).encode()
        conn.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d"
                     b"\r\nConnection: close\r\n\r\n%s" % (status, len(payload), payload))

    def _authorized(self, request):
        expected = b"Basic " + base64.b64encode(
            ("%s:%s" % (self.user, self.password)).encode("utf-8"))
        head = request.partition(b"\r\n\r\n")[0].split(b"\r\n")
        return any(name.strip().lower() == b"authorization" and value.strip() == expected
                   for name, _, value in (line.partition(b":") for line in head))

    def _route(self, path, body):
        variables = body.get("filter_vars") or {}
        if path == "/v1/objects/hosts":      # "host.name in names" or "host.name == h"
            asked = variables.get("names") or [variables.get("h")]
            names = self.hosts if not self.honest else [h for h in self.hosts if h in asked]
            return 200, {"results": [{"name": h, "type": "Host", "attrs": {"name": h}}
                                     for h in names]}
        if path == "/v1/objects/services":
            found = [s for s in self.services if not self.honest or (
                s["host_name"] in variables.get("hosts", ())
                and s["check_command"] in variables.get("cmds", ())) or (
                (s["host_name"], s["name"]) == (variables.get("h"), variables.get("s")))]
            return 200, {"results": [{"name": "%s!%s" % (s["host_name"], s["name"]),
                                      "attrs": s} for s in found]}
        if path == "/v1/objects/downtimes":
            found = [(n, d) for n, d in self.downtimes.items() if not self.honest or (
                d["author"] == variables.get("author")
                and d["host_name"] in variables.get("hosts", ()))]
            return 200, {"results": [{"name": n, "type": "Downtime", "attrs": d}
                                     for n, d in found] + self.forged}
        self.actions.append((path, body))
        if path == "/v1/actions/schedule-downtime":
            if self.refuse(body):
                return 500, {"results": [{"code": 400, "status": self.refusal}]}
            service = variables.get("s")
            self.add(variables["h"], service, body["start_time"], body["end_time"],
                     body["author"], body["comment"])
            return 200, {"results": [{"code": 200, "status": "Successfully scheduled"}]}
        if path == "/v1/actions/remove-downtime":
            prefix = variables.get("p", "")[:-1]
            target = self.downtimes.get(variables.get("n"))
            if (self.vanish or target is None or target["author"] != variables.get("a")
                    or target["host_name"] != variables.get("h")
                    or not target["comment"].startswith(prefix)):
                return 404, {"error": 404, "status": "No objects found."}
            del self.downtimes[variables["n"]]
            return 200, {"results": [{"code": 200, "status": "Successfully removed"}]}
        return 404, {"error": 404, "status": "no such endpoint"}

"""Debian's Prometheus, node_exporter and Alertmanager, for the end-to-end tests.

Each is started by the test as the invoking user, on 127.0.0.1 and a free
port, with its own data dir in the test's WorkDir, and stopped by its PID;
its console goes to a file the failure messages quote. Alertmanager runs
without clustering (``--cluster.listen-address=``), so it needs no peers and
opens no second port.
"""

import base64
import json
import os
import ssl
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest

from .cores import free_port, need, stop, wait_for

# no proxy from the environment: every daemon is on 127.0.0.1
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
ALERTMANAGER_CONFIG = """route:
  receiver: "null"
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: "null"
"""


class Daemon:
    """A daemon of the stack: started with ``args``, ready when ``ready_path`` is 200;
    with ``web`` (a WebConfig) behind TLS and basic auth."""

    ready_path = "/-/ready"

    def __init__(self, work, name, binary, args, web=None):
        self.port = free_port()
        self.web = web
        self.base = "%s://127.0.0.1:%d" % ("https" if web else "http", self.port)
        self.console_path = os.path.join(work.sub("console"), name + ".log")
        self.name = name
        with open(self.console_path, "wb") as console:
            self.process = subprocess.Popen([binary] + [a % {"port": self.port} for a in args],
                                            stdin=subprocess.DEVNULL, stdout=console,
                                            stderr=subprocess.STDOUT)
        wait_for(self._ready, 60, "%s answering on %s" % (name, self.base))

    def _ready(self):
        if self.process.poll() is not None:
            pytest.fail("%s stopped (exit %s): %s" % (self.name, self.process.returncode,
                                                      self.console()[-3000:]))
        try:
            return self.request("GET", self.ready_path, raw=True)[0] == 200
        except OSError:
            return False

    def console(self):
        with open(self.console_path, errors="replace") as handle:
            return handle.read()

    def request(self, method, path, body=None, raw=False, query=None):
        """(HTTP status, the JSON answer, or its bytes with raw)."""
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data else {}
        if self.web:
            headers["Authorization"] = "Basic " + base64.b64encode(
                ("%s:%s" % (self.web.user, self.web.password)).encode()).decode()
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        opener = _OPENER if not self.web else urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(
                context=ssl.create_default_context(cafile=self.web.ca)))
        try:
            with opener.open(request, timeout=10) as answer:
                status, payload = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, exc.read()
        if raw:
            return status, payload
        return status, json.loads(payload) if payload.strip() else None

    def get(self, path, **query):
        status, document = self.request("GET", path, query=query or None)
        assert status == 200, (path, status, document)
        return document

    def stop(self):
        return stop(self.process)


class WebConfig:
    """TLS (a certificate for 127.0.0.1 from a CA made here) and one basic-auth user,
    as the exporter-toolkit's --web.config.file takes them (a bcrypt hash, htpasswd's)."""

    def __init__(self, work, user, password):
        from remote.servers import make_certificate
        directory = work.sub("web")
        self.ca, ca_key = os.path.join(directory, "ca.pem"), os.path.join(directory, "ca.key")
        make_certificate(self.ca, ca_key, "tgmon e2e web CA", valid_days=(-1, 2))
        cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1", issuer=(self.ca, ca_key))
        self.user, self.password = user, password
        hashed = subprocess.run([need("htpasswd", "apache2-utils"), "-nbBC", "10", user,
                                 password], capture_output=True, text=True, check=True,
                                timeout=60).stdout.strip().split(":", 1)[1]
        self.path = work.write("web/web.yml", "tls_server_config:\n  cert_file: %s\n"
                               "  key_file: %s\nbasic_auth_users:\n  %s: '%s'\n"
                               % (cert, key, user, hashed))


class Alertmanager(Daemon):
    def __init__(self, work, web=None):
        config = work.write("alertmanager/alertmanager.yml", ALERTMANAGER_CONFIG)
        super().__init__(work, "alertmanager", need("prometheus-alertmanager",
                                                     "prometheus-alertmanager"), [
            "--config.file=" + config,
            "--storage.path=" + work.sub("alertmanager", "data"),
            "--web.listen-address=127.0.0.1:%(port)d",
            "--cluster.listen-address=",
        ] + (["--web.config.file=" + web.path] if web else []), web)

    def silences(self):
        """{id: silence} of those not expired."""
        return {s["id"]: s for s in self.get("/api/v2/silences")
                if s["status"]["state"] != "expired"}

    def silence(self, matchers, start, end, author, comment):
        status, answer = self.request("POST", "/api/v2/silences", {
            "matchers": [{"name": n, "value": v, "isRegex": False, "isEqual": True}
                         for n, v in matchers.items()],
            "startsAt": start, "endsAt": end, "createdBy": author, "comment": comment})
        assert status == 200, answer
        return answer["silenceID"]

    def alerts(self, **labels):
        """The alerts it holds whose labels include ``labels``."""
        return [a for a in self.get("/api/v2/alerts")
                if all(a["labels"].get(k) == v for k, v in labels.items())]


class NodeExporter(Daemon):
    ready_path = "/metrics"

    def __init__(self, work, textfile_dir):
        super().__init__(work, "node_exporter", need("prometheus-node-exporter",
                                                     "prometheus-node-exporter"), [
            "--web.listen-address=127.0.0.1:%(port)d",
            "--collector.disable-defaults", "--collector.textfile",
            "--collector.textfile.directory=" + textfile_dir,
        ])


class Prometheus(Daemon):
    def __init__(self, work, config_text):
        config = work.write("prometheus/prometheus.yml", config_text)
        self.promtool = need("promtool", "prometheus")
        checked = subprocess.run([self.promtool, "check", "config", config],
                                 capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        super().__init__(work, "prometheus", need("prometheus", "prometheus"), [
            "--config.file=" + config,
            "--storage.tsdb.path=" + work.sub("prometheus", "data"),
            "--web.listen-address=127.0.0.1:%(port)d",
        ])

    def query(self, expression):
        """The instant vector of ``expression``: [(labels, value as float)]."""
        answer = self.get("/api/v1/query", query=expression)
        assert answer["status"] == "success", answer
        return [(r["metric"], float(r["value"][1])) for r in answer["data"]["result"]]

    def targets(self):
        return self.get("/api/v1/targets")["data"]["activeTargets"]

    def alerts(self):
        return self.get("/api/v1/alerts")["data"]["alerts"]

"""A stand-in for Icinga 2's API taking passive results (for make bench): HTTPS with
keep-alive, /v1/objects/services answers 7 tgmon services per host asked for,
/v1/actions/process-check-result counts what it takes; GET /count says how many.
Prints its port, then its CA file's path."""

import json
import os
import ssl
import sys
import tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests"))
from remote.servers import make_certificate  # noqa: E402

CHECKS = ("versions", "update_lock", "hotfixes", "reboot_required", "maintenance",
          "update_schedule", "reachable")


def main():
    workdir = tempfile.mkdtemp(prefix="tgmon-bench-icinga-")
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1")
    taken = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def answer(self, document):
            data = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.answer({"count": taken[0]})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path == "/v1/objects/services":
                hosts = body["filter_vars"]["hosts"]
                self.answer({"results": [
                    {"name": "%s!tightgate-%s" % (h, c), "attrs": {
                        "host_name": h, "name": "tightgate-" + c, "check_command": "tgmon_" + c,
                        # as the apply rules and the template tgmon-pushed make them
                        "enable_passive_checks": True,
                        "vars": {"tgmon_pushed": True, "tgmon_role": "cluster-node",
                                 "tgmon_%s_runbook_url" % c: "http://localhost/tgmon-docs"}}}
                    for h in hosts for c in CHECKS]})
            else:
                taken[0] += 1
                self.answer({"results": [{"code": 200, "status": "Successfully processed"}]})

        def log_message(self, *a):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    print(cert, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

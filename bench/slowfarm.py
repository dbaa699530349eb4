"""A farm of simulated exporters in one process: GET /<n>/v1/status answers
after --delay seconds with a fresh healthy cluster-node state (for make bench)."""

import argparse
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tgmon.state import examples  # noqa: E402
from tgmon.state.layout import remote_document  # noqa: E402
from tgmon.timeutil import utcnow  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    state = examples.build("healthy-cluster-node", utcnow().astimezone(examples.CET))
    bodies = {}

    def body(index):
        if index not in bodies:
            node = state.node._replace(name="n%d" % index)
            # no scheduled update, so no overlap counts against the maximum
            schedule = state.schedule._replace(update=state.schedule.update._replace(
                active=False))
            bodies[index] = json.dumps(remote_document(
                state._replace(node=node, schedule=schedule))).encode()
        return bodies[index]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True   # as tgmon serve: no delayed-ACK stalls

        def do_GET(self):
            time.sleep(args.delay)
            index = int(self.path.split("/")[1])
            data = body(index)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024

    server = Server(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

"""``tgmon serve``: a read-only HTTP(S) exporter of one state dir.

    GET /v1/status   status.json as written plus a ``flags`` object from the markers
    GET /healthz     200 "ok" while the process runs

127.0.0.1 by default; optional bearer token (read from a file, compared in
constant time) and TLS. Threaded, bounded requests (no bodies, few headers,
short socket timeouts), one log line per request, clean stop on SIGTERM.
No part of a URL ever becomes a file path: routes are a fixed table.
"""

import hmac
import json
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import __version__
from .errors import TgmonError

MAX_HEADERS = 32
MAX_REQUEST_LINE = 2048
SOCKET_TIMEOUT = 10


class Handler(BaseHTTPRequestHandler):
    server_version = "tgmon/%s" % __version__
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT
    # headers and body go out in two writes; without TCP_NODELAY the client's
    # delayed ACK holds every keep-alive answer back by ~40 ms
    disable_nagle_algorithm = True

    def parse_request(self):
        if len(self.raw_requestline) > MAX_REQUEST_LINE:
            self.send_error(414)
            return False
        return super().parse_request()   # > MAX_HEADERS headers: 431 (see serve())

    def do_GET(self):
        self._respond(head=False)

    def do_HEAD(self):
        self._respond(head=True)

    def _not_allowed(self):
        self._send(405, {"error": "method not allowed; only GET and HEAD"},
                   extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _respond(self, head):
        self.started = time.monotonic()
        if self.headers.get("Content-Length", "0") not in ("", "0") or \
                self.headers.get("Transfer-Encoding"):
            self._send(413, {"error": "requests carry no body"})
            return
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            self._send(200, {"status": "ok"}, head=head, auth=False)
            return
        if not self._authorized():
            self._send(401, {"error": "missing or wrong bearer token"},
                       extra={"WWW-Authenticate": 'Bearer realm="tgmon"'})
            return
        try:
            status, body = self.server.app.route(path)
        except TgmonError as exc:
            status, body = 503, {"error": str(exc)}
        except Exception as exc:  # never a traceback to the client; one log line
            self.log_message("internal error: %s: %s", type(exc).__name__, exc)
            status, body = 500, {"error": "internal error in the exporter"}
        self._send(status, body, head=head)

    def _authorized(self):
        token = self.server.token
        if token is None:
            return True
        given = self.headers.get("Authorization", "")
        expected = "Bearer " + token
        return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))

    def _send(self, status, body, head=False, extra=None, auth=True):
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") + b"\n"
        self._bytes = len(data)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def log_request(self, code="-", size="-"):
        elapsed = (time.monotonic() - getattr(self, "started", time.monotonic())) * 1000
        self.log_message('"%s" %s %s %.1fms', self.requestline.replace('"', "'")[:200],
                         code, getattr(self, "_bytes", "-"), elapsed)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"),
                                         self.address_string(), fmt % args))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, app, token=None, tls=None):
        import http.client
        http.client._MAXHEADERS = MAX_HEADERS   # the stdlib parser's limit (answers 431)
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, Handler)
        self.app = app
        self.token = token
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)

    def get_request(self):
        sock, address = super().get_request()
        sock.settimeout(SOCKET_TIMEOUT)
        return sock, address


class StateDirApp:
    """Routes of the exporter of one state dir."""

    def __init__(self, state_dir):
        self.state_dir = state_dir

    def route(self, path):
        if path != "/v1/status":
            return 404, {"error": "not found; the state is at /v1/status"}
        from .schema import check_schema_tag
        from .sources.statedir import read_document
        from .stateformat import paths_for, served_document
        document, flags = read_document(paths_for(self.state_dir))
        try:
            check_schema_tag(document)
        except ValueError as exc:
            return 503, {"error": "status.json: %s" % exc}
        return 200, served_document(document, flags)


DEFAULT_PORT = 9740


def add_serve_arguments(parser, default_port=DEFAULT_PORT):
    """The listening options of ``tgmon serve`` and ``tgmon-sim serve``."""
    parser.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                        help="address to listen on (default: 127.0.0.1; 0.0.0.0 for all)")
    parser.add_argument("--port", type=int, default=default_port,
                        help="TCP port (default: %d)" % default_port)
    parser.add_argument("--token-file", metavar="FILE",
                        help="require 'Authorization: Bearer <token>' with the token in FILE")
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate")
    parser.add_argument("--tls-key", metavar="FILE", help="the certificate's private key")


def serve_from_arguments(app, args, ready=None):
    """``serve`` with the options ``add_serve_arguments`` added."""
    return serve(app, args.bind, args.port, args.token_file, args.tls_cert, args.tls_key,
                 ready=ready)


def tls_context(cert, key):
    if not cert and not key:
        return None
    if not (cert and key):
        raise TgmonError("TLS needs both --tls-cert and --tls-key", "give both files")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise TgmonError("cannot load the TLS certificate/key: %s" % exc,
                         "check --tls-cert and --tls-key") from None
    return context


def read_server_token(path):
    if path is None:
        return None
    from .sources.http import read_token
    return read_token(path)


def serve(app, bind, port, token_file=None, tls_cert=None, tls_key=None, ready=None):
    """Run until SIGTERM/SIGINT; returns the exit code."""
    server = Server((bind, port), app, read_server_token(token_file),
                    tls_context(tls_cert, tls_key))
    stop = threading.Event()

    def _stop(signum, frame):
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    host, real_port = server.server_address[:2]
    scheme = "https" if tls_cert else "http"
    sys.stderr.write("tgmon serve: listening on %s://%s:%d (token %s)\n"
                     % (scheme, host if ":" not in host else "[%s]" % host, real_port,
                        "required" if server.token else "off"))
    sys.stderr.flush()
    if ready:
        ready(real_port)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    sys.stderr.write("tgmon serve: stopped\n")
    return 0

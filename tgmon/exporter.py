"""``tgmon serve``: a read-only HTTP(S) exporter of one state dir.

    GET /v1/status   status.json as written plus a ``flags`` object from the markers
    GET /healthz     200 "ok" while the process runs

127.0.0.1 by default; optional bearer token (read from a file, compared in
constant time) and TLS. The serving engine (``httpserver.BoundedServer``)
keeps answering under abuse: idle connections cost no thread, TLS handshakes
run in a bounded worker pool under a timeout, connections are capped. One
log line per request, clean stop on SIGTERM. No part of a URL ever becomes a
file path: routes are a fixed table.
"""

import signal
import ssl
import sys
import threading

from .errors import TgmonError

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
    from .httpserver import DEFAULT_MAX_CONNECTIONS, DEFAULT_WORKERS
    parser.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                        help="address to listen on (default: 127.0.0.1; 0.0.0.0 for all)")
    parser.add_argument("--port", type=_port, default=default_port,
                        help="TCP port (default: %d; 0 picks a free one)" % default_port)
    parser.add_argument("--token-file", metavar="FILE",
                        help="require 'Authorization: Bearer <token>' with the token in FILE")
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate")
    parser.add_argument("--tls-key", metavar="FILE", help="the certificate's private key")
    parser.add_argument("--workers", type=_bounded_int(1, 1024), default=DEFAULT_WORKERS,
                        metavar="N", help="requests served at once (default: %d)"
                        % DEFAULT_WORKERS)
    parser.add_argument("--max-connections", type=_bounded_int(1, 100000),
                        default=DEFAULT_MAX_CONNECTIONS, metavar="N",
                        help="open connections at most, idle ones included; more are closed "
                             "(default: %d)" % DEFAULT_MAX_CONNECTIONS)


def _port(text):
    return _bounded_int(0, 65535)(text)


def _bounded_int(low, high):
    def convert(text):
        import argparse
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError("the value is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError("the value must be %d to %d" % (low, high))
        return value
    return convert


def serve_from_arguments(app, args, ready=None, name="tgmon serve"):
    """``serve`` with the options ``add_serve_arguments`` added."""
    return serve(app, args.bind, args.port, args.token_file, args.tls_cert, args.tls_key,
                 ready=ready, workers=args.workers, max_connections=args.max_connections,
                 name=name)


def tls_context(cert, key):
    if not cert and not key:
        return None
    if not (cert and key):
        raise TgmonError("TLS needs both --tls-cert and --tls-key", "give both files")
    from .safefile import FileProblem, check_regular
    for option, path in (("--tls-cert", cert), ("--tls-key", key)):
        try:
            check_regular(path)
        except FileProblem as exc:
            raise TgmonError("%s %s %s" % (option, path, exc.words), "check the file") from None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise TgmonError("cannot load the TLS certificate/key: %s"
                         % (getattr(exc, "reason", None) or getattr(exc, "strerror", None)
                            or type(exc).__name__),
                         "check --tls-cert and --tls-key") from None
    return context


def read_server_token(path):
    if path is None:
        return None
    from .tokenfile import read_token
    return read_token(path)


def serve(app, bind, port, token_file=None, tls_cert=None, tls_key=None, ready=None,
          workers=None, max_connections=None, name="tgmon serve"):
    """Run until SIGTERM/SIGINT; returns the exit code."""
    from .httpserver import (DEFAULT_MAX_CONNECTIONS, DEFAULT_WORKERS, BoundedServer,
                             fits_file_limit)
    server = BoundedServer((bind, port), app, read_server_token(token_file),
                           tls_context(tls_cert, tls_key), workers or DEFAULT_WORKERS,
                           fits_file_limit(max_connections or DEFAULT_MAX_CONNECTIONS))
    stop = threading.Event()

    def _stop(signum, frame):
        if not stop.is_set():
            stop.set()
            server.shutdown()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    host, real_port = server.server_address[:2]
    scheme = "https" if tls_cert else "http"
    sys.stderr.write("%s: listening on %s://%s:%d (token %s)\n"
                     % (name, scheme, host if ":" not in host else "[%s]" % host, real_port,
                        "required" if server.token else "off"))
    sys.stderr.flush()
    if ready:
        ready(real_port)
    server.serve_forever()
    sys.stderr.write("%s: stopped\n" % name)
    return 0

"""``tgmon serve``: a read-only HTTP(S) exporter of one state dir.

    GET /v1/status   status.json as written plus a ``flags`` object from the markers
    GET /metrics     the state's facts and the checks' verdicts in the Prometheus
                     text format (``tgmon.metrics``); a state that cannot be read
                     is ``tgmon_up 0`` with its cause, not an error
    GET /healthz     200 "ok" while /v1/status would be served; 503 "unavailable"
                     while the state cannot be read (no token needed, no cause said)

127.0.0.1 by default; optional bearer token (read from a file, compared in
constant time) and TLS. The serving engine (``httpserver.BoundedServer``)
keeps answering under abuse: idle connections cost no thread, TLS handshakes
run in a bounded worker pool under a timeout, answers are written without
waiting for the client, connections are capped. One log line per request
(a log nobody reads is never waited for), a stop within a second on SIGTERM,
SIGHUP re-reads the token file and the TLS certificate (``tlsfiles``: bounded,
never a passphrase prompt). No part of a URL ever
becomes a file path: routes are a fixed table.
"""

import signal

from .tlsfiles import tls_context


class StateDirApp:
    """Routes of the exporter of one state dir.

    An answer is kept while none of the files it was made from has changed
    (identity, size, times), so that a burst of clients costs one read, not
    one each. Only files that were last changed ``SETTLED_SECONDS`` ago count
    as unchanged: a file's times tick coarsely, and a rewrite within one tick
    must not go unseen.
    """

    HEALTH_PATH = "/v1/status"     # a settled state's answer is kept: a probe costs a stat
    # /metrics: a read that hangs (a dead mount) is tgmon_up 0 with its cause well
    # within Prometheus' default scrape timeout (10 s), not a worker lost per scrape
    READ_SECONDS = 5

    def __init__(self, state_dir):
        import threading
        self.state_dir = state_dir
        self._kept = {}     # route: (the files' identities, what was made of them)
        self._metrics_read = threading.Lock()     # held by the one /metrics read under way

    def route(self, path):
        if path == "/metrics":
            return self.metrics()
        if path != "/v1/status":
            return 404, {"error": "not found; the state is at /v1/status, its metrics at "
                                  "/metrics"}
        from .wire import json_body
        from ..state.schema import check_schema_tag
        from ..state.layout import served_document

        def encoded(document, flags):
            check_schema_tag(document)
            return json_body(served_document(document, flags))
        try:
            return 200, self._read("status", encoded)
        except ValueError as exc:
            return 503, {"error": "status.json: %s" % exc}

    def metrics(self):
        """GET /metrics: the state's facts and the checks' verdicts (tgmon.metrics), judged
        now; a state that cannot be read is ``tgmon_up 0`` and its cause, never an error."""
        from ..metrics import collect
        from ..metrics.exposition import CONTENT_TYPE
        from ..sources.decode import state_of
        from ..state.layout import paths_for
        from ..timeutil import utcnow
        where = paths_for(self.state_dir).status
        view = collect.view_of(lambda: self._one_read_within(lambda: self._read(
            "metrics", lambda document, flags: state_of(document, where, self.state_dir,
                                                        flags))), utcnow(), self.state_dir)
        return 200, collect.metrics_text(view).encode("utf-8"), {"Content-Type": CONTENT_TYPE}

    def _one_read_within(self, read):
        """``read()`` within READ_SECONDS, one at a time: while a read hangs, the next
        requests wait their turn and give up with the same cause; none starts another
        thread that would hang too."""
        import time
        from ..metrics import collect
        deadline = time.monotonic() + self.READ_SECONDS
        if not self._metrics_read.acquire(timeout=self.READ_SECONDS):
            raise collect.overdue(self.state_dir, self.READ_SECONDS)

        started = []

        def locked():
            started.append(True)
            try:
                return read()
            finally:
                self._metrics_read.release()
        try:
            return collect.within(locked, self.READ_SECONDS, self.state_dir, deadline)
        except RuntimeError:
            if not started:     # no thread to be had: the lock is no read's, free it
                self._metrics_read.release()
            raise

    def _read(self, route, make):
        """``make(document, flags)`` of the state as read now (one read of its files); kept
        for ``route`` while the files are settled and unchanged, so that a burst of clients
        costs one read and one decoding, not one each."""
        from ..sources.statedir import read_document
        from ..state.layout import paths_for
        paths = paths_for(self.state_dir)
        before = _identities(paths)
        kept_for, kept = self._kept.get(route, (None, None))
        if before is not None and before == kept_for:
            return kept
        made = make(*read_document(paths))
        if before is not None and _settled(before) and _identities(paths) == before:
            self._kept[route] = (before, made)
        return made


SETTLED_SECONDS = 2


def _identities(paths):
    """What identifies the state files as they are now; None when one cannot be told."""
    import os
    names = list(paths) + [paths.reboot_required + ".pkgs"]   # Debian's package list
    found = []
    for name in names:
        try:
            info = os.stat(name)
        except FileNotFoundError:
            found.append(None)
            continue
        except (OSError, ValueError):
            return None
        found.append((info.st_dev, info.st_ino, info.st_mode, info.st_size,
                      info.st_mtime_ns, info.st_ctime_ns))
    return tuple(found)


def _settled(identities):
    import time
    recent = time.time_ns() - SETTLED_SECONDS * 10 ** 9
    return all(info is None or max(info[4], info[5]) < recent for info in identities)


DEFAULT_PORT = 9740
STOP_LOG_SECONDS = 0.5       # at exit, the log gets this long to take its last lines


ENDPOINTS_HELP = ("GET /v1/status: the state (status.json plus the markers), 200; 503 with "
                  "the cause when it cannot be read; needs the token when one is set. "
                  "GET /metrics, with the token too: the state's facts and the checks' "
                  "verdicts in the Prometheus text format (docs/prometheus.rst); a state that "
                  "cannot be read, or not within %d s (a hung mount), is tgmon_up 0 with the "
                  "cause. "
                  "GET /healthz, without a token: 200 {\"status\": \"ok\"} while /v1/status "
                  "would be served; 503 {\"status\": \"unavailable\"} while the state cannot "
                  "be read (the cause only at /v1/status). A refused connection: the "
                  "exporter does not run." % StateDirApp.READ_SECONDS)
SIGNALS_HELP = ("signals: SIGTERM or SIGINT stop it (exit 0, within a second, even when "
                "nobody reads its log); SIGHUP re-reads --token-file and the TLS certificate "
                "and key, and keeps the ones it has when the new ones are bad (an encrypted key "
                "counts as bad: it never asks for a passphrase). One log line "
                "per request on stderr; lines a full log cannot take are dropped and counted.")


def add_serve_arguments(parser, default_port=DEFAULT_PORT):
    """The listening options of ``tgmon serve`` and ``tgmon-sim serve``."""
    from .engine import DEFAULT_MAX_CONNECTIONS, DEFAULT_WORKERS
    parser.epilog = SIGNALS_HELP
    parser.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                        help="address to listen on (default: 127.0.0.1; 0.0.0.0 for all)")
    parser.add_argument("--port", type=_port, default=default_port,
                        help="TCP port (default: %d; 0 picks a free one)" % default_port)
    parser.add_argument("--token-file", metavar="FILE",
                        help="require 'Authorization: Bearer <token>' with the token in FILE")
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate")
    parser.add_argument("--tls-key", metavar="FILE",
                        help="the certificate's private key, without a passphrase")
    parser.add_argument("--workers", type=_bounded_int(1, 1024), default=DEFAULT_WORKERS,
                        metavar="N", help="requests served at once (default: %d)"
                        % DEFAULT_WORKERS)
    parser.add_argument("--max-connections", type=_bounded_int(1, 100000),
                        default=DEFAULT_MAX_CONNECTIONS, metavar="N",
                        help="open connections at most, idle ones included; then a new one "
                             "takes the place of one that waits for a request, and is closed "
                             "only when all are busy (default: %d)" % DEFAULT_MAX_CONNECTIONS)


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


def read_server_token(path):
    if path is None:
        return None
    from ..safeio.tokenfile import read_token
    return read_token(path)


def serve(app, bind, port, token_file=None, tls_cert=None, tls_key=None, ready=None,
          workers=None, max_connections=None, name="tgmon serve"):
    """Run until SIGTERM/SIGINT; SIGHUP re-reads the token file and the TLS certificate
    and key. Returns the exit code. After the start everything it says goes through
    a ServerLog: a log nobody reads never keeps it from answering or from stopping."""
    from .engine import DEFAULT_MAX_CONNECTIONS, DEFAULT_WORKERS, BoundedServer
    from .log import ServerLog
    from ..safeio.stdio import reopen_closed_std_fds
    signals = _Signals()    # from now on no signal of ours ends the process unannounced
    reopen_closed_std_fds()    # else a client's socket could take fd 2 and get the log

    def files():
        return read_server_token(token_file), tls_context(tls_cert, tls_key)
    token, tls = files()
    log = ServerLog()
    server = BoundedServer((bind, port), app, token, tls, workers or DEFAULT_WORKERS,
                           fits_file_limit(max_connections or DEFAULT_MAX_CONNECTIONS),
                           log=log, reload=files, reload_what=_reloaded(token_file, tls_cert))
    host, real_port = server.server_address[:2]
    scheme = "https" if tls_cert else "http"
    log.say("%s: listening on %s://%s:%d (token %s)"
            % (name, scheme, host if ":" not in host else "[%s]" % host, real_port,
               "required" if server.token else "off"))
    signals.hand_to(server)
    if ready:
        ready(real_port)
    server.serve_forever()
    log.close("%s: stopped" % name, STOP_LOG_SECONDS)
    return 0


def _reloaded(token_file, tls_cert):
    what = [text for given, text in ((token_file, "the token file"),
                                     (tls_cert, "the TLS certificate and key")) if given]
    return " and ".join(what) or None


class _Signals:
    """SIGTERM and SIGINT stop the server, SIGHUP asks it to re-read its files; one that
    arrives before the server runs is kept for it."""

    def __init__(self):
        self.server = None
        self.stop = self.reload = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGHUP, self._reload)

    def hand_to(self, server):
        self.server = server
        if self.reload:
            server.request_reload()
        if self.stop:
            server.shutdown()

    def _stop(self, signum, frame):
        self.stop = True
        if self.server is not None:
            self.server.shutdown()

    def _reload(self, signum, frame):
        self.reload = True
        if self.server is not None:
            self.server.request_reload()


def raise_file_limit():
    """Allow as many open files as the hard limit does (idle connections are fds)."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY:
            hard = 65536
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, ValueError, OSError):
        return 1024


def fits_file_limit(max_connections):
    """max_connections, lowered to what the open-file limit allows (with room to spare)."""
    limit = raise_file_limit()
    return max(1, min(max_connections, limit - 64))

"""What a parsed request is answered: the methods and body a request may have,
the open /healthz, the bearer token, then the app's route.

``app.route(path) -> (status, dict)`` decides what to answer (or ``(status,
bytes, headers)`` for a body that is no JSON, e.g. /metrics); a TgmonError
from it is 503, any other exception 500, both with an error JSON and never
a traceback. /healthz answers what ``app.HEALTH_PATH`` would: 200 while it
would be served, 503 when not (the cause only behind the token, at that path).
"""

from ..errors import TgmonError
from .wire import Refuse, bearer_matches


def respond(request, app, token, log):
    """(status, body, extra headers) for a parsed request; Refuse for one that gets
    no route; ``log(address, text)`` hears of an app's internal error."""
    if request["method"] not in ("GET", "HEAD"):
        raise Refuse(405, "method not allowed; only GET and HEAD", {"Allow": "GET, HEAD"})
    if request["body"]:
        raise Refuse(413, "requests carry no body")
    path = request["target"].split("?", 1)[0]
    if path == "/healthz":
        return health(app, log) + ({},)
    if not authorized(request["headers"].get("authorization", ""), token):
        raise Refuse(401, "missing or wrong bearer token",
                     {"WWW-Authenticate": 'Bearer realm="tgmon"'})
    return routed(app, path, log)


def routed(app, path, log):
    """(status, body, extra headers) of the app's route, whatever it raises."""
    try:
        answer = app.route(path)
    except TgmonError as exc:
        return 503, {"error": str(exc)}, {}
    except Exception as exc:  # never a traceback to the client; one log line
        log("-", "internal error in the app: %s" % type(exc).__name__)
        return 500, {"error": "internal error in the exporter"}, {}
    return answer if len(answer) == 3 else tuple(answer) + ({},)


def health(app, log):
    """Never "ok" for a state that cannot be served; no cause without the token."""
    if routed(app, app.HEALTH_PATH, log)[0] == 200:
        return 200, {"status": "ok", "state": "readable"}
    return 503, {"status": "unavailable", "state": "unreadable",
                 "fix": "GET %s (with the token) names the cause" % app.HEALTH_PATH}


def authorized(given, token):
    """The Authorization header against the bearer token (None: none needed)."""
    return token is None or bearer_matches(given, token)

"""Remote path: GET /v1/status from ``tgmon serve`` (or ``tgmon-sim serve``).

Built on requests, which is imported here only: the local path never pays
for it. Every failure is a SourceError naming the cause and the fix; the
connect and read timeouts stay inside the check's -t.
"""

import time

import requests
from requests.adapters import HTTPAdapter

from .. import __version__
from ..errors import SourceError, UsageError
from ..schema import SchemaError, parse_flags
from .statedir import decode_status, state_from_document

MAX_BODY = 4 * 1024 * 1024
MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 5.0


def make_session(settings, pool_size=1):
    """One session for all requests of a check (keep-alive, one pool)."""
    session = requests.Session()
    session.trust_env = not settings.no_proxy   # --no-proxy ignores *_proxy variables
    session.max_redirects = MAX_REDIRECTS
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, pool_size), max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if settings.insecure:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        session.verify = False
    elif settings.ca_file:
        session.verify = settings.ca_file
    session.headers["User-Agent"] = "tgmon/%s" % __version__
    session.headers["Accept"] = "application/json"
    if settings.token_file:
        session.headers["Authorization"] = "Bearer " + read_token(settings.token_file)
    return session


def read_token(path):
    try:
        with open(path, encoding="utf-8") as handle:
            token = handle.read(4096).strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError("cannot read token file %s: %s"
                         % (path, getattr(exc, "strerror", None) or exc),
                         "check --token-file and its permissions") from None
    if not token or any(c.isspace() for c in token):
        raise UsageError("token file %s must hold one token on one line" % path,
                         "write just the bearer token into it")
    return token


def remaining(settings, margin=0.2):
    """Seconds left of -t, so every network wait ends before the check's limit."""
    if settings.deadline is None:
        return float(settings.timeout)
    return max(0.05, settings.deadline - time.monotonic() - margin)


def fetch_body(session, url, settings):
    """GET url -> body bytes; SourceError for every way it can fail."""
    left = remaining(settings)
    try:
        # verify given per request: a session-level value loses against
        # REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE from the environment
        response = session.get(url, timeout=(min(CONNECT_TIMEOUT, left), left), stream=True,
                               verify=session.verify)
    except requests.exceptions.SSLError as exc:
        raise SourceError("TLS verification of %s failed (%s)" % (url, _reason(exc)),
                          "give the server's CA with --ca-file (--insecure skips "
                          "verification: not recommended)") from None
    except requests.exceptions.ConnectTimeout:
        raise SourceError("connecting to %s timed out" % url,
                          "check that the exporter runs and the firewall lets the "
                          "monitoring server in") from None
    except requests.exceptions.ReadTimeout:
        raise SourceError("%s did not answer within %.1f s" % (url, left),
                          "check the exporter on the node, or raise -t") from None
    except requests.exceptions.TooManyRedirects:
        raise SourceError("%s redirects more than %d times (a loop?)" % (url, MAX_REDIRECTS),
                          "point --url at the exporter's /v1/status itself") from None
    except requests.exceptions.InvalidURL as exc:
        raise UsageError("bad --url %r: %s" % (url, exc), "e.g. https://tg1:9740/v1/status") from None
    except (requests.exceptions.ConnectionError, requests.exceptions.RequestException) as exc:
        raise SourceError("cannot reach %s: %s" % (url, _reason(exc)),
                          "check that the exporter runs (tgmon serve) and the address") from None
    with response:
        if response.status_code in (401, 403):
            raise SourceError("%s refused access (HTTP %d)" % (url, response.status_code),
                              "check --token-file against the exporter's token")
        if response.status_code == 404:
            raise SourceError("%s not found (HTTP 404)" % url,
                              "the path is /v1/status (tgmon-sim serve: /NODE/v1/status)")
        if response.status_code >= 400:
            detail = _error_detail(response)
            raise SourceError("%s answered HTTP %d%s" % (url, response.status_code, detail),
                              "look at the exporter's log on the node")
        return _read_limited(response, url)


def _read_limited(response, url):
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > MAX_BODY:
                raise SourceError("%s sent more than %d bytes" % (url, MAX_BODY),
                                  "point --url at a tgmon exporter")
            chunks.append(chunk)
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError) as exc:
        raise SourceError("the answer of %s was cut off (%s)" % (url, _reason(exc)),
                          "check the exporter and the network in between") from None
    except requests.exceptions.Timeout:
        raise SourceError("%s stopped sending before the end of its answer" % url,
                          "check the exporter on the node, or raise -t") from None
    return b"".join(chunks)


def _error_detail(response):
    try:
        body = response.raw.read(2048, decode_content=True)
        import json
        message = json.loads(body.decode("utf-8")).get("error")
        return ": %s" % message if message else ""
    except Exception:  # the status code says enough
        return ""


def _reason(exc):
    """The innermost message of a requests/urllib3 error, short."""
    text = str(exc)
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    text = text.strip("()'\" ")
    return text[:160]


def state_from_body(body, url):
    document = decode_status(body, url)
    try:
        flags = parse_flags(document)
    except SchemaError as exc:
        raise SourceError("%s: %s" % (url, exc),
                          "the URL must be a tgmon exporter's /v1/status") from None
    return state_from_document(document, flags, url, url)


def read_url_state(url, settings, session=None):
    body = None
    cache = None
    if settings.cache_ttl:
        from .cache import ResponseCache
        cache = ResponseCache(settings)
        body = cache.get(url)
    if body is None:
        session = session or make_session(settings)
        body = fetch_body(session, url, settings)
        if cache is not None:
            cache.put(url, body)
    return state_from_body(body, url)

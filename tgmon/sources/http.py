"""Remote path: GET /v1/status from ``tgmon serve`` (or ``tgmon-sim serve``).

Built on requests, which is imported here only: the local path never pays
for it. Every failure is a SourceError naming the cause in a few words and
the fix. The caller runs this in a thread and waits no longer than -t
(``tgmon.safeio.bounded``), so even a DNS lookup that never ends cannot hold the
check; the connect and read timeouts end sooner still.

What is sent: the bearer token from --token-file and nothing else - no
~/.netrc, no user:password from the URL, no redirect is followed (so the
token never goes anywhere but --url), no compressed answers are accepted.
"""

import socket
import ssl
import time
import warnings

# No library warning may reach a plugin's output (Icinga 2 shows stderr with it):
# requests warns at import when it dislikes its libraries' versions; urllib3's
# warnings are silenced for every session (make_session).
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import requests
    from requests.adapters import HTTPAdapter
    import urllib3

from .. import __version__
from ..errors import SourceError, UsageError
from ..safeio.urls import check_url, redact_url
from ..safeio.files import FileProblem, check_regular, read_regular
from ..safeio.tokenfile import read_token
from ..state.fields import MAX_DOCUMENT_BYTES
from .decode import decode_state

MAX_CA_FILE = 1024 * 1024
CONNECT_TIMEOUT = 5.0


def make_session(settings, pool_size=1, hosts=1, ca_option="--ca-file"):
    """One session for all requests of a check (keep-alive, one pool per host)."""
    # urllib3's warnings (a certificate without subjectAltName, an unverified request
    # under --insecure) speak to a developer; tgmon says what matters in its own words
    warnings.simplefilter("ignore", urllib3.exceptions.HTTPWarning)
    session = requests.Session()
    # Nothing from the environment: no ~/.netrc credentials, no
    # REQUESTS_CA_BUNDLE; proxies are taken per request (proxies_for).
    session.trust_env = False
    adapter = HTTPAdapter(pool_connections=max(1, hosts), pool_maxsize=max(1, pool_size),
                          max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if settings.insecure:
        session.verify = False
    elif settings.ca_file:
        check_ca_file(settings.ca_file, ca_option)
        session.verify = settings.ca_file
    session.headers["User-Agent"] = "tgmon/%s" % __version__
    session.headers["Accept"] = "application/json"
    session.headers["Accept-Encoding"] = "identity"
    if settings.token_file:
        session.headers["Authorization"] = "Bearer " + read_token(settings.token_file)
    return session


def check_ca_file(path, option="--ca-file"):
    """--ca-file must be a regular file holding PEM certificates (checked before use)."""
    try:
        check_regular(path)
        data = read_regular(path, MAX_CA_FILE)
    except FileProblem as exc:
        raise UsageError("%s %s %s" % (option, path, exc.words),
                         "give the server's CA certificate (PEM)") from None
    try:
        ssl.create_default_context(cadata=data.decode("ascii"))
    except (UnicodeDecodeError, ssl.SSLError, ValueError):
        raise UsageError("%s %s holds no PEM certificate" % (option, path),
                         "give the CA certificate (PEM, -----BEGIN CERTIFICATE-----)") from None


def proxies_for(url, settings):
    """The proxy for ``url`` from the *_proxy variables (honouring no_proxy), or none."""
    if settings.no_proxy:
        return {}
    return requests.utils.get_environ_proxies(url)


def remaining(settings, margin=0.2):
    """Seconds left of -t, so every network wait ends before the check's limit."""
    if settings.deadline is None:
        return float(settings.timeout)
    return max(0.05, settings.deadline - time.monotonic() - margin)


def fetch_body(session, url, settings):
    """GET url -> body bytes; SourceError for every way it can fail."""
    shown = redact_url(url)
    left = remaining(settings)
    try:
        # verify given per request: a session-level value loses against
        # REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE from the environment
        response = session.get(url, timeout=(min(CONNECT_TIMEOUT, left), left), stream=True,
                               verify=session.verify, allow_redirects=False,
                               proxies=proxies_for(url, settings))
    except requests.exceptions.SSLError as exc:
        words, fix = tls_words(exc)
        raise SourceError("TLS to %s failed: %s" % (shown, words), fix) from None
    except requests.exceptions.ConnectTimeout:
        raise SourceError("connecting to %s timed out" % shown,
                          "check that the exporter runs and the firewall lets the "
                          "monitoring server in") from None
    except requests.exceptions.ReadTimeout:
        raise SourceError("%s did not answer within %.1f s" % (shown, left),
                          "check the exporter on the node, or raise -t") from None
    except requests.exceptions.InvalidURL:
        raise UsageError("bad URL %s" % shown, "e.g. https://tg1:9740/v1/status") from None
    except (requests.exceptions.RequestException, ValueError, OSError) as exc:
        raise SourceError("cannot reach %s: %s" % (shown, network_words(exc)),
                          "check the address and that the exporter runs (tgmon serve)") from None
    with response:
        return _body(response, shown)


def _body(response, shown):
    status = response.status_code
    if 300 <= status < 400:
        raise SourceError("%s redirects elsewhere (HTTP %d), tgmon follows none"
                          % (shown, status), "point --url at the exporter itself")
    if status in (401, 403):
        raise SourceError("%s refused access (HTTP %d)" % (shown, status),
                          "check --token-file against the exporter's token")
    if status == 404:
        raise SourceError("%s not found (HTTP 404)" % shown,
                          "the path is /v1/status (tgmon-sim serve: /NODE/v1/status)")
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise SourceError("%s answered compressed (Content-Encoding %s) though asked not to"
                          % (shown, encoding[:20]), "point --url at a tgmon exporter")
    if status >= 400:
        raise SourceError("%s answered HTTP %d%s" % (shown, status, _error_detail(response)),
                          "look at the exporter's log on the node")
    if status != 200:
        raise SourceError("%s answered HTTP %d, not 200" % (shown, status),
                          "point --url at a tgmon exporter")
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length[:12]) > MAX_DOCUMENT_BYTES:
        raise SourceError("%s announces %s bytes, more than the %d a state can be"
                          % (shown, length[:12], MAX_DOCUMENT_BYTES),
                          "point --url at a tgmon exporter")
    return _read_limited(response, shown)


class BodyTooLarge(Exception):
    """The answer went on past the limit its reader set."""


def read_body(response, limit):
    """The whole body of a streamed response; BodyTooLarge past ``limit`` bytes (the
    rest is never read); requests' and the socket's errors pass through."""
    chunks, size = [], 0
    for chunk in response.iter_content(65536):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _read_limited(response, shown):
    try:
        body = read_body(response, MAX_DOCUMENT_BYTES)
    except BodyTooLarge:
        raise SourceError("%s sent more than %d bytes" % (shown, MAX_DOCUMENT_BYTES),
                          "point --url at a tgmon exporter") from None
    except requests.exceptions.Timeout:
        raise SourceError("%s stopped sending before the end of its answer" % shown,
                          "check the exporter on the node, or raise -t") from None
    except (requests.exceptions.RequestException, OSError, ValueError) as exc:
        raise SourceError("the answer of %s was cut off (%s)" % (shown, network_words(exc)),
                          "check the exporter and the network in between") from None
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length[:12]) != len(body):
        # urllib3 1.26 (Debian 12) does not check this itself
        raise SourceError("the answer of %s was cut off (%d of %s bytes)"
                          % (shown, len(body), length[:12]),
                          "check the exporter and the network in between")
    return body


def _error_detail(response):
    """': message' from the exporter's JSON error answer, if it has one."""
    try:
        import json
        body = response.raw.read(2048, decode_content=False)
        message = json.loads(body.decode("utf-8")).get("error")
        return ": %s" % str(message)[:200] if message else ""
    except Exception:  # the status code says enough
        return ""


# ----------------------------------------------------------------- words for errors
_VERIFY_WORDS = {
    10: ("certificate expired", "renew the exporter's certificate"),
    9: ("certificate not yet valid", "check the clocks and the certificate's dates"),
    18: ("self-signed certificate, not trusted", "give its CA with --ca-file"),
    19: ("certificate of an unknown CA", "give the CA with --ca-file"),
    20: ("certificate of an unknown CA", "give the CA with --ca-file"),
    21: ("certificate of an unknown CA", "give the CA with --ca-file"),
    62: ("host name not in the certificate (subjectAltName)", "reissue it for this name"),
    64: ("IP address not in the certificate (subjectAltName)", "reissue it for this address"),
}


def _chain(exc):
    """The exception and every exception inside it (args, reason, cause, context)."""
    seen, queue = [], [exc]
    while queue:
        item = queue.pop(0)
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        queue.extend(a for a in getattr(item, "args", ()) if isinstance(a, BaseException))
        queue.extend((getattr(item, "reason", None), item.__cause__, item.__context__))
    return seen


def tls_words(exc):
    """(what went wrong with TLS, the fix), in words, never a Python repr."""
    for item in _chain(exc):
        if isinstance(item, ssl.SSLCertVerificationError):
            known = _VERIFY_WORDS.get(item.verify_code)
            if known:
                return known
            return ("certificate not accepted (%s)"
                    % (item.verify_message or "verification failed")[:60],
                    "give the CA with --ca-file, or renew the certificate")
    for item in _chain(exc):
        # urllib3 1.26 (Debian 12) matches the host name itself, with its own error class
        if type(item).__name__ == "CertificateError":
            return ("host name or address not in the certificate (subjectAltName)",
                    "reissue it for this name")
    for item in _chain(exc):
        if isinstance(item, ssl.SSLError):
            reason = (getattr(item, "reason", None) or "").lower()
            if "wrong_version" in reason or "record_layer" in reason or "http_request" in reason:
                return ("no TLS on this port", "use http:// for a plain exporter")
            return ("the TLS handshake failed (%s)" % (reason or "no reason given")[:60],
                    "check the exporter's certificate and TLS settings")
    return network_words(exc), "check the exporter's TLS settings"


def network_words(exc):
    """A network failure in a few words: refused, not resolved, reset, timed out."""
    for item in _chain(exc):
        if isinstance(item, socket.gaierror):
            return "the name does not resolve (DNS)"
        if isinstance(item, ConnectionRefusedError):
            return "connection refused"
        if isinstance(item, ConnectionResetError):
            return "connection reset"
        if isinstance(item, (socket.timeout, TimeoutError)):
            return "timed out"
        if isinstance(item, requests.exceptions.ChunkedEncodingError):
            return "the chunked answer broke off"
    for item in _chain(exc):
        if isinstance(item, OSError) and item.strerror:
            return item.strerror.lower()
    names = [type(item).__name__ for item in _chain(exc)]
    for name, words in (("ContentDecodingError", "the answer could not be decoded"),
                        ("IncompleteRead", "the answer ended early"),
                        ("ProtocolError", "the connection broke off")):
        if name in names:
            return words
    # unforeseen: say which failure it was (a class name, never a repr)
    return "the connection failed (%s)" % names[-1][:40]


# ----------------------------------------------------------------- reading a state
def state_from_body(body, url):
    shown = redact_url(url)
    return decode_state(body, shown, shown)


def read_url_state(url, settings, session=None):
    check_url(url)
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

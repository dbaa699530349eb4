"""URLs as tgmon takes and shows them: http(s) only, never with credentials.

Light on purpose (no requests): the cluster check validates its --node
values with it before anything is fetched.
"""

import re

from .errors import UsageError

MAX_URL = 2048
EXAMPLE = "e.g. https://tg1.example.net:9740/v1/status"
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]*@")


def is_url(source):
    """A node source that is an exporter URL (else it is a state dir)."""
    return source.startswith(("http://", "https://"))


def redact_url(text):
    """``text`` with the user:password@ of every URL in it replaced by '***@'."""
    return _USERINFO.sub(r"\1***@", str(text))


def check_url(url):
    """A URL tgmon can read from: http(s), a host, no credentials, printable ASCII."""
    from urllib.parse import urlsplit
    shown = redact_url(url)[:100]
    if len(url) > MAX_URL or any(ord(c) < 0x21 or ord(c) > 0x7e for c in url):
        raise UsageError("bad URL %s: longer than %d characters or not printable ASCII"
                         % (shown.encode("ascii", "replace").decode(), MAX_URL), EXAMPLE)
    try:
        parts = urlsplit(url)
        parts.port   # raises ValueError for a bad port
    except ValueError as exc:
        raise UsageError("bad URL %s: %s" % (shown, exc), EXAMPLE) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError("bad URL %s: needs http:// or https:// and a host" % shown, EXAMPLE)
    if parts.username is not None or parts.password is not None:
        raise UsageError("the URL %s carries a user or password, which tgmon never sends"
                         % shown, "remove it; the exporter's token goes in --token-file")

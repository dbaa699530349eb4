"""URLs as tgmon takes and shows them: http(s) only, never with credentials.

A URL is shown only through ``redact_url``: scheme, host, port and path as
the parser reads them, never a user, password, query or fragment (tokens live
there). Where a user part ends is taken from the last '@', not from the
parser: a password may hold '@', '/', spaces or percent-escapes, and every
character before that '@' is hidden. A host must be a plain host name or IP
address: 'https://u%3APW%40h' has no '@' but credentials all the same, so a
host that is anything else (percent-escapes but an IPv6 zone, no host at
all) is not shown, nor is a URL that is not printable ASCII (the parser drops
tabs and line breaks, and what follows would show). A URL carrying
credentials is refused (``check_url``): tgmon never sends them. Light on
purpose (no requests): the cluster check validates its --node values with it
before anything is fetched.
"""

import ipaddress
import re
from urllib.parse import urlsplit

from ..errors import UsageError
from .text import host_name_problem

MAX_URL = 2048
EXAMPLE = "e.g. https://tg1.example.net:9740/v1/status"
UNREADABLE = "(a URL that cannot be parsed, not shown)"
UNPRINTABLE = "(not printable ASCII, not shown)"
NO_PLAIN_HOST = "(no plain host, not shown)"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,15}$")
_PRINTABLE_ASCII = re.compile(r"^[!-~]*$")
_ZONE = re.compile(r"^[A-Za-z0-9._~-]{1,64}$")     # RFC 6874: fe80::1%25eth0


def is_url(source):
    """A node source that is an exporter URL (else it is a state dir)."""
    return source.startswith(("http://", "https://"))


def redact_url(text):
    """What may be shown of ``text``: a URL without user, password, query or fragment;
    a state dir path as it is. One line of printable ASCII for a URL."""
    text = str(text)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text if "@" not in text else "***@" + _printable(text.rpartition("@")[2])
    if not _SCHEME.match(scheme):
        return UNREADABLE
    hidden = "@" in rest
    rest = rest.rpartition("@")[2]
    if not _PRINTABLE_ASCII.match(rest):
        return UNPRINTABLE
    try:
        parts = urlsplit("%s://%s" % (scheme, rest))
        port = parts.port
    except ValueError:
        return UNREADABLE
    host = parts.hostname or ""
    if not plain_host(host):
        return NO_PLAIN_HOST
    return _printable("%s://%s%s%s%s%s" % (
        parts.scheme, "***@" if hidden else "", "[%s]" % host if ":" in host else host,
        "" if port is None else ":%d" % port, parts.path,
        "?***" if parts.query or parts.fragment else ""))


def plain_host(host):
    """A host name (RFC 1123, a trailing dot allowed) or an IP address: nothing
    percent-encoded but an IPv6 address's zone."""
    if ":" in host:
        address, percent, zone = host.partition("%25")
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            return False
        return not percent or bool(_ZONE.match(zone))
    return bool(host) and host_name_problem(host[:-1] if host.endswith(".") else host) is None


def _printable(text):
    return "".join(c if " " < c < "\x7f" else "?" for c in text)


def check_url(url, secret_fix="remove it; the exporter's token goes in --token-file"):
    """A URL tgmon can read from: http(s), a host, no credentials, printable ASCII."""
    shown = redact_url(url)[:100]
    if "@" in url:
        raise UsageError("the URL %s carries a user or password, which tgmon never sends"
                         % shown, secret_fix)
    if len(url) > MAX_URL or any(ord(c) < 0x21 or ord(c) > 0x7e for c in url):
        raise UsageError("bad URL %s: longer than %d characters or not printable ASCII"
                         % (shown, MAX_URL), EXAMPLE)
    try:
        parts = urlsplit(url)
        _ = parts.port   # raises ValueError for a bad port
    except ValueError:
        raise UsageError("bad URL %s: a bad port or IPv6 address" % shown, EXAMPLE) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError("bad URL %s: needs http:// or https:// and a host" % shown, EXAMPLE)
    if not plain_host(parts.hostname):
        raise UsageError("bad URL %s: its host is no plain name or IP address" % shown,
                         EXAMPLE)

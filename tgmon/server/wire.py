"""HTTP/1.x on the wire for ``tgmon serve``: request heads in, answers out.

Pure functions over bytes, no sockets: the limits on what a client may send,
the parser of a request head, and the encoder of an answer (JSON, ASCII only,
so no byte of a state can break one). ``httpserver`` moves the bytes.
"""

import hashlib
import hmac
import json
import re

from .. import __version__

MAX_REQUEST_LINE = 2048
MAX_HEAD = 16 * 1024
MAX_HEADERS = 32
# fields a request may carry once: two could mean two things to two readers (a body's
# length, or which of two tokens a proxy in front checked)
ONCE = ("content-length", "transfer-encoding", "host", "authorization")

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
           405: "Method Not Allowed", 408: "Request Timeout", 413: "Content Too Large",
           414: "URI Too Long", 431: "Request Header Fields Too Large",
           500: "Internal Server Error", 503: "Service Unavailable",
           505: "HTTP Version Not Supported"}


class Refuse(Exception):
    """Answer ``status`` with ``message`` and close the connection."""

    def __init__(self, status, message, extra=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra or {}


def split_head(buffer):
    """(the next request head, the rest) once the head has fully arrived, else
    (None, buffer); Refuse(414/431) when it is too long to ever be one."""
    end = buffer.find(b"\r\n\r\n")
    line_end = buffer.find(b"\r\n")
    if (line_end == -1 and len(buffer) > MAX_REQUEST_LINE) or line_end > MAX_REQUEST_LINE:
        raise Refuse(414, "request line longer than %d bytes" % MAX_REQUEST_LINE)
    if end == -1:
        if len(buffer) > MAX_HEAD:
            raise Refuse(431, "request head longer than %d bytes" % MAX_HEAD)
        return None, buffer
    if end > MAX_HEAD:
        raise Refuse(431, "request head longer than %d bytes" % MAX_HEAD)
    return buffer[:end], buffer[end + 4:]


def parse_head(head):
    """A request head -> dict; Refuse(400/431/505) for what is not HTTP/1.x."""
    lines = head.split(b"\r\n")
    try:
        line = lines[0].decode("ascii")
    except UnicodeDecodeError:
        raise Refuse(400, "the request line is not ASCII") from None
    parts = line.split(" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[1]:
        raise Refuse(400, "malformed request line")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise Refuse(505, "only HTTP/1.0 and HTTP/1.1")
    if len(lines) - 1 > MAX_HEADERS:
        raise Refuse(431, "more than %d header fields" % MAX_HEADERS)
    headers = {}
    for raw in lines[1:]:
        name, colon, value = raw.partition(b":")
        if not colon or not name or name != name.strip() or b" " in name:
            raise Refuse(400, "malformed header field")
        key = name.decode("latin-1").lower()
        if key in ONCE and key in headers:
            raise Refuse(400, "header field %s given twice" % key)
        headers[key] = value.strip().decode("latin-1")
    connection = headers.get("connection", "").lower()
    keep_alive = version == "HTTP/1.1" and "close" not in connection
    body = headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers
    return {"method": method, "target": target, "version": version, "headers": headers,
            "keep_alive": keep_alive, "body": body, "line": printable(line)}


def bearer_matches(authorization, token):
    """Whether an Authorization field carries ``token``: scheme ``Bearer`` in any case
    (RFC 9110), the token compared in constant time - as digests, so that not even
    its length shows in the time an answer takes."""
    scheme, _, given = authorization.partition(" ")
    digests = [hashlib.sha256(text.encode("latin-1", "replace")).digest()
               for text in (given.lstrip(" "), token)]
    return hmac.compare_digest(*digests) and scheme.lower() == "bearer"


def method_of(data):
    """"HEAD" when a request, even one that cannot be parsed (or has not fully come),
    is a HEAD request: its answer has no body whatever the status; else "-"."""
    return "HEAD" if data.startswith(b"HEAD ") else "-"


def request_line_of(head):
    """The first line of a head as printable text, for the log (even if unparsable)."""
    return printable(head.split(b"\r\n", 1)[0].decode("latin-1"))


def printable(line):
    """A request line for the log: printable ASCII without quotes, at most 200 characters,
    and never a query (no route reads one; a client may have put its token there)."""
    line = _QUERY.sub("?...", str(line))
    return "".join(c if " " <= c <= "~" and c != '"' else "?" for c in line[:200])


_QUERY = re.compile(r"\?[^ ]*")


def json_body(body):
    """A document as the bytes of an answer's body."""
    return json.dumps(body, ensure_ascii=True).encode("ascii") + b"\n"


def answer_parts(status, body, keep, extra=None, head_only=False):
    """The answer as [head, body]: a body made by ``json_body`` is sent as it is, never
    copied (many clients may be sent one kept answer). ``body`` is a document or such
    bytes (or other bytes, with their Content-Type in ``extra``); a HEAD request gets
    the same head and no body."""
    data = body if isinstance(body, bytes) else json_body(body)
    extra = dict(extra or {})
    lines = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Error")),
             "Server: tgmon/%s" % __version__,
             # an app's own type (a body that is no JSON) in place of the default
             "Content-Type: %s" % extra.pop("Content-Type", "application/json"),
             "Content-Length: %d" % len(data),
             "Cache-Control: no-store",
             "Connection: %s" % ("keep-alive" if keep else "close")]
    lines.extend("%s: %s" % item for item in extra.items())
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return [head] if head_only else [head, data]


def answer_bytes(status, body, keep, extra=None, head_only=False):
    """A whole (small) answer in one piece."""
    return b"".join(answer_parts(status, body, keep, extra, head_only))

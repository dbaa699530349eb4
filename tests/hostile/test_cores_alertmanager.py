"""tgmon downtimes sync into Alertmanager (API v2 silences) against stand-ins on
127.0.0.1 that lie, drip, flood, redirect, refuse or never answer, and against an
honest stand-in (fakealertmanager.py) holding other people's silences.

The promises: a hostile Alertmanager is exit 2 with one line naming cause and
fix, within -t, in bounded memory, never a secret; only tgmon's silences (its
author, its comment prefix, one node matcher of a node read) are ever expired,
and each is fetched again by its id first; a silence refused for one node stops
no other; the token or password goes only to --alertmanager-url, as a header.
"""

import pytest

from tgmon.cores.httpjson import MAX_ANSWER, MAX_OBJECTS, MAX_RESULTS

from .common import write
from .fakealertmanager import FakeAlertmanager, silence_matchers
from .harness import SECRETS
from .syncrun import assert_lines, assert_safe, fresh_base, node, sync, window
from .test_downtimes_api import after_body, filled, flood
from .test_http_client import (Server, answer, black_hole, drip_body, drip_headers,
                               endless_chunks, plain_to_tls, raw, refused, serve, tls_black_hole)

pytestmark = pytest.mark.slow

TIMEOUT = 2
TOKEN = SECRETS[0]
PASSWORD = SECRETS[3]
NODE = "tg-node1"
OLD = (1000, 2000)


def hostile(respond):
    """A server answering ``respond`` at --alertmanager-url."""
    def setup(tmp, stack):
        server = Server(after_body(respond))
        stack.append(server.close)
        return ["--alertmanager-url", server.url("")]
    return setup


def at_alertmanager(setup):
    """One of test_http_client's hostile servers for --url, at --alertmanager-url."""
    def adapted(tmp, stack):
        argv = dict(zip(*[iter(setup(tmp, stack))] * 2))
        return ["--alertmanager-url", argv["--url"].replace("/v1/status", "")] + (
            ["--alertmanager-ca-file", argv["--ca-file"]] if "--ca-file" in argv else [])
    return adapted


HOSTILE = [
    # (name, setup, words on the one line)
    ("not_json", hostile(answer("200 OK", b"<html>hello</html>", "text/html")),
     "answered HTTP 200 without JSON"),
    ("an_object_not_a_list", hostile(answer("200 OK", b'{"silences": []}')),
     "answered without a list of silences"),
    ("a_list_of_garbage", hostile(answer("200 OK", b'[1, "x", null]')),
     "answered without a list of silences"),
    ("deeply_nested", hostile(answer("200 OK", b"[" * 100000 + b"]" * 100000)),
     "answered more than %d objects" % MAX_OBJECTS),
    ("tiny_objects", hostile(answer("200 OK", filled(b"{},"))),
     "answered more than %d objects" % MAX_OBJECTS),
    ("more_silences_than_the_bound", hostile(answer("200 OK", b"[%s]" % b",".join(
        [b"{}"] * (MAX_RESULTS + 1)))), "answered more than %d silences" % MAX_RESULTS),
    ("thirty_megabytes", hostile(answer("200 OK", b"[" + b'"abcdefgh",' * (3 << 20) + b"1]")),
     "sent more than %d bytes" % MAX_ANSWER),
    ("flood", hostile(flood), "sent more than %d bytes" % MAX_ANSWER),
    ("flood_cut_off", hostile(endless_chunks), "broke off"),
    ("cut_off", hostile(raw(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n[{\"id\": ")),
     "without JSON"),
    ("drip_headers", hostile(drip_headers), "within -t"),
    ("drip_body", hostile(drip_body), "within -t"),
    ("black_hole", at_alertmanager(black_hole), "within -t"),
    ("tls_black_hole", at_alertmanager(tls_black_hole), "within -t"),
    ("closed_port", at_alertmanager(refused), "connection refused"),
    ("redirect", hostile(answer("302 Found", b"", extra="Location: https://evil.example/\r\n")),
     "redirects elsewhere (HTTP 302), tgmon follows none"),
    ("unauthorized", hostile(answer("401 Unauthorized", b"Unauthorized", "text/plain")),
     "refused access (HTTP 401)"),
    ("forbidden", hostile(answer("403 Forbidden", b"{}")), "refused access (HTTP 403)"),
    ("not_alertmanager", hostile(answer("404 Not Found", b"<h1>nginx</h1>", "text/html")),
     "answered HTTP 404 to the list of silences: <h1>nginx</h1> - point --alertmanager-url"),
    ("server_error_with_hostile_text", hostile(answer(
        "500 Internal Server Error",
        b'{"code": 500, "message": "boom\\u001b[2J; $(rm -rf /) \\n second line"}')),
     "answered HTTP 500 to the list of silences: boom"),
    ("tls_unknown_ca", at_alertmanager(serve(answer("200 OK", b"[]"), "unknown_ca")),
     ("TLS to Alertmanager at https://127.0.0.1:", "failed: certificate of an unknown CA - "
      "give the CA with --alertmanager-ca-file")),
    ("tls_expired", at_alertmanager(serve(answer("200 OK", b"[]"), "expired")),
     "certificate expired - renew Alertmanager's certificate"),
    ("tls_wrong_name", at_alertmanager(serve(answer("200 OK", b"[]"), "wrong_name")),
     "host name or address not in the certificate"),
    ("plain_http_to_a_tls_port", at_alertmanager(plain_to_tls), "cannot reach Alertmanager"),
]


@pytest.mark.parametrize("name, setup, words", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_alertmanager_is_one_line_exit_2(short_tmp, name, setup, words):
    fresh_base()
    stack = []
    token = short_tmp / "token"
    write(token, TOKEN + "\n", 0o600)
    try:
        argv = setup(short_tmp, stack)
        secret = ["--alertmanager-token-file", str(token)] if "https" in argv[1] else []
        run = sync(["--node", node(short_tmp, "n/" + NODE)] + argv + secret, TIMEOUT)
    finally:
        for close in stack:
            close()
    assert run.code == 2, run
    assert_safe(run, TIMEOUT)
    assert_lines(run, [words])


def existing(fake, labels):
    """The silences there before the run, by label; {label: id}."""
    start, end = window(5)
    table = {
        "operator": (NODE, start, end, "operator", "rack work", None, None),
        "operator_with_our_prefix": (NODE, start, end, "operator", "tgmon: looks like ours",
                                     None, None),
        "ours_without_prefix": (NODE, start, end, "tgmon", "a person's silence", None, None),
        "ours_on_a_node_not_read": ("tg-other", OLD[0], 4102444800, "tgmon",
                                    "tgmon: planned maintenance of tg-other", None, None),
        "another_tgmon": (NODE, OLD[0], 4102444800, "tgmon2", "tgmon: planned maintenance",
                          None, None),
        "stale": (NODE, OLD[0], 4102444800, "tgmon", "tgmon: planned maintenance, old",
                  None, None),
        "stale_other_checks": (NODE, start, end, "tgmon", "tgmon: planned maintenance, old",
                               silence_matchers(NODE, "maintenance", "maint-only"), None),
        "ours_expired": (NODE, OLD[0], OLD[1], "tgmon", "tgmon: planned maintenance, gone",
                         None, "expired"),
        "ours_regex_node": (NODE, OLD[0], 4102444800, "tgmon", "tgmon: a node regex", [
            {"name": "node", "value": "tg-.*", "isRegex": True, "isEqual": True}], None),
    }
    ids = {}
    for label in labels:
        host, start, end, author, comment, matchers, state = table[label]
        ids[label] = fake.add(host, start, end, author, comment, matchers, state)
    return ids


def garbage(node=NODE):
    good = {"id": "0", "status": {"state": "active"}, "createdBy": "tgmon",
            "comment": "tgmon: x", "startsAt": "2026-01-01T00:00:00Z",
            "endsAt": "2099-01-01T00:00:00Z", "matchers": silence_matchers(node)}
    # all but the second claim to be tgmon's on the node: six named, none expired
    return [dict(good, id="1", startsAt="soon"), dict(good, id="2", matchers="node=tg-node1"),
            dict(good, id="3/../../silences"), dict(good, id=["a"]), dict(good, id="5",
                                                                           status="active"),
            dict(good, id="6", matchers=silence_matchers(node) + [
                {"name": "x\n", "value": "\x1b[2J", "isRegex": False, "isEqual": True}]),
            dict(good, id="7", matchers=[{"name": "node", "value": node}])]


def listed_as_ours(label):
    """An object in the list with the id of the silence ``label`` (an operator's), but
    the attributes of a stale one of tgmon's on the node: expiring it by that id alone
    would expire the operator's."""
    def forge(ids):
        return [{"id": ids[label], "status": {"state": "active"}, "createdBy": "tgmon",
                 "comment": "tgmon: planned maintenance, old", "matchers":
                 silence_matchers(NODE), "startsAt": "2026-01-01T00:00:00Z",
                 "endsAt": "2099-01-01T00:00:00Z"}]
    return forge


OWNERSHIP = [
    # (id, silences before, forged, swap ids, exit code, stderr words, labels live after)
    ("operators_silence_kept", ["operator"], (), False, 0, [], {"operator"}),
    ("operator_using_our_prefix", ["operator_with_our_prefix"], (), False, 0, [],
     {"operator_with_our_prefix"}),
    ("our_author_without_our_prefix", ["ours_without_prefix"], (), False, 0, [],
     {"ours_without_prefix"}),
    ("ours_on_a_node_not_read", ["ours_on_a_node_not_read"], (), False, 0, [],
     {"ours_on_a_node_not_read"}),
    ("another_author_named_like_us", ["another_tgmon"], (), False, 0, [], {"another_tgmon"}),
    ("stale_ones_expired", ["operator", "stale"], (), False, 0, [], {"operator"}),
    ("other_matchers_replaced", ["stale_other_checks"], (), False, 0, [], set()),
    ("expired_ones_ignored", ["ours_expired"], (), False, 0, [], set()),
    # a regex names no node read: not tgmon's shape, kept as a silence of nodes not read
    ("a_node_regex_is_not_ours", ["ours_regex_node"], (), False, 0, [], {"ours_regex_node"}),
    ("fields_of_the_wrong_type", ["operator"], garbage(), False, 1,
     ["answered 6 silences that look like tgmon's but are not"], {"operator"}),
    ("a_listed_id_that_is_anothers", ["operator"], listed_as_ours("operator"), False, 1,
     [("could not remove silence of tg-node1 maintenance alerts (tgmon: planned maintenance, old)",
       "no longer has that silence as tgmon's")], {"operator"}),
    # the list says the stale one is ours; asked by its id, the API answers the operator's
    ("an_id_that_points_at_anothers", ["stale", "operator"], (), True, 1,
     [("could not remove silence of tg-node1 maintenance alerts (tgmon: planned maintenance, old)",
       "no longer has that silence as tgmon's")], {"stale", "operator"}),
]


@pytest.mark.parametrize("name, before, forged, swap, code, words, after", OWNERSHIP,
                         ids=[c[0] for c in OWNERSHIP])
def test_only_tgmons_silences_of_the_nodes_read_are_expired(short_tmp, name, before, forged,
                                                           swap, code, words, after):
    fresh_base()
    fake = FakeAlertmanager(short_tmp, swap_ids=swap)
    try:
        ids = existing(fake, before)
        fake.forged = forged(ids) if callable(forged) else list(forged)
        run = sync(["--node", node(short_tmp, "n/" + NODE)] + fake.args())
    finally:
        fake.close()
    assert run.code == code, run
    assert_safe(run)
    assert_lines(run, words)
    live = fake.live()
    assert {label for label, ident in ids.items() if ident in live} == after, run
    # nothing was expired but what was tgmon's, and that asked for by its id first
    asked = [path.rsplit("/", 1)[1] for method, path, _, _ in fake.requests
             if method == "GET" and path.startswith("/api/v2/silence/")]
    for ident in fake.deletes():
        assert ident in asked and fake.silences[ident]["createdBy"] == "tgmon", run
        assert fake.silences[ident]["comment"].startswith("tgmon: "), run
    # the node's own window arrived, once, whatever else the answers held
    assert [s for s in live.values() if s["comment"].startswith(
        "tgmon: planned maintenance of tg-node1, ")] == [fake.silences[fake.posts_ids[0]]], run
    assert (NODE,) + window(0) in fake.windows(), run
    for body in fake.posts():
        assert body["matchers"] == silence_matchers(NODE) and body["createdBy"] == "tgmon"


def refuse_node(node):
    def refuse(body):
        if any(m["value"] == node for m in body["matchers"]):
            return 400, {"code": 400, "message": "silence invalid: %s\n\x1b[2J" % PASSWORD}
        return None
    return refuse


def test_a_refused_silence_stops_no_other_node(short_tmp):
    """tg-node1's silence refused (its error text echoing the password), a third node
    not readable: tg-node2's silence is made all the same, exit 1, one line each."""
    fresh_base()
    password = short_tmp / "password"
    write(password, PASSWORD + "\n", 0o600)
    fake = FakeAlertmanager(short_tmp, tls=True, basic=("sync", PASSWORD),
                            refuse=refuse_node(NODE))
    try:
        run = sync(["--node", node(short_tmp, "n/" + NODE),
                    "--node", node(short_tmp, "n/tg-node2", claim="tg-node2", offset=1),
                    "--node", str(short_tmp / "n" / "tg-node3")] + fake.args()
                   + ["--alertmanager-user", "sync", "--alertmanager-password-file",
                      str(password)])
    finally:
        fake.close()
    assert run.code == 1, run
    assert_safe(run)
    assert_lines(run, [("could not add silence of tg-node1 maintenance alerts", "HTTP 400: silence invalid: ***"),
                       ("node", "tg-node3 not read")])
    assert fake.windows() == {("tg-node2",) + window(1)}, run
    assert "Alertmanager: 1 added, 0 removed, 0 unchanged, 1 refused" in run.stdout, run


def test_the_token_goes_only_to_alertmanager_as_a_header(short_tmp):
    """A bearer token from a file, over TLS: each request carries it once, as the one
    Authorization header; neither output nor any body holds it; a second run changes
    nothing."""
    fresh_base()
    token = short_tmp / "token"
    write(token, TOKEN + "\n", 0o600)
    fake = FakeAlertmanager(short_tmp, tls=True, token=TOKEN)
    try:
        argv = ["--node", node(short_tmp, "n/" + NODE)] + fake.args() + [
            "--alertmanager-token-file", str(token)]
        first, second = sync(argv), sync(argv)
    finally:
        fake.close()
    for run in (first, second):
        assert run.code == 0, run
        assert_safe(run)
    assert "Alertmanager: 1 added, 0 removed, 0 unchanged" in first.stdout, first
    assert "Alertmanager: 0 added, 0 removed, 1 unchanged" in second.stdout, second
    assert fake.requests and all(head.count(TOKEN) == 1 and
                                 "\r\nauthorization: bearer %s" % TOKEN.lower()
                                 in head.lower() for _, _, head, _ in fake.requests)
    assert all(TOKEN not in repr(body) for _, _, _, body in fake.requests)


def test_a_wrong_token_is_one_line_and_nothing_changes(short_tmp):
    fresh_base()
    token = short_tmp / "token"
    write(token, "not-the-token\n", 0o600)
    fake = FakeAlertmanager(short_tmp, tls=True, token=TOKEN)
    try:
        run = sync(["--node", node(short_tmp, "n/" + NODE)] + fake.args()
                   + ["--alertmanager-token-file", str(token)])
    finally:
        fake.close()
    assert run.code == 2, run
    assert_safe(run)
    assert_lines(run, [("refused access (HTTP 401)", "check --alertmanager-token-file")])
    assert fake.silences == {} and fake.posts() == []


HOSTILE_NAMES = [
    # a reason that tries to break out of the comment; the node names are the sync's own
    ("reason_with_controls", "disk swap;\n\x1b[2J\u2028$(id)\u202e", 0),
]


@pytest.mark.parametrize("name, reason, code", HOSTILE_NAMES, ids=[c[0] for c in HOSTILE_NAMES])
def test_every_field_sent_is_one_printable_line(short_tmp, name, reason, code):
    fresh_base()
    fake = FakeAlertmanager(short_tmp)
    try:
        run = sync(["--node", node(short_tmp, "n/" + NODE, reason=reason)] + fake.args())
    finally:
        fake.close()
    assert run.code == code, run
    assert_safe(run)
    (body,) = fake.posts()
    for text in [body["comment"], body["createdBy"]] + [
            m[k] for m in body["matchers"] for k in ("name", "value")]:
        assert text.isprintable() and "\n" not in text, body
    assert body["comment"].startswith("tgmon: planned maintenance of tg-node1, ")


A, B = "PIECEA-7c1e", "PIECEB-93d0"      # the two halves of every secret
SECRET = A + B


def am_file(option, content, *more):
    """--alertmanager-url at the stand-in, and ``option`` naming a file holding
    ``content``."""
    def args(tmp, url):
        path = tmp / option.strip("-")
        write(path, content, 0o600)
        return ["--alertmanager-url", url, option, str(path)] + list(more)
    return args


def am_url(text):
    return lambda tmp, url: ["--alertmanager-url", text]


SECRETS_CASES = [
    # (id, argv for the stand-in's URL, words of the one line)
    ("url_with_user_and_password", am_url("https://tgmon:%s@am:9093" % SECRET),
     "the URL https://***@am:9093 carries a user or password"),
    ("url_with_a_query_token", am_url("https://am:9093/?token=%s" % SECRET),
     "--alertmanager-url https://am:9093/?*** has a query or fragment"),
    ("token_file_two_lines", am_file("--alertmanager-token-file", "%s\n%s\n" % (A, B)),
     "must hold one token on one line"),
    ("token_file_binary", am_file("--alertmanager-token-file",
                                  b"\xff" + SECRET.encode() + b"\x00"), "is not ASCII text"),
    ("password_file_two_lines", am_file("--alertmanager-password-file", "%s\n%s\n" % (A, B),
                                        "--alertmanager-user", "sync"),
     "must hold the password on one line"),
    ("password_file_binary", am_file("--alertmanager-password-file",
                                     b"\xff\xfe" + SECRET.encode(), "--alertmanager-user",
                                     "sync"), "is not UTF-8 text"),
    ("a_secret_over_plain_http", lambda tmp, url: am_file(
        "--alertmanager-token-file", SECRET + "\n")(tmp, "http://am.example.net:9093"),
     "the secret would cross the network in clear"),
]


@pytest.mark.parametrize("name, argv, words", SECRETS_CASES, ids=[c[0] for c in SECRETS_CASES])
def test_no_piece_of_an_alertmanager_secret_is_ever_shown_or_sent(short_tmp, name, argv, words):
    fresh_base()
    fake = FakeAlertmanager(short_tmp)
    try:
        run = sync(["--node", node(short_tmp, "n/" + NODE)] + argv(short_tmp, fake.url()), 3)
    finally:
        fake.close()
    assert run.code == 2, run
    assert_safe(run, 3, secrets=(A, B, "7c1e", "93d0"))
    assert_lines(run, [words])
    assert fake.requests == [], run

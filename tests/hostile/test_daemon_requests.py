"""Issue 18, class 9: what clients send to ``tgmon serve``, and what it keeps and logs.

- the bearer token: the scheme in any case (RFC 9110), the token compared as
  digests in constant time; two Authorization fields are refused (which one
  would a proxy in front have checked?);
- odd requests (Expect: 100-continue, chunked, absurd Content-Length, line
  breaks, escapes, quotes and bidi controls in the path): one answer each and
  one clean log line, never the token;
- a pipeline split at every byte is answered as if sent whole;
- at ``--max-connections``, a client that idles or trickles its head makes
  room for a new one; only when every connection is busy is a new one closed;
- the kept answer: whatever changes in the state dir after an answer was kept
  is served at the next request, never the kept one.
Real processes on 127.0.0.1, stopped by PID.
"""

import json
import os
import socket
import time

import pytest

from .common import state_dir, write
from .daemon import GET, Daemon, answers, large_state_dir, legit_request, log_is_clean

pytestmark = pytest.mark.slow
HANG_GUARD = 5.0
TOKEN = "s3cr3t-T0ken"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("requests")
    running = Daemon("--state-dir", str(state_dir(tmp)), "--token-file",
                     write(tmp / "token", TOKEN + "\n", 0o600))
    yield running
    code, took = running.stop()
    assert code == 0 and took < 2
    log_is_clean(running.lines)
    assert not any(TOKEN in line for line in running.lines)


def exchange(daemon, data):
    """Send ``data`` on a new connection: (what came back until the server closed, the
    log lines it caused)."""
    before = len(daemon.lines)
    with daemon.connect() as sock:
        sock.settimeout(HANG_GUARD + 3)     # a head never finished gets 408 after 5 s
        sock.sendall(data)
        received = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except ConnectionResetError:
            pass
    end = time.monotonic() + 2
    while len(daemon.lines) == before and time.monotonic() < end:
        time.sleep(0.01)
    time.sleep(0.05)          # a second line, if one came, would be there by now
    return received, daemon.lines[before:]


def status_of(answer):
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def with_authorization(*values):
    fields = b"".join(b"Authorization: " + (v if isinstance(v, bytes) else v.encode()) + b"\r\n"
                      for v in values)
    return b"GET /v1/status HTTP/1.1\r\nHost: t\r\n" + fields + b"Connection: close\r\n\r\n"


# (id, the Authorization fields sent, the status)
AUTHORIZATIONS = [
    ("bearer", ["Bearer " + TOKEN], 200),
    ("scheme_in_lower_case", ["bearer " + TOKEN], 200),
    ("scheme_in_upper_case", ["BEARER " + TOKEN], 200),
    ("two_spaces_after_the_scheme", ["Bearer  " + TOKEN], 200),
    ("trailing_spaces", ["Bearer " + TOKEN + "   "], 200),
    ("a_prefix_of_the_token", ["Bearer " + TOKEN[:-1]], 401),
    ("the_token_and_more", ["Bearer " + TOKEN + "X"], 401),
    ("the_token_without_a_scheme", [TOKEN], 401),
    ("basic_scheme", ["Basic " + TOKEN], 401),
    ("tab_for_the_space", ["Bearer\t" + TOKEN], 401),
    ("scheme_only", ["Bearer"], 401),
    ("empty", [""], 401),
    ("none", [], 401),
    ("nul_after_the_token", ["Bearer " + TOKEN + "\x00"], 401),
    ("latin1_bytes", [b"Bearer s3cr3t-T0k\xe9n"], 401),
    ("a_wrong_then_the_right_one", ["Bearer wrong", "Bearer " + TOKEN], 400),
    ("the_right_one_twice", ["Bearer " + TOKEN] * 2, 400),
]


@pytest.mark.parametrize("name, values, status", AUTHORIZATIONS,
                         ids=[case[0] for case in AUTHORIZATIONS])
def test_the_bearer_token_is_checked_whatever_is_sent(daemon, name, values, status):
    answer, logged = exchange(daemon, with_authorization(*values))
    assert status_of(answer) == status, answer[:200]
    if status == 200:
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["schema"] == "tgmon/1"
    else:
        assert b'"error"' in answer and b"schema" not in answer
    assert len(logged) == 1 and '"GET /v1/status HTTP/1.1" %d ' % status in logged[0], logged
    assert TOKEN not in "".join(logged)


# (id, the request, its status, what the log line shows of its request line)
ODD_REQUESTS = [
    ("expect_100_continue_without_a_body",
     b"GET /healthz HTTP/1.1\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", 200,
     '"GET /healthz HTTP/1.1"'),
    ("expect_100_continue_with_a_length",
     b"GET /healthz HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", 413,
     '"GET /healthz HTTP/1.1"'),
    ("chunked_then_a_smuggled_get", b"GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
     b"\r\n0\r\n\r\n" + GET, 413, '"GET /healthz HTTP/1.1"'),
    ("content_length_2_to_the_64", b"GET /healthz HTTP/1.1\r\nContent-Length: "
     b"18446744073709551616\r\n\r\n", 413, '"GET /healthz HTTP/1.1"'),
    ("content_length_negative", b"GET /healthz HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 413,
     '"GET /healthz HTTP/1.1"'),
    ("encoded_line_break_and_header_in_the_path", b"GET /healthz%0d%0aSet-Cookie:%20a=b "
     b"HTTP/1.1\r\nConnection: close\r\n\r\n", 401,
     '"GET /healthz%0d%0aSet-Cookie:%20a=b HTTP/1.1"'),
    ("escape_and_quotes_in_the_path", b'GET /\x1b[31m"x"\x1b]0;t\x07 HTTP/1.1\r\n'
     b"Connection: close\r\n\r\n", 401, '"GET /?[31m?x??]0;t? HTTP/1.1"'),
    ("bare_cr_in_the_path", b"GET /a\rb HTTP/1.1\r\nConnection: close\r\n\r\n", 401,
     '"GET /a?b HTTP/1.1"'),
    ("utf8_line_separator_in_the_path", b"GET /\xe2\x80\xa8 HTTP/1.1\r\n\r\n", 400,
     '"GET /??? HTTP/1.1"'),
    ("bidi_override_in_the_path", b"GET /\xe2\x80\xaetxt.exe HTTP/1.1\r\n\r\n", 400,
     '"GET /???txt.exe HTTP/1.1"'),
    ("nel_in_the_path", b"GET /\xc2\x85x HTTP/1.1\r\n\r\n", 400, '"GET /??x HTTP/1.1"'),
    ("folded_header_line", b"GET /healthz HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400,
     '"GET /healthz HTTP/1.1"'),
    ("a_token_in_the_path", b"GET /v1/status?token=" + TOKEN.encode() + b" HTTP/1.1\r\n"
     b"Connection: close\r\n\r\n", 401, '"GET /v1/status?... HTTP/1.1"'),
    ("a_token_in_a_malformed_line", b"GET /?k=" + TOKEN.encode() + b" x HTTP/1.1\r\n\r\n", 400,
     '"GET /?... x HTTP/1.1"'),
]


@pytest.mark.parametrize("name, request_bytes, status, shown", ODD_REQUESTS,
                         ids=[case[0] for case in ODD_REQUESTS])
def test_an_odd_request_gets_one_answer_and_one_clean_log_line(daemon, name, request_bytes,
                                                              status, shown):
    answer, logged = exchange(daemon, request_bytes)
    assert status_of(answer) == status, answer[:200]
    head = answer.split(b"\r\n\r\n", 1)[0]
    assert b"Set-Cookie" not in head and head.count(b"\r\n") < 10
    log_is_clean(logged)
    assert len(logged) == 1 and " %d " % status in logged[0], logged
    assert shown in logged[0] and TOKEN not in logged[0], logged


# (id, a HEAD request the exporter refuses, the status: the answer has a head and no body)
HEAD_ERRORS = [
    ("malformed_header_field", b"HEAD /healthz HTTP/1.1\r\nnocolon\r\n\r\n", 400),
    ("http_2", b"HEAD /healthz HTTP/2.0\r\n\r\n", 505),
    ("not_found", b"HEAD /nope HTTP/1.1\r\nConnection: close\r\n\r\n", 401),
    ("with_a_length", b"HEAD /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 413),
    ("line_of_3000_bytes", b"HEAD /" + b"a" * 3000 + b" HTTP/1.1\r\n\r\n", 414),
    ("40_header_fields", b"HEAD /healthz HTTP/1.1\r\n" + b"X: y\r\n" * 40 + b"\r\n", 431),
    ("head_of_20_kb", b"HEAD /healthz HTTP/1.1\r\nX: " + b"y" * 20000 + b"\r\n\r\n", 431),
    ("two_authorizations", b"HEAD /v1/status HTTP/1.1\r\nAuthorization: a\r\n"
     b"Authorization: b\r\n\r\n", 400),
    ("head_never_finished", b"HEAD /healthz HTTP/1.1\r\n", 408),
]


@pytest.mark.parametrize("name, request_bytes, status", HEAD_ERRORS,
                         ids=[case[0] for case in HEAD_ERRORS])
def test_a_refused_head_request_gets_no_body_either(daemon, name, request_bytes, status):
    started = time.monotonic()
    answer, logged = exchange(daemon, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert status_of(answer) == status and body == b"", answer[:300]
    assert b"Connection: close" in head and int(head.split(b"Content-Length: ")[1].split(
        b"\r\n")[0]) > 0
    log_is_clean(logged)
    assert time.monotonic() - started < HANG_GUARD + 3    # 408: after the head timeout


def test_a_pipeline_split_at_every_byte_is_answered_as_sent_whole(daemon):
    pipeline = (b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
                b"HEAD /v1/status HTTP/1.1\r\nAuthorization: Bearer " + TOKEN.encode()
                + b"\r\n\r\n" + b"GET /v1/status HTTP/1.1\r\nAuthorization: Bearer "
                + TOKEN.encode() + b"\r\nConnection: close\r\n\r\n")
    started = time.monotonic()
    whole = None
    for split in range(1, len(pipeline)):
        with daemon.connect() as sock:
            sock.sendall(pipeline[:split])
            time.sleep(0.002)
            sock.sendall(pipeline[split:])
            found, closed = answers(sock, ["GET", "HEAD", "GET"], timeout=HANG_GUARD)
        got = [(status, len(body)) for status, _, body in found]
        whole = whole or got
        assert got == whole and [s for s, _ in got] == [200, 200, 200] and closed, split
        assert found[1][2] == b"" and int(found[1][1]["Content-Length"]) == whole[2][1]
    assert time.monotonic() - started < 60


# ---------------------------------------------------------------- the connection cap

def idle(daemon):
    return daemon.connect()


def trickling_head(daemon):
    sock = daemon.connect()
    sock.sendall(b"GET /v1/status HTTP/1.1\r\n")
    return sock


def kept_alive_after_an_answer(daemon):
    sock = daemon.connect()
    sock.sendall(b"GET /healthz HTTP/1.1\r\n\r\n")
    answers(sock, ["GET"], timeout=HANG_GUARD)     # read, then idle on the kept connection
    return sock


def never_reads(daemon):
    sock = daemon.connect(rcvbuf=4096)
    sock.sendall(GET * 4)          # answers of ~850 KB each: they stay with the exporter
    return sock


# (id, what the 10 connections that fill the cap do, the new client's status (0: closed at
# once), how many of the 10 were dropped to make room)
CAP = [
    ("ten_idle", [idle] * 10, 200, 1),
    ("ten_trickling_heads", [trickling_head] * 10, 200, 1),
    ("ten_kept_alive_after_an_answer", [kept_alive_after_an_answer] * 10, 200, 1),
    ("nine_never_reading_one_idle", [never_reads] * 9 + [idle], 200, 1),
    ("ten_never_reading", [never_reads] * 10, 0, 0),
]


@pytest.fixture(scope="module")
def large_state(tmp_path_factory):
    return str(large_state_dir(tmp_path_factory.mktemp("cap")))


def dropped(sock):
    sock.settimeout(0.2)
    try:
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


@pytest.mark.parametrize("name, clients, status, drops", CAP, ids=[case[0] for case in CAP])
def test_at_the_connection_cap_an_idle_client_makes_room(large_state, name, clients, status,
                                                        drops):
    daemon = Daemon("--state-dir", large_state, "--max-connections", "10", "--workers", "2")
    held = []
    try:
        for make in clients:
            held.append(make(daemon))
            time.sleep(0.01)          # who waits longest is well defined
        time.sleep(0.3)
        try:
            got, took, _ = legit_request(daemon.port, 1.0)
        except ConnectionResetError:
            got, took = 0, 0.0
        assert got == status and took < 1.0, (got, took)
        idle_ones = [sock for sock, make in zip(held, clients) if make is not never_reads]
        assert sum(dropped(sock) for sock in idle_ones) == drops
        if drops:   # the one that waited longest
            assert dropped(idle_ones[0])
    finally:
        for sock in held:
            sock.close()
        code, took = daemon.stop()
    assert code == 0 and took < 2
    log_is_clean(daemon.lines)
    said = [line for line in daemon.lines if "--max-connections" in line]
    assert len(said) == drops and all(
        "dropped: it sent no request while all 10 connections were open (--max-connections); "
        "a new client took its place" in line for line in said), said


# ---------------------------------------------------------------- the kept answer

def rewrite_in_place(path, old, new, keep_times=True):
    """Change bytes of a file in place, same size, and put its times back."""
    info = os.stat(path)
    with open(path, "r+b") as handle:
        data = handle.read()
        assert old in data and len(old) == len(new)
        handle.seek(0)
        handle.write(data.replace(old, new))
    if keep_times:
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def rename_over(path, old, new):
    """Replace a file by a renamed copy with one change, same size and times."""
    info = os.stat(path)
    with open(path, "rb") as handle:
        data = handle.read().replace(old, new)
    with open(path + ".new", "wb") as handle:
        handle.write(data)
    os.utime(path + ".new", ns=(info.st_atime_ns, info.st_mtime_ns))
    os.rename(path + ".new", path)


def name_in_place(served):
    rewrite_in_place(os.path.join(served, "status.json"), b'"tg-single"', b'"tg-singlX"')
    return lambda doc: doc["node"]["name"] == "tg-singlX"


def name_renamed_over(served):
    rename_over(os.path.join(served, "status.json"), b'"tg-single"', b'"tg-singlY"')
    return lambda doc: doc["node"]["name"] == "tg-singlY"


def warn_flag_created(served):
    write(os.path.join(served, "update-warn-flag"), "download failed\n")
    return lambda doc: doc["flags"]["warn_flag"]["set"] is True


def lock_removed(served):
    os.unlink(os.path.join(served, "update-lock"))
    return lambda doc: doc["flags"]["update_lock"]["set"] is False


def lock_reason_in_place(served):
    rewrite_in_place(os.path.join(served, "update-lock"), b"scheduled", b"SCHEDULED")
    return lambda doc: doc["flags"]["update_lock"]["lines"][0].startswith("SCHEDULED")


def debian_package_list(served):
    rewrite_in_place(os.path.join(served, "reboot-required.pkgs"), b"linux-a", b"linux-b")
    return lambda doc: doc["flags"]["reboot_required"]["lines"] == ["linux-b"]


def status_removed(served):
    os.unlink(os.path.join(served, "status.json"))
    return None     # an error answer


def dir_swapped(served):
    other = served + "-other"
    os.rename(served, served + "-old")
    os.rename(other, served)
    return lambda doc: doc["node"]["name"] == "tg-node2"


def with_debian_marker(path):
    write(path / "reboot-required", "*** System restart required ***\n")
    write(path / "reboot-required.pkgs", "linux-a\n")


# (id, the example served, how it changes after its answer was kept, set up before)
CHANGES = [
    ("status_rewritten_in_place_times_kept", "healthy-single", name_in_place, None),
    ("status_renamed_over_same_size_and_times", "healthy-single", name_renamed_over, None),
    ("warn_flag_created", "healthy-single", warn_flag_created, None),
    ("update_lock_removed", "update-locked-cluster-node", lock_removed, None),
    ("lock_reason_rewritten_times_kept", "update-locked-cluster-node", lock_reason_in_place,
     None),
    ("debian_package_list_rewritten", "healthy-single", debian_package_list,
     with_debian_marker),
    ("status_removed", "healthy-single", status_removed, None),
    ("state_dir_swapped_for_another", "healthy-single", dir_swapped, None),
]


def get_state(port):
    with socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD) as sock:
        sock.sendall(b"GET /v1/status HTTP/1.1\r\nConnection: close\r\n\r\n")
        found, _ = answers(sock, ["GET"], timeout=HANG_GUARD)
    status, _, body = found[0]
    return status, body


@pytest.mark.parametrize("name, example, change, prepare", CHANGES,
                         ids=[case[0] for case in CHANGES])
def test_a_change_after_the_answer_was_kept_is_served_at_once(tmp_path, name, example, change,
                                                              prepare):
    served = state_dir(tmp_path, example)
    if prepare:
        prepare(served)
    spare = tmp_path / "spare"
    spare.mkdir()
    state_dir(spare, "update-locked-cluster-node").rename(str(served) + "-other")
    time.sleep(2.1)                    # settled: the exporter may keep its answer
    daemon = Daemon("--state-dir", str(served))
    try:
        first, second = get_state(daemon.port), get_state(daemon.port)
        assert first[0] == 200 and first == second     # kept (or equal anyway)
        holds = change(str(served))
        status, body = get_state(daemon.port)
        if holds is None:
            assert status == 503 and "error" in json.loads(body)
        else:
            assert status == 200 and body != first[1] and holds(json.loads(body)), body[:300]
    finally:
        code, took = daemon.stop()
    assert code == 0 and took < 2
    log_is_clean(daemon.lines)


def count_by_class():
    return {"9": len(AUTHORIZATIONS) + len(ODD_REQUESTS) + len(HEAD_ERRORS) + 1 + len(CAP)
            + len(CHANGES)}

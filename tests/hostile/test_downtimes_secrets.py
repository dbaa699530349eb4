"""No secret in the output of tgmon downtimes sync, ever: a password or token in every
shape a URL can carry it (a password with '@', '/', '#', spaces or percent-escapes,
an IPv6 host, a user alone, an empty password, a query or fragment, an URL that
does not parse), given as --icinga-url, --node, a cluster file line or the config
file, and the password file itself. Through the real command's stdout and stderr:
no piece of the secret, exit 2 (1 where the URL is usable and only its node
fails), one line, nothing sent.

Classes (issue 18): 5 no secret in output, 11 safe output.
"""

import pytest

from .common import write
from .fakecores import FakeNagios
from .syncrun import assert_safe, fresh_base, node, password_file, sync

pytestmark = pytest.mark.slow

A, B = "PIECEA-7c1e", "PIECEB-93d0"      # the two halves of every secret
SECRET = A + B


def icinga(url):
    return lambda tmp: ["--icinga-url", url, "--icinga-user", "tgmon",
                        "--icinga-password-file", password_file(tmp)]


def nodes(*values):
    return lambda tmp: [v for value in values for v in ("--node", value)]


def given_in_file(option, content, *more):
    """``option`` naming a file that holds ``content`` (and ``more`` options)."""
    def args(tmp):
        path = tmp / option.strip("-")
        write(path, content, 0o600)
        return [option, str(path)] + list(more)
    return args


def listing(text):
    return given_in_file("--cluster-file", text)


def config(text):
    return given_in_file("--config", text)


def password(content):
    return given_in_file("--icinga-password-file", content, "--icinga-url",
                         "https://127.0.0.1:1", "--icinga-user", "tgmon")


CASES = [
    # (id, argv(tmp), exit code, words in the one line on stderr)
    ("user_and_password", icinga("https://tgmon:%s@master:5665" % SECRET), 2,
     "the URL https://***@master:5665 carries a user or password"),
    ("password_with_at", icinga("https://tgmon:%s@%s@master:5665" % (A, B)), 2,
     "https://***@master:5665"),
    ("password_with_spaces", icinga("https://tgmon:%s %s@master:5665" % (A, B)), 2,
     "https://***@master:5665"),
    ("password_percent_encoded", icinga("https://tgmon:%s%%40%s%%20@master:5665" % (A, B)), 2,
     "https://***@master:5665"),
    ("password_with_slash", icinga("https://tgmon:%s/%s@master:5665/v1" % (A, B)), 2,
     "https://***@master:5665/v1"),
    ("password_with_hash", icinga("https://tgmon:%s#%s@master:5665" % (A, B)), 2,
     "https://***@master:5665"),
    ("password_with_question_mark", icinga("https://tgmon:%s?%s@master:5665" % (A, B)), 2,
     "https://***@master:5665"),
    ("ipv6_host", icinga("https://tgmon:%s@[::1]:5665" % SECRET), 2, "https://***@[::1]:5665"),
    ("ipv6_unbalanced", icinga("https://tgmon:%s@[::1:5665" % SECRET), 2,
     "(a URL that cannot be parsed, not shown)"),
    ("user_only", icinga("https://%s@master:5665" % SECRET), 2, "https://***@master:5665"),
    ("empty_password", icinga("https://%s:@master:5665" % SECRET), 2,
     "https://***@master:5665"),
    ("credentials_before_the_scheme", icinga("%s@https://master:5665" % SECRET), 2,
     "(a URL that cannot be parsed, not shown)"),
    ("query_token", icinga("https://master:5665/?password=%s" % SECRET), 2,
     "--icinga-url https://master:5665/?*** has a query or fragment"),
    ("fragment_token", icinga("https://master:5665/#%s" % SECRET), 2,
     "--icinga-url https://master:5665/?*** has a query or fragment"),
    ("node_url_with_password", nodes("https://admin:%s@127.0.0.1:1/v1/status" % SECRET), 2,
     "the URL https://***@127.0.0.1:1/v1/status carries a user or password"),
    ("named_node_url_with_password",
     nodes("tg1=https://admin:%s@%s@127.0.0.1:1/v1/status" % (A, B)), 2,
     "https://***@127.0.0.1:1/v1/status"),
    # credentials percent-encoded: no '@' at all, refused before anything is sent
    ("icinga_url_percent_encoded_credentials", icinga("https://tgmon%%3A%s%%40master:5665"
                                                      % SECRET), 2,
     "bad URL (no plain host, not shown)"),
    ("icinga_url_percent_encoded_at_only", icinga("https://%s%%40master:5665" % SECRET), 2,
     "bad URL (no plain host, not shown)"),
    ("icinga_url_without_host", icinga("https:///tgmon:%s" % SECRET), 2,
     "bad URL (no plain host, not shown)"),
    ("icinga_url_with_a_line_break", icinga("https://master:5665/\n%s" % SECRET), 2,
     "bad URL (not printable ASCII, not shown)"),
    ("node_url_percent_encoded_credentials",
     nodes("tg1=https://admin%%3A%s%%40127.0.0.1:1/v1/status" % SECRET), 2,
     "bad URL (no plain host, not shown)"),
    ("node_without_scheme", nodes("admin:%s@tg1" % SECRET), 2,
     "--node ***@tg1 is neither a URL nor an absolute state dir path"),
    ("node_query_token", nodes("tg1=https://127.0.0.1:1/v1/status?token=%s" % SECRET), 1,
     "node https://127.0.0.1:1/v1/status?*** not read"),
    ("cluster_file_line", listing("tg1 https://admin:%s@127.0.0.1:1/v1/status\n" % SECRET), 2,
     "https://***@127.0.0.1:1/v1/status carries a user or password"),
    ("config_icinga_url", config("downtimes:\n  icinga_url: https://tgmon:%s@m:5665\n"
                                 "  icinga_user: tgmon\n  icinga_password_file: /x\n"
                                 % SECRET), 2, "https://***@m:5665"),
    ("password_file_two_lines", password("%s\n%s\n" % (A, B)), 2,
     "must hold the password on one line"),
    ("password_file_binary", password(b"\xff\xfe" + SECRET.encode() + b"\x00"), 2,
     "is not UTF-8 text"),
]


@pytest.mark.parametrize("name, argv, code, words", CASES, ids=[c[0] for c in CASES])
def test_no_piece_of_a_secret_is_ever_shown(short_tmp, name, argv, code, words):
    fresh_base()
    nagios = FakeNagios(short_tmp, ["tg-node1", "tg1"])
    try:
        args = argv(short_tmp)
        if "--node" not in args and "--cluster-file" not in args:
            args += ["--node", node(short_tmp, "n/tg-node1")]
        run = sync(args + nagios.args(), timeout=3)
    finally:
        nagios.close()
    assert run.code == code, run
    assert_safe(run, timeout=3, secrets=(A, B, "7c1e", "93d0"))
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and words in lines[0], run
    assert nagios.received == [], run

"""Nagios' external commands: the one encoder, and the command file checked when it
is written to (tgmon.cores.nagios).

The encoder table runs in-process: every hostile field is refused with one line
naming it (sanitised), every comment is cleaned, and what is encoded splits into
exactly the fields Nagios expects. The pipe table runs the real command against a
command file that is not Nagios' pipe, or stops being one while the nodes are read:
exit 2, one line, and nothing written - the file put in its place is unchanged.

Classes (issue 18): 1 one safe encoder, the pipe checked at the moment of writing;
3 never a zero or negative duration; 11 safe output.
"""

import os

import pytest

from tgmon.cores import Downtime, Refused
from tgmon.cores.nagios import PIPE_BUF, encode, schedule_downtime

from .fakecores import FakeNagios, sound_commands
from .syncrun import assert_safe, fresh_base, node, remote_document, sync
from .test_http_client import Server, http_answer

HOST = "tg-node1"
GOOD = Downtime(HOST, "TightGate maintenance", 1000, 4600, "tgmon: planned maintenance")

REFUSED = [
    # (id, the downtime, words in the refusal)
    ("host_semicolon", GOOD._replace(host="tg1;DEL_HOST_DOWNTIME;1"), "holds ';'"),
    ("host_newline", GOOD._replace(host="tg1\n[0] DEL_HOST_DOWNTIME;1"), "a line break"),
    ("host_carriage_return", GOOD._replace(host="tg1\rx"), "a line break"),
    ("host_vertical_tab", GOOD._replace(host="tg1\x0bx"), "a line break"),
    ("host_file_separator", GOOD._replace(host="tg1\x1cx"), "a line break"),
    ("host_next_line", GOOD._replace(host="tg1\x85x"), "a line break"),
    ("host_line_separator", GOOD._replace(host="tg1\u2028x"), "a line break"),
    ("host_paragraph_separator", GOOD._replace(host="tg1\u2029x"), "a line break"),
    ("host_nul", GOOD._replace(host="tg1\x00x"), "the control character U+0000"),
    ("host_escape", GOOD._replace(host="tg1\x1b[2J"), "the control character U+001B"),
    ("host_bidi_override", GOOD._replace(host="\u202etg1"), "the control character U+202E"),
    ("host_zero_width", GOOD._replace(host="tg\u200b1"), "the control character U+200B"),
    ("host_empty", GOOD._replace(host=""), "host '' is empty"),
    ("host_huge", GOOD._replace(host="t" * 5000), "longer than 1024 characters"),
    ("service_semicolon", GOOD._replace(service="maint;1;2"), "service maint;1;2 holds ';'"),
    ("service_newline", GOOD._replace(service="maint\n"), "a line break"),
    ("ends_before_it_starts", GOOD._replace(end=999), "ends (999) before it starts (1000)"),
    ("no_duration", GOOD._replace(end=1000), "ends (1000) before it starts (1000)"),
]


@pytest.mark.parametrize("name, downtime, words", REFUSED, ids=[c[0] for c in REFUSED])
def test_the_encoder_refuses_a_field_that_could_shift(name, downtime, words):
    with pytest.raises(Refused) as refused:
        schedule_downtime(downtime, "tgmon", now=1)
    line = "%s - %s" % (refused.value.cause, refused.value.fix)
    assert words in line, line
    assert line.isprintable() and len(line) < 400, line


def test_the_author_is_a_field_too():
    with pytest.raises(Refused) as refused:
        schedule_downtime(GOOD, "tgmon;x", now=1)
    assert "author tgmon;x holds ';'" in refused.value.cause


CLEANED = [
    # (id, comment) - cleaned to one line without ';', the fields never shift
    ("comment_semicolons", "a;b;DEL_HOST_DOWNTIME;1"),
    ("comment_newline_and_command", "x\n[0] DEL_HOST_DOWNTIME;1\n"),
    ("comment_crlf", "x\r\n[0] SHUTDOWN_PROGRAM"),
    ("comment_unicode_breaks", "x\u2028y\u2029z\x85w\x0bv\x0cu"),
    ("comment_controls_and_bidi", "\x00\x1b[2J\u202egnp.exe\u200b\x7f"),
    ("comment_macro_characters", "$(rm -rf /) `id` | <b> & ~ \"q\" 'q'"),
    ("comment_huge", "x" * 100000),
]


@pytest.mark.parametrize("name, comment", CLEANED, ids=[c[0] for c in CLEANED])
def test_a_comment_is_cleaned_and_no_field_shifts(name, comment):
    for downtime in (GOOD._replace(comment=comment), GOOD._replace(service=None,
                                                                    comment=comment)):
        data = schedule_downtime(downtime, "tgmon", now=1)
        assert len(data) <= PIPE_BUF and data.endswith(b"\n") and data.count(b"\n") == 1
        line = data.decode("utf-8")[:-1]
        assert line.isprintable(), line
        fields = line.split(";")
        assert len(fields) == (10 if downtime.service else 9), line
        assert fields[:3 if downtime.service else 2] == (
            ["[1] SCHEDULE_SVC_DOWNTIME", HOST, downtime.service] if downtime.service
            else ["[1] SCHEDULE_HOST_DOWNTIME", HOST])
        assert fields[-7:-1] == ["1000", "4600", "1", "0", "3600", "tgmon"], line
        assert not set(fields[-1]) & set("$`|<>&~\"'"), line


def test_only_names_and_integers_are_fields():
    assert encode("DEL_SVC_DOWNTIME", [12], now=5) == b"[5] DEL_SVC_DOWNTIME;12\n"
    for bad in ([True], [1.5], [None], [b"x"]):
        with pytest.raises(TypeError):
            encode("DEL_SVC_DOWNTIME", bad, now=5)
    with pytest.raises(ValueError):
        encode("DEL_SVC_DOWNTIME;1\n[0] SHUTDOWN_PROGRAM", [], now=5)


# ---------------------------------------------------------------- the pipe, as the command
def regular_file(nagios, tmp):
    os.unlink(nagios.command_file)
    with open(nagios.command_file, "wb") as handle:
        handle.write(b"untouched\n")


def symlink_to_the_pipe(nagios, tmp):
    os.rename(nagios.command_file, nagios.command_file + ".real")
    os.symlink(nagios.command_file + ".real", nagios.command_file)


def symlink_to_a_file(nagios, tmp):
    target = tmp / "victim"
    target.write_bytes(b"untouched\n")
    os.unlink(nagios.command_file)
    os.symlink(target, nagios.command_file)


def missing(nagios, tmp):
    os.unlink(nagios.command_file)


def directory(nagios, tmp):
    os.unlink(nagios.command_file)
    os.mkdir(nagios.command_file)


def another_pipe(nagios, tmp):
    """Nagios' pipe moved away, another one in its place, read by someone else."""
    os.rename(nagios.command_file, nagios.command_file + ".real")
    os.mkfifo(nagios.command_file)
    nagios.other = os.open(nagios.command_file, os.O_RDONLY | os.O_NONBLOCK)


def read_now(fd):
    try:
        return os.read(fd, 4096)
    except BlockingIOError:
        return b""


def fifo_without_reader(nagios, tmp):
    os.unlink(nagios.command_file)
    os.mkfifo(nagios.command_file)


def status_fifo(nagios, tmp):
    os.unlink(nagios.status_file)
    os.mkfifo(nagios.status_file)


def status_huge(nagios, tmp):
    with open(nagios.status_file, "r+b") as handle:
        handle.truncate((1 << 30) + 1)


def status_binary(nagios, tmp):
    with open(nagios.status_file, "wb") as handle:
        handle.write(os.urandom(1 << 20).replace(b"}", b"{"))


def status_endless_line(nagios, tmp):
    with open(nagios.status_file, "ab") as handle:
        handle.write(b"hoststatus {\n\thost_name=" + b"x" * (8 << 20) + b"\n\t}\n")


BEFORE = [
    # (id, what the command file or status.dat is before the run, exit code, words)
    ("command_file_regular", regular_file, 2, "is a regular file, not a pipe"),
    ("command_file_symlink_to_the_pipe", symlink_to_the_pipe, 2,
     "is a symlink, tgmon writes through none"),
    ("command_file_symlink_to_a_file", symlink_to_a_file, 2, "is a symlink"),
    ("command_file_missing", missing, 2, "does not exist"),
    ("command_file_directory", directory, 2, "is a directory, not a pipe"),
    ("command_file_without_reader", fifo_without_reader, 2,
     "Nagios does not read its command file"),
    ("status_file_fifo", status_fifo, 2, "is a FIFO, not a regular file"),
    ("status_file_huge", status_huge, 2, "is over 1073741824 bytes"),
    ("status_file_binary", status_binary, 1, "Nagios: no host tg-node1 for node tg-node1"),
    ("status_file_endless_line", status_endless_line, 0, None),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, spoil, code, words", BEFORE, ids=[c[0] for c in BEFORE])
def test_the_command_file_and_status_dat_as_found(short_tmp, name, spoil, code, words):
    fresh_base()
    nagios = FakeNagios(short_tmp, [HOST], [(HOST, "TightGate maintenance")])
    try:
        spoil(nagios, short_tmp)
        run = sync(["--node", node(short_tmp, "n/tg-node1")] + nagios.args())
    finally:
        nagios.close()
    assert run.code == code, run
    assert_safe(run)
    if words is None:
        assert run.stderr == "" and "Nagios: 1 added" in run.stdout, run
        return
    assert_nothing_written(run, nagios, short_tmp, words)


def assert_nothing_written(run, nagios, tmp, words):
    """One line on stderr; the pipe got nothing, a file in its place is unchanged."""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and words in lines[0], run
    assert nagios.received == [], run
    for path in (nagios.command_file, tmp / "victim"):
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                assert handle.read() == b"untouched\n", path


REPLACED = [
    # (id, what the command file becomes while the nodes are read, words)
    ("regular_file", regular_file, "is a regular file, not a pipe"),
    ("symlink_to_a_file", symlink_to_a_file, "is a symlink, tgmon writes through none"),
    ("symlink_to_the_pipe", symlink_to_the_pipe, "is a symlink, tgmon writes through none"),
    ("directory", directory, "is a directory, not a pipe"),
    ("missing", missing, "does not exist"),
    ("another_pipe_with_a_reader", another_pipe,
     "is another pipe than when the run began, nothing written - if Nagios restarted"),
]


@pytest.mark.slow
@pytest.mark.parametrize("replace, swap, words", REPLACED, ids=[c[0] for c in REPLACED])
def test_the_command_file_replaced_while_the_nodes_are_read(short_tmp, replace, swap, words):
    """A node's exporter that answers only after the pipe became something else: the
    check that counts is the one when the commands are written, against the pipe of
    the run's start - and stdout claims nothing was added (review finding 7)."""
    fresh_base()
    nagios = FakeNagios(short_tmp, [HOST], [(HOST, "TightGate maintenance")])
    nagios.other = None

    def respond(conn, request, server):
        swap(nagios, short_tmp)
        conn.sendall(http_answer("200 OK", remote_document()))
    exporter = Server(respond)
    try:
        run = sync(["--node", "tg-node1=" + exporter.url()] + nagios.args())
        if nagios.other is not None:
            assert read_now(nagios.other) == b"", run     # nothing came through the other
    finally:
        exporter.close()
        nagios.close()
        if nagios.other is not None:
            os.close(nagios.other)
    assert run.code == 2, run
    assert_safe(run)
    assert run.stdout.splitlines() == ["tgmon downtimes: 1 of 1 nodes synced, 1 windows; "
                                       "Nagios: failed"], run
    assert_nothing_written(run, nagios, short_tmp, words)


@pytest.mark.slow
def test_a_full_pipe_is_waited_for_within_t(short_tmp):
    """Nagios that stopped reading: the pipe fills, the sync gives up at -t in one line."""
    fresh_base()
    nagios = FakeNagios(short_tmp, [HOST], [(HOST, "TightGate maintenance")])
    nagios.stopped.set()
    nagios.thread.join()
    try:
        os.write(nagios.wfd, b"x" * 65536)     # fill the pipe's buffer
    except BlockingIOError:
        pass
    try:
        run = sync(["--node", node(short_tmp, "n/tg-node1")] + nagios.args(), timeout=2)
    finally:
        nagios.close()
    assert run.code == 2, run
    assert_safe(run, timeout=2)
    assert run.stderr.splitlines()[-1].endswith(
        "Nagios: Nagios' command pipe stayed full until -t - check that Nagios processes "
        "its commands"), run


@pytest.mark.slow
def test_commands_that_reach_nagios_are_sound(short_tmp):
    fresh_base()
    nagios = FakeNagios(short_tmp, [HOST], [(HOST, "TightGate maintenance")])
    try:
        args = ["--node", node(short_tmp, "n/tg-node1", reason="a;b\n[0] SHUTDOWN_PROGRAM")]
        first = sync(args + nagios.args() + ["--nagios-host-downtime"])
        second = sync(args + nagios.args() + ["--nagios-host-downtime"])
    finally:
        nagios.close()
    assert (first.code, second.code) == (0, 0), (first, second)
    assert "Nagios: 2 added, 0 removed, 0 unchanged" in first.stdout, first
    assert "Nagios: 0 added, 0 removed, 2 unchanged" in second.stdout, second
    lines = sound_commands(nagios)
    assert len(lines) == 2 and all("a,b [0] SHUTDOWN_PROGRAM" in line for line in lines)


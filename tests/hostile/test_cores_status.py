"""Nagios' status.dat read as Nagios writes it (tgmon.cores.nagios.read_status): a tab
of indentation, then key=value with the value exactly as the object has it. A value's
own spaces stay (an operator's author "tgmon " is not tgmon), a CRLF line end goes, a
block that lost its closing '}' is dropped - never merged into the next one, whose
host and id would then be another's - and bytes that are not UTF-8 stay visible as
such (a name that cannot be written back as Nagios spells it).

The first table reads crafted files in-process; the second runs the sync against a
status.dat with operators' downtimes that only look like tgmon's: what reached the
pipe, and which downtimes are left.

Classes (issue 18): 2 ownership re-checked, 11 safe output. Review finding 9.
"""

import time

import pytest

from tgmon.cores.nagios import read_status

from .fakecores import FakeNagios, sound_commands
from .syncrun import NAGIOS_SERVICE, assert_lines, assert_safe, fresh_base, node, sync, window

KINDS = {"hostdowntime", "servicedowntime"}

PARSED = [
    # (id, status.dat, the blocks read, without their _kind)
    ("value_spaces_are_the_values", b"servicedowntime {\n\tauthor=tgmon \n\tcomment= tgmon: x"
     b"\n\t}\n", [{"author": "tgmon ", "comment": " tgmon: x"}]),
    ("crlf_line_ends", b"hostdowntime {\r\n\tauthor=tgmon\r\n\tdowntime_id=3\r\n\t}\r\n",
     [{"author": "tgmon", "downtime_id": "3"}]),
    ("unterminated_block_dropped", b"servicedowntime {\n\thost_name=tg-other\n\tdowntime_id=777"
     b"\n\tauthor=operator\nservicedowntime {\n\thost_name=tg-node1\n\tauthor=tgmon\n\t}\n",
     [{"host_name": "tg-node1", "author": "tgmon"}]),
    ("unterminated_block_of_another_kind", b"info {\n\tversion=4\nhostdowntime {\n\t"
     b"downtime_id=1\n\t}\n", [{"downtime_id": "1"}]),
    ("unterminated_at_the_end", b"hostdowntime {\n\tdowntime_id=1\n\t}\nhostdowntime {\n\t"
     b"downtime_id=2\n", [{"downtime_id": "1"}]),
    ("brace_inside_a_value", b"servicedowntime {\n\tcomment=x {\n\tdowntime_id=4\n\t}\n",
     [{"comment": "x {", "downtime_id": "4"}]),
    ("equals_inside_a_value", b"servicedowntime {\n\tcomment=a=b\n\t}\n", [{"comment": "a=b"}]),
    ("spaces_as_indentation", b"  hostdowntime  {\n    author=tgmon\n  }  \n",
     [{"author": "tgmon"}]),
    ("closing_brace_outside_a_block", b"}\nhostdowntime {\n\tauthor=x\n\t}\n}\n",
     [{"author": "x"}]),
    ("latin1_bytes_stay_visible", b"servicedowntime {\n\tservice_description=f\xfcr\n\t}\n",
     [{"service_description": "f\udcfcr"}]),
    ("other_kinds_ignored", b"servicestatus {\n\thost_name=a\n\t}\n", []),
]


@pytest.mark.parametrize("name, content, blocks", PARSED, ids=[c[0] for c in PARSED])
def test_status_dat_is_read_as_nagios_writes_it(short_tmp, name, content, blocks):
    path = short_tmp / "status.dat"
    path.write_bytes(content)
    read = read_status(str(path), KINDS, lambda block: True, time.monotonic() + 5)
    assert [{k: v for k, v in block.items() if k != "_kind"} for block in read] == blocks


OLD = (1000, 2000)
BEFORE = [
    # (label, host, author, comment): in status.dat before the run, each to be kept
    ("author_with_a_trailing_space", "tg-node1", "tgmon ", "tgmon: looks like ours"),
    ("author_capitalised", "tg-node1", "Tgmon", "tgmon: looks like ours"),
    ("comment_with_a_leading_space", "tg-node1", "tgmon", " tgmon: looks like ours"),
    ("prefix_without_its_space", "tg-node1", "tgmon", "tgmon:x looks like ours"),
    ("ours_on_a_host_not_read", "tg-other", "tgmon", "tgmon: planned maintenance"),
]
MERGED = ("servicedowntime {\n\thost_name=tg-other\n\tservice_description=%s\n\t"
          "downtime_id=777\n\tauthor=operator\n\tcomment=theirs\nservicedowntime {\n\t"
          "host_name=tg-node1\n\tservice_description=%s\n\tstart_time=1\n\tend_time=2\n\t"
          "author=tgmon\n\tcomment=tgmon: merged\n\t}\n" % (NAGIOS_SERVICE, NAGIOS_SERVICE))

RUNS = [
    # (id, FakeNagios options, operators' downtimes kept, stale ones of tgmon's, the
    #  downtime ids DEL_SVC_DOWNTIME may name)
    ("lookalikes_kept_the_stale_one_removed", {}, BEFORE, 1, {len(BEFORE) + 1}),
    ("crlf_status_dat", {"newline": "\r\n"}, BEFORE, 1, {len(BEFORE) + 1}),
    ("unterminated_block_never_merged", {"extra": MERGED}, BEFORE, 0, set()),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, options, kept, stale, deleted", RUNS, ids=[c[0] for c in RUNS])
def test_only_tgmons_own_downtimes_are_removed(short_tmp, name, options, kept, stale,
                                               deleted):
    fresh_base()
    nagios = FakeNagios(short_tmp, ["tg-node1", "tg-other"],
                        [("tg-node1", NAGIOS_SERVICE), ("tg-other", NAGIOS_SERVICE)], **options)
    for _, host, author, comment in kept:
        nagios.add(host, NAGIOS_SERVICE, *OLD, author, comment)
    for _ in range(stale):
        nagios.add("tg-node1", NAGIOS_SERVICE, *OLD, "tgmon", "tgmon: planned maintenance, old")
    try:
        run = sync(["--node", node(short_tmp, "n/tg-node1")] + nagios.args())
    finally:
        nagios.close()
    assert run.code == 0, run
    assert_safe(run)
    assert_lines(run, [])
    lines = sound_commands(nagios)
    assert {int(line.rsplit(";", 1)[1]) for line in lines if "DEL_SVC_DOWNTIME" in line} \
        == deleted, lines
    left = {(d["host"], d["author"], d["comment"]) for d in nagios.downtimes.values()}
    assert left >= {(host, author, comment) for _, host, author, comment in kept}, left
    assert ("tg-node1", NAGIOS_SERVICE) + window(0) in nagios.ours(), run
    assert len(left) == len(kept) + 1, left

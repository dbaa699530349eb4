"""Hostile and broken nodes against tgmon downtimes sync, into both cores at once (the
stand-ins of fakecores.py): a node gets downtimes only on the host it is configured
as, one bad node never stops the others, and every line printed is safe text.

Each case: exit code, one line on stderr per thing skipped (the words given), every
line printable, no secret, and the downtimes each core holds afterwards - every
window tells whose plan it came from (node number ``offset``'s starts ``offset`` h
later) - with every line that reached Nagios' pipe one a faithful encoder writes.

Classes (issue 18): 2 ownership and configured names, 3 one bad node never stops the
others, 11 the tool's output is safe text.
"""

import pytest

from .fakecores import sound_commands
from .syncrun import (HOUR, ICINGA_SERVICE, NAGIOS_SERVICE, assert_lines, assert_safe,
                      cluster_file, cores,
                      fresh_base, garbage_node, node, password_file, start_of_plan, sync, window)

pytestmark = pytest.mark.slow

BOTH = {"tg-node1": 0, "tg-node2": 1}
HOSTILE = "\u202etg-node1\x1b[2J\r\n[0] DEL_HOST_DOWNTIME;1\x00\u2028"


def two(tmp, **first):
    """tg-node1 (changed by ``first``) and a healthy tg-node2, by their dirs' names."""
    return ["--node", node(tmp, "n/tg-node1", **first),
            "--node", node(tmp, "n/tg-node2", claim="tg-node2", offset=1)]


CASES = [
    # (id, classes, nodes(tmp) -> argv, cores(...) options, exit code, words on stderr,
    #  {host: offset} in Nagios, {host: offset} in Icinga 2)
    ("two_nodes_named_by_their_dirs", "2", lambda t: two(t), {}, 0, [], BOTH, BOTH),
    ("dir_calls_itself_another_host", "2",
     lambda t: two(t, claim="tg-node2", offset=5), {}, 1,
     ["tg-node1 calls itself tg-node2, which neither a NAME nor its source names"],
     {"tg-node2": 1}, {"tg-node2": 1}),
    ("name_calls_itself_another_host", "2",
     lambda t: ["--node", "tg-node1=" + node(t, "n/a", claim="tg-node2", offset=5),
                "--node", node(t, "n/tg-node2", claim="tg-node2", offset=1)], {}, 1,
     ["is configured as tg-node1 but calls itself tg-node2 - no downtime for it"],
     {"tg-node2": 1}, {"tg-node2": 1}),
    ("hostile_node_alone_claims_a_host_the_core_has", "2",
     lambda t: ["--node", "tg-node3=" + node(t, "n/c", claim="tg-node1", offset=5)],
     {}, 1, ["is configured as tg-node3 but calls itself tg-node1"], {}, {}),
    ("name_matches_the_claim_in_any_case", "2",
     lambda t: ["--node", "tg-node1=" + node(t, "n/a", claim="TG-NODE1"),
                "--node", "tg-node2=" + node(t, "n/b", claim="tg-node2", offset=1)],
     {}, 0, [], BOTH, BOTH),
    ("cluster_file_with_names", "2",
     lambda t: ["--cluster-file", cluster_file(t, "# name  state dir\ntg-node1 %s\n"
                                                  "tg-node2 %s  # second\n"
                                                  % (node(t, "n/a"), node(t, "n/b",
                                                                          claim="tg-node2",
                                                                          offset=1)))],
     {}, 0, [], BOTH, BOTH),
    ("claim_with_a_semicolon", "2 11",
     lambda t: two(t, claim="tg-node1;DEL_HOST_DOWNTIME;1"), {}, 1,
     ["calls itself tg-node1;DEL_HOST_DOWNTIME;1, which neither"], {"tg-node2": 1}, {"tg-node2": 1}),
    ("claim_with_line_breaks_bidi_and_escapes", "2 11",
     lambda t: two(t, claim=HOSTILE), {}, 1, ["calls itself tg-node1[2J [0] DEL_HOST_"],
     {"tg-node2": 1}, {"tg-node2": 1}),
    ("two_dirs_of_one_name", "2",
     lambda t: ["--node", node(t, "a/tg-node1"), "--node", node(t, "b/tg-node1", offset=3)],
     {}, 1, ["b/tg-node1 is tg-node1 again"], {"tg-node1": 0}, {"tg-node1": 0}),
    ("node_not_there", "3",
     lambda t: two(t)[:2] + ["--node", str(t / "n" / "tg-gone")], {}, 1,
     [("tg-gone not read", "its downtimes stay as they are")], {"tg-node1": 0},
     {"tg-node1": 0}),
    ("node_answers_garbage", "3 11",
     lambda t: two(t)[2:] + ["--node", garbage_node(t, "g/tg-node1", b"\x1b[2J{\xff\n")],
     {}, 1, ["tg-node1 not read"], {"tg-node2": 1}, {"tg-node2": 1}),
    ("node_stale", "3",
     lambda t: two(t, age=3 * HOUR), {}, 1, ["tg-node1 not read"], {"tg-node2": 1},
     {"tg-node2": 1}),
    ("window_ends_before_it_starts", "3",
     lambda t: two(t, end=start_of_plan(0) - HOUR), {}, 1,
     [("node tg-node1: its planned maintenance ends", "before it starts")],
     {"tg-node2": 1}, {"tg-node2": 1}),
    ("window_of_no_length", "3",
     lambda t: two(t, end=start_of_plan(0)), {}, 1,
     ["node tg-node1: its planned maintenance ends"], {"tg-node2": 1}, {"tg-node2": 1}),
    ("host_missing_in_both_cores", "3",
     lambda t: two(t) + ["--node", node(t, "n/tg-node3", claim="tg-node3", offset=2)],
     {}, 1, ["Nagios: no host tg-node3 for node tg-node3", "Icinga 2: no host tg-node3"],
     BOTH, BOTH),
    ("icinga_refuses_one_downtime", "3",
     lambda t: two(t), {"refuse": lambda body: body["filter_vars"]["h"] == "tg-node2"
                        and "s" not in body["filter_vars"]}, 1,
     [("Icinga 2: could not add host downtime tg-node2", "refused to schedule downtime: "
       "Invalid downtime")], BOTH, {"tg-node1": 0, "tg-node2": ("service", 1)}),
    ("icinga_refusal_in_hostile_words", "3 11",
     lambda t: two(t), {"refuse": lambda body: body["filter_vars"]["h"] == "tg-node1"
                        and "s" in body["filter_vars"],
                        "refusal": "boom\x1b[2J\r\n[0] DEL_HOST_DOWNTIME;1\u202e"}, 1,
     ["refused to schedule downtime: boom[2J [0] DEL_HOST_DOWNTIME;1 - look"], BOTH,
     {"tg-node2": 1, "tg-node1": ("host", 0)}),
    ("reason_trying_to_inject_commands", "1 11",
     lambda t: two(t, reason="x;y\n[0] DEL_HOST_DOWNTIME;1\r\x00\x1b[2J\u202e$(id)|`"),
     {}, 0, [], BOTH, BOTH),
    ("every_node_bad", "3",
     lambda t: two(t, claim="tg-node9")[:2] + ["--node", str(t / "n" / "tg-gone")], {}, 1,
     ["calls itself tg-node9", "tg-gone not read"], {}, {}),
    ("nagios_service_with_a_semicolon", "1",
     lambda t: two(t), {"nagios_services": [("tg-node1", "TightGate; maintenance"),
                                            ("tg-node2", NAGIOS_SERVICE)]}, 1,
     ["Nagios: service TightGate; maintenance of tg-node1 holds ';' - it gets no downtime"], {"tg-node2": 1}, BOTH),
    ("icinga_service_with_a_line_break", "2 11",
     lambda t: two(t), {"icinga_services": [("tg-node1", "maint\nenance", "tgmon_maintenance"),
                                            ("tg-node2", ICINGA_SERVICE, "tgmon_maintenance")]},
     1, ["Icinga 2: service maint enance of tg-node1 is not one printable line"], BOTH,
     {"tg-node2": 1, "tg-node1": ("host", 0)}),
    ("icinga_answers_objects_it_was_not_asked_for", "2",
     lambda t: two(t), {"honest": False, "hosts": ("tg-node1", "tg-node2", "tg-evil")}, 0,
     [], BOTH, BOTH),
]


@pytest.mark.parametrize("name, classes, nodes, options, code, words, in_nagios, in_icinga",
                         CASES, ids=[c[0] for c in CASES])
def test_nodes_against_both_cores(short_tmp, name, classes, nodes, options, code, words,
                                  in_nagios, in_icinga):
    fresh_base()
    options = dict(options)
    hosts = options.pop("hosts", ("tg-node1", "tg-node2"))
    nagios, api = cores(short_tmp, **options)
    api.hosts = list(hosts)        # Icinga 2 may have a host no node is configured as
    try:
        run = sync(nodes(short_tmp) + nagios.args() + api.args(password_file(short_tmp)))
    finally:
        nagios.close()
        api.close()
    assert run.code == code, run
    assert_safe(run)
    assert_lines(run, words)
    assert set(nagios.ours()) == nagios_downtimes(in_nagios), run
    assert set(api.ours()) == icinga_downtimes(in_icinga), run
    sound_commands(nagios)
    for downtime in api.downtimes.values():
        assert downtime["comment"].startswith("tgmon: planned maintenance of tg-node")
        assert downtime["comment"].isprintable() and ";" not in downtime["comment"]


def nagios_downtimes(hosts):
    return {(host, NAGIOS_SERVICE) + window(offset) for host, offset in hosts.items()}


def icinga_downtimes(hosts):
    """{host: offset} -> the host's and the service's downtime; {host: ("host"|"service",
    offset)} -> only that one."""
    held = set()
    for host, offset in hosts.items():
        only, offset = offset if isinstance(offset, tuple) else (None, offset)
        for service in (None, ICINGA_SERVICE):
            if only is None or (service is None) == (only == "host"):
                held.add((host, service) + window(offset))
    return held


def test_a_node_that_never_answers_leaves_the_cores_their_time(short_tmp):
    """An exporter that accepts and never answers: it is given up within half of -t,
    the other node is synced into both cores, exit 1, within -t."""
    from remote.servers import BlackHole
    fresh_base()
    hole = BlackHole()
    nagios, api = cores(short_tmp)
    try:
        run = sync(two(short_tmp)[2:] + ["--node", "tg-node1=http://127.0.0.1:%d/v1/status"
                                         % hole.port] + nagios.args()
                   + api.args(password_file(short_tmp)))
    finally:
        hole.close()
        nagios.close()
        api.close()
    assert run.code == 1, run
    assert_safe(run)
    assert_lines(run, [("node http://127.0.0.1:%d/v1/status not read: no answer within -t 2"
                        % hole.port, "its downtimes stay as they are")])
    assert set(nagios.ours()) == nagios_downtimes({"tg-node2": 1}), run
    assert set(api.ours()) == icinga_downtimes({"tg-node2": 1}), run

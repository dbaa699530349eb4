"""Never trust the core's answers about ownership: Icinga 2's API (the stand-in of
fakecores.py) answering, with or without its filter, downtimes that are not
tgmon's - another author, no comment prefix, a host this run did not read, a name
that points at another object, fields of the wrong type. Only tgmon's downtimes on
the hosts read are ever removed, and every removal carries tgmon's conditions in
its own filter.

Each case: exit code, the lines on stderr, every line safe and without the
password, and which of the downtimes that existed before the run are still there.

Classes (issue 18): 2 ownership re-checked client-side, 3 a refused action does not
stop the rest, 11 safe output.
"""

import pytest

from .fakecores import FakeIcinga
from .syncrun import (ICINGA_SERVICE, assert_lines, assert_safe, fresh_base, node,
                      password_file, sync, window)

pytestmark = pytest.mark.slow

NODE = "tg-node1"
HOSTS = (NODE, "tg-other")
OLD = (1000, 2000)      # a window long gone: a downtime of tgmon's with it is stale


def existing(**kinds):
    """The downtimes there before the run, by label: (host, service, author, comment)."""
    table = {
        "operator": (NODE, None, "operator", "rack work"),
        "operator_elsewhere": ("tg-other", None, "operator", "rack work"),
        "operator_with_our_prefix": (NODE, None, "operator", "tgmon: looks like ours"),
        "ours_without_prefix": (NODE, None, "tgmon", "manual downtime by a person"),
        "ours_on_a_host_not_read": ("tg-other", None, "tgmon", "tgmon: planned maintenance"),
        "another_tgmon": (NODE, None, "tgmon2", "tgmon: planned maintenance of tg-node1"),
        "stale": (NODE, None, "tgmon", "tgmon: planned maintenance of tg-node1, old"),
        "stale_service": (NODE, ICINGA_SERVICE, "tgmon", "tgmon: planned maintenance, old"),
    }
    return {label: table[label] for label in kinds}


def forged_name(label):
    """An object in the answer whose attributes are a stale downtime of tgmon's on the
    node, but whose name is the operator's downtime ``label``: removing it by that name
    alone would remove the operator's."""
    def forge(api, labels):
        operator = labels[label]
        return [{"name": operator, "type": "Downtime", "attrs": {
            "host_name": NODE, "service_name": "", "start_time": OLD[0], "end_time": OLD[1],
            "author": "tgmon", "comment": "tgmon: planned maintenance of tg-node1, old",
            "name": operator.split("!")[-1]}}]
    return forge


def garbage(api, labels):
    bad = {"host_name": NODE, "service_name": "", "start_time": OLD[0], "end_time": OLD[1],
           "author": "tgmon", "comment": "tgmon: x", "name": "x"}
    return [{"name": "%s!x" % NODE, "attrs": dict(bad, comment=7)},
            {"name": "%s!y" % NODE, "attrs": dict(bad, start_time="soon")},
            {"name": "%s!z" % NODE, "attrs": dict(bad, host_name=None)},
            {"name": ["a"], "attrs": bad},
            {"name": "%s!svc\n!w" % NODE, "attrs": dict(bad, service_name="svc\n", name="w")},
            {"name": "%s!\x1b[2J!v" % NODE, "attrs": dict(bad, service_name="\x1b[2J",
                                                         name="v")},
            "not an object"]


def many_foreign(api, labels):
    return [{"name": "%s!f%d" % (NODE, i), "attrs": {
        "host_name": NODE, "service_name": "", "start_time": OLD[0], "end_time": OLD[1],
        "author": "someone", "comment": "theirs", "name": "f%d" % i}} for i in range(5000)]


CASES = [
    # (id, classes, downtimes before, the API honest?, forged objects, exit code,
    #  words on stderr (one line each), labels still there after)
    ("operator_downtime_kept", "2", existing(operator=1), True, None, 0, [], {"operator"}),
    ("api_ignores_its_filter", "2", existing(operator=1, ours_on_a_host_not_read=1,
                                             another_tgmon=1), False, None, 1,
     ["answered 3 downtimes that are not tgmon's on the hosts read - ignored"],
     {"operator", "ours_on_a_host_not_read", "another_tgmon"}),
    ("operator_using_our_prefix", "2", existing(operator_with_our_prefix=1), False, None, 1,
     ["answered 1 downtimes"], {"operator_with_our_prefix"}),
    ("our_author_without_our_prefix", "2", existing(ours_without_prefix=1), True, None, 1,
     ["answered 1 downtimes"], {"ours_without_prefix"}),
    ("stale_ones_removed", "2", existing(operator=1, stale=1, stale_service=1), True, None, 0,
     [], {"operator"}),
    # the name is the host's own operator downtime: only the removal's filter can tell
    ("name_of_the_operators_on_the_node", "2", existing(operator=1, stale=1), True,
     forged_name("operator"), 1, ["could not remove host downtime tg-node1 (tgmon: planned "
                                  "maintenance of tg-node1, old): Icinga 2 found no such"],
     {"operator"}),
    # a name of another host than the attributes say: caught before anything is sent
    ("name_of_the_operators_elsewhere", "2", existing(operator_elsewhere=1, stale=1), True,
     forged_name("operator_elsewhere"), 1, ["answered 1 downtimes"], {"operator_elsewhere"}),
    ("fields_of_the_wrong_type", "2 11", existing(operator=1), True, garbage, 2,
     ["answered without a list of results"], {"operator"}),
    ("fields_of_the_wrong_type_in_objects", "2 11", existing(operator=1), True,
     lambda api, labels: garbage(api, labels)[:-1], 1, ["answered 6 downtimes"],
     {"operator"}),
    ("five_thousand_foreign_objects", "2", existing(operator=1), True, many_foreign, 1,
     ["answered 5000 downtimes"], {"operator"}),
    ("removal_finds_nothing", "3", existing(operator=1, stale=1, stale_service=1), True,
     "vanish", 1, ["could not remove host downtime tg-node1 (tgmon: planned maintenance of "
                   "tg-node1, old): Icinga 2 found no such downtime (HTTP 404)",
                   "could not remove service downtime tg-node1!tightgate-maintenance"],
     {"operator", "stale", "stale_service"}),
]


@pytest.mark.parametrize("name, classes, before, honest, forged, code, words, after",
                         CASES, ids=[c[0] for c in CASES])
def test_only_tgmons_downtimes_on_the_hosts_read_are_removed(short_tmp, name, classes, before,
                                                            honest, forged, code, words, after):
    fresh_base()
    api = FakeIcinga(short_tmp, HOSTS, [(h, ICINGA_SERVICE, "tgmon_maintenance")
                                        for h in HOSTS], honest=honest,
                     vanish=forged == "vanish")
    labels = {}
    for label, (host, service, author, comment) in before.items():
        start, end = OLD if author == "tgmon" else window(5)
        labels[label] = api.add(host, service, start, end, author, comment)
    if callable(forged):
        api.forged = forged(api, labels)
    try:
        run = sync(["--node", node(short_tmp, "n/tg-node1")] + api.args(password_file(short_tmp)))
    finally:
        api.close()
    assert run.code == code, run
    assert_safe(run)
    assert_lines(run, words)
    assert {label for label, key in labels.items() if key in api.downtimes} == after, run
    removals = [body for path, body in api.actions if path.endswith("remove-downtime")]
    for body in removals:
        assert body["filter_vars"]["a"] == "tgmon" and body["filter_vars"]["h"] == NODE
        assert body["filter_vars"]["p"] == "tgmon: *"     # the API re-checks it too
    if code != 2:          # the node's own window arrived, whatever the answers held
        assert {(d[0], d[1]) for d in api.ours() if (d[2], d[3]) == window(0)} == {
            (NODE, None), (NODE, ICINGA_SERVICE)}, run

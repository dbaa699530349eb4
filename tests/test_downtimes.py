"""tgmon downtimes: the windows a node's state plans (table-driven), the downtimes
they ask for, the diff against what a core holds, and the command's refusals."""

import io
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from tgmon.state import examples
from tgmon.downtimes.command import main
from tgmon.downtimes.plan import MAINTENANCE, UPDATE, PlanSettings, Window, plan
from tgmon.cores import Downtime, Found
from tgmon.downtimes.wanted import changes, comment_for, wanted_downtimes
from tgmon.state.model import FailureSwitchOff, Marker, PlannedMaintenance

from helpers import DAY, HOUR, MINUTE, NOW

CET = NOW.tzinfo
SETTINGS = PlanSettings(24 * HOUR, HOUR, 2 * HOUR, None)
TUESDAY_RUN = (datetime(2026, 11, 17, 2, 0, tzinfo=CET), datetime(2026, 11, 17, 4, 0, tzinfo=CET))


def node(name="tg-node1", **changes):
    state = examples.healthy_cluster_node(NOW)
    state = state._replace(node=state.node._replace(name=name))
    maintenance = changes.pop("maintenance", None)
    if maintenance:
        state = state._replace(maintenance=state.maintenance._replace(**maintenance))
    schedule = changes.pop("schedule", None)
    if schedule:
        state = state._replace(schedule=state.schedule._replace(**schedule))
    if changes.pop("locked", False):
        state = state._replace(flags=state.flags._replace(
            update_lock=Marker(True, NOW - HOUR, ("scheduled update failed",))))
    return state._replace(**changes)


def planned(start, end=None, reason="disk swap"):
    return {"planned": PlannedMaintenance(start, end, reason)}


IN_TWO_HOURS = NOW + 2 * HOUR
MONDAY_NOON = datetime(2026, 11, 16, 12, 0, tzinfo=CET)
CASES = [
    # (name, states, now, settings, expected windows as (node, kind, start, end))
    ("healthy_update_beyond_lookahead", [node()], NOW, SETTINGS, []),
    ("update_within_48h", [node()], NOW, SETTINGS._replace(lookahead=48 * HOUR),
     [("tg-node1", UPDATE) + TUESDAY_RUN]),
    ("window_begins_exactly_at_the_horizon", [node()], TUESDAY_RUN[0] - 24 * HOUR, SETTINGS,
     [("tg-node1", UPDATE) + TUESDAY_RUN]),
    ("inside_the_update_window", [node()], TUESDAY_RUN[0] + 30 * MINUTE, SETTINGS,
     [("tg-node1", UPDATE) + TUESDAY_RUN]),
    ("update_window_over", [node()], TUESDAY_RUN[1], SETTINGS, []),
    ("longer_update_duration", [node()], TUESDAY_RUN[0], SETTINGS._replace(
        update_duration=3 * HOUR), [("tg-node1", UPDATE, TUESDAY_RUN[0],
                                     TUESDAY_RUN[1] + 2 * HOUR)]),
    ("schedule_off", [node(schedule={"update": examples.healthy_single(NOW).schedule.update
                                     ._replace(active=False)})], TUESDAY_RUN[0], SETTINGS, []),
    ("schedule_off_by_failure_r6", [node(schedule={"disabled_by_failure": FailureSwitchOff(
        NOW - HOUR, "download failed in both rounds")})], TUESDAY_RUN[0], SETTINGS, []),
    ("own_update_lock_r9", [node(locked=True)], TUESDAY_RUN[0], SETTINGS, []),
    ("other_node_of_the_cluster_locked_r9", [node(), node("tg-node2", locked=True)],
     TUESDAY_RUN[0], SETTINGS, []),
    ("planned_maintenance_ahead", [node(maintenance=planned(IN_TWO_HOURS, IN_TWO_HOURS + HOUR))],
     NOW, SETTINGS, [("tg-node1", MAINTENANCE, IN_TWO_HOURS, IN_TWO_HOURS + HOUR)]),
    ("planned_far_ahead_is_scheduled_now", [node(maintenance=planned(NOW + 10 * DAY))], NOW,
     SETTINGS, [("tg-node1", MAINTENANCE, NOW + 10 * DAY, NOW + 10 * DAY + 2 * HOUR)]),
    ("planned_without_end_gets_the_default", [node(maintenance=planned(IN_TWO_HOURS))], NOW,
     SETTINGS._replace(maintenance_duration=5 * HOUR),
     [("tg-node1", MAINTENANCE, IN_TWO_HOURS, IN_TWO_HOURS + 5 * HOUR)]),
    ("planned_running", [node(maintenance=dict(planned(NOW - HOUR, NOW + HOUR), active=True,
                                               since=NOW - HOUR))], NOW, SETTINGS,
     [("tg-node1", MAINTENANCE, NOW - HOUR, NOW + HOUR)]),
    ("planned_ended_early", [node(maintenance=planned(NOW - HOUR, NOW + HOUR))], NOW,
     SETTINGS, []),
    ("planned_over", [node(maintenance=planned(NOW - 3 * HOUR, NOW - HOUR))], NOW, SETTINGS, []),
    ("failure_made_maintenance_r7_pages", [node(maintenance=dict(
        planned(NOW - HOUR, NOW + HOUR), active=True, since=NOW - HOUR,
        only_maint_may_end=True))], NOW, SETTINGS, []),
    ("two_nodes_three_windows", [node(maintenance=planned(MONDAY_NOON, MONDAY_NOON + HOUR)),
                                 node("tg-node2")], TUESDAY_RUN[0] - 23 * HOUR, SETTINGS,
     [("tg-node1", MAINTENANCE, MONDAY_NOON, MONDAY_NOON + HOUR),
      ("tg-node1", UPDATE) + TUESDAY_RUN, ("tg-node2", UPDATE) + TUESDAY_RUN]),
]


@pytest.mark.parametrize("name, states, now, settings, expected", CASES,
                         ids=[c[0] for c in CASES])
def test_plan(name, states, now, settings, expected):
    result = plan(states, now, settings)
    assert [(w.node, w.kind, w.start, w.end) for w in result.windows] == expected
    assert result.refused == {}


def test_update_window_across_the_spring_dst_change():
    """Update Sunday 03:00 on 2027-03-28 (clocks jump 02:00 -> 03:00 in Berlin): with
    --timezone the window is 02:00 CET (01:00 UTC) to 04:00 CEST (02:00 UTC) - two
    hours of real time, as the node's clock shows them."""
    state = node(schedule={"update": examples.healthy_single(NOW).schedule.update._replace(
        weekday="sunday", start="03:00")})
    now = datetime(2027, 3, 27, 12, 0, tzinfo=timezone.utc)
    windows = plan([state], now, SETTINGS._replace(zone=ZoneInfo("Europe/Berlin"))).windows
    assert [(w.start, w.end) for w in windows] == [
        (datetime(2027, 3, 28, 0, 0, tzinfo=timezone.utc),
         datetime(2027, 3, 28, 2, 0, tzinfo=timezone.utc))]
    assert comment_for(windows[0], ZoneInfo("Europe/Berlin")) == (
        "tgmon: scheduled update of tg-node1, 2027-03-28 01:00 +01:00 to 04:00 +02:00")


def test_comment_names_node_kind_and_window_in_safe_words():
    window = Window("tg-node1", MAINTENANCE, datetime(2026, 11, 24, 2, 0, tzinfo=CET),
                    datetime(2026, 11, 24, 4, 0, tzinfo=CET), "swap; rm -rf $HOME | `x` \n\x1b[2J"
                    + "x" * 200)
    comment = comment_for(window, CET)
    assert comment.startswith("tgmon: planned maintenance of tg-node1, 2026-11-24 02:00 to "
                              "04:00 +01:00: swap, rm -rf HOME / ")
    assert not set(comment) & set(";$|`'\"<>\n\x1b")
    assert len(comment) <= 160


DT = Downtime("tg1", None, 100, 200, "tgmon: a")


def test_changes_add_the_missing_remove_the_stale_keep_the_rest():
    wanted = (DT, DT._replace(service="svc"), DT._replace(start=300, end=400))
    found = [Found(DT, 1), Found(DT._replace(start=50), 2), Found(DT, 3)]   # 3: a duplicate
    todo = changes(wanted, found)
    assert todo.add == (DT._replace(service="svc"), DT._replace(start=300, end=400))
    assert [f.ident for f in todo.remove] == [2, 3]
    assert todo.keep == (DT,)
    # applied, the same run again changes nothing
    again = changes(wanted, [Found(d, i) for i, d in enumerate(wanted)])
    assert again.add == () and again.remove == ()


def test_wanted_downtimes_host_and_the_chosen_services():
    window = Window("tg1", UPDATE, datetime(2026, 11, 17, 2, 0, tzinfo=CET),
                    datetime(2026, 11, 17, 4, 0, tzinfo=CET), None)
    wanted = wanted_downtimes([window], {"tg1": CET}, "{}.example.net".format,
                              {"tg1.example.net": ["tightgate-maintenance"]})
    assert [(d.host, d.service, d.end - d.start) for d in wanted] == [
        ("tg1.example.net", None, 7200), ("tg1.example.net", "tightgate-maintenance", 7200)]
    without_host = wanted_downtimes([window], {"tg1": CET}, str, {}, host_downtime=False)
    assert without_host == ()


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv, words", [
    (["sync", "--node", "/x"], "no monitoring core given - give --icinga-url"),
    (["sync", "--node", "/x", "--icinga-url", "http://master:5665", "--icinga-user", "u",
      "--icinga-password-file", "/nonexistent"], "is not https://"),
    (["sync", "--node", "/x", "--icinga-url", "https://master:5665"], "needs --icinga-user"),
    (["sync", "--node", "/x", "--icinga-url", "https://master:5665", "--icinga-user", "u"],
     "needs --icinga-password-file"),
    (["sync", "--node", "/x", "--icinga-url", "https://master:5665", "--icinga-user", "u",
      "--icinga-password-file", "/nonexistent"], "--icinga-password-file /nonexistent does not "
     "exist"),
    (["sync", "--node", "/x", "--nagios-command-file", "/nonexistent"],
     "needs --nagios-status-file"),
    (["sync", "--node", "/x", "--nagios-command-file", "/etc/hostname",
      "--nagios-status-file", "/etc/hostname"], "command file /etc/hostname is a regular file, "
     "not a pipe"),
    (["sync", "--nagios-command-file", "/x", "--nagios-status-file", "/x"], "no nodes given"),
])
def test_usage_errors_are_exit_2_with_one_line(argv, words):
    code, out, err = run(argv)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and words in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("option, value", [
    ("--host-name-format", "{host}"), ("--host-name-format", "{node}{node}"),
    # a conversion or format spec would fail later, or make every node one host
    ("--host-name-format", "{node:d}"), ("--host-name-format", "{node!r}"),
    ("--host-name-format", "{node:.0}"), ("--host-name-format", "{node:{node}}"),
    ("--host-name-format", "{node:x<5000}"), ("--host-name-format", "{node.real}"),
    ("--host-name-format", "{node[0]}"), ("--host-name-format", "{0}"),
    ("--author", "a;b"), ("--timezone", "Mars/Olympus"), ("--lookahead", "soon"),
    ("--service-command", "x;y"),
])
def test_bad_option_values_are_refused(option, value):
    """argparse's errors too: one sanitised line, exit 2, the value never quoted."""
    code, out, err = run(["sync", "--node", "/x", "--nagios-command-file", "/x", option, value])
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and option in err, err
    assert value not in err, err


def test_the_config_file_has_a_downtimes_section(tmp_path):
    """The common part (shared with the checks) and the section downtimes; the command
    line wins; a key the sync does not have is refused with its line."""
    from tgmon.downtimes.command import parse
    from tgmon.errors import UsageError
    config = tmp_path / "tgmon.yml"
    config.write_text("node: [/var/lib/tgmon/tg1, /var/lib/tgmon/tg2]\nmax_age: 20m\n"
                      "check_versions:\n  warning_age: 3d\n"
                      "downtimes:\n  icinga_url: https://master:5665\n  icinga_user: tgmon\n"
                      "  icinga_password_file: /etc/tgmon/icinga.password\n"
                      "  lookahead: 12h\n  service_command: [tgmon_maintenance, my_check]\n")
    opts = parse(["--config", str(config), "--lookahead", "6h"])
    assert opts.node == ["/var/lib/tgmon/tg1", "/var/lib/tgmon/tg2"]
    assert (opts.max_age, opts.lookahead) == (1200, 21600)
    assert opts.icinga_url == "https://master:5665" and opts.icinga_user == "tgmon"
    assert opts.service_command == ["tgmon_maintenance", "my_check"]
    config.write_text("downtimes:\n  icinga_url: https://master:5665\n  warning_age: 3d\n")
    with pytest.raises(UsageError) as error:
        parse(["--config", str(config)])
    assert "line 3: unknown option for downtimes" in error.value.cause


def test_every_option_of_the_sync_is_documented():
    import os
    from tgmon.downtimes.options import ARGS
    from helpers import ROOT
    with open(os.path.join(ROOT, "docs", "downtimes.rst")) as handle:
        text = handle.read()
    shared = {"--help", "--timeout", "--config", "--node", "--cluster-file", "--token-file",
              "--ca-file", "--insecure", "--max-age"}
    options = {o for a in ARGS.values() for o in a.flags if o.startswith("--")} - shared
    missing = sorted(o for o in options if "``%s" % o not in text)
    assert missing == []


@pytest.mark.parametrize("values, lines, expected", [
    (["/var/lib/tgmon/tg1"], "", [(None, "/var/lib/tgmon/tg1", None)]),
    (["tg1=/var/lib/tgmon/x", "tg2=https://tg2.example.net:9740/v1/status?a=b"], "",
     [("tg1", "/var/lib/tgmon/x", None),
      ("tg2", "https://tg2.example.net:9740/v1/status?a=b", None)]),
    ([], "# nodes\n/srv/state dir/tg1\ntg2 /srv/b  # comment\ntg3 https://tg3:9740/v1/status "
         "America/New_York\ntg4=/srv/d\n",
     [(None, "/srv/state dir/tg1", None), ("tg2", "/srv/b", None),
      ("tg3", "https://tg3:9740/v1/status", "America/New_York"), ("tg4", "/srv/d", None)]),
    (["tg1=/srv/a", "tg1=/srv/a"], "", [("tg1", "/srv/a", None)]),
])
def test_nodes_are_configured_with_their_names(tmp_path, values, lines, expected):
    from tgmon.sources.nodes import configured_nodes, node_sources
    listing = None
    if lines:
        listing = tmp_path / "cluster"
        listing.write_text(lines)
    nodes = configured_nodes(values, listing and str(listing))
    assert [(n.name, n.source, n.zone and n.zone.key) for n in nodes] == expected
    assert node_sources(values, listing and str(listing)) == [e[1] for e in expected]


@pytest.mark.parametrize("values, lines, words", [
    (["tg1=/srv/a", "tg2=/srv/a"], "", "node /srv/a is given twice, differently (tg1, tg2)"),
    (["tg1=/srv/a", "tg1=/srv/b"], "", "the name tg1 is given to two nodes"),
    (["tg;1=/srv/a"], "", "--node tg;1=/srv/a is neither a URL nor an absolute state dir"),
    (["tg1=relative"], "", "is neither a URL nor an absolute state dir path"),
    ([], "tg1 /srv/a Mars/Olympus\n", "line 1 names no time zone"),
    ([], "tg1 /srv/a Europe/Berlin extra\n", "line 1 is no URL or absolute path"),
    ([], "-tg1 /srv/a\n", "line 1 is no URL or absolute path"),
])
def test_a_node_configuration_that_cannot_be_used(tmp_path, values, lines, words):
    from tgmon.errors import UsageError
    from tgmon.sources.nodes import configured_nodes
    listing = None
    if lines:
        listing = tmp_path / "cluster"
        listing.write_text(lines)
    with pytest.raises(UsageError) as error:
        configured_nodes(values, listing and str(listing))
    assert words in error.value.cause


@pytest.mark.parametrize("name, source, claim, expected", [
    (None, "/var/lib/tgmon/nodes/tg-node1", "tg-node1", "tg-node1"),
    (None, "/var/lib/tgmon/nodes/tg-node1/", "TG-Node1", "tg-node1"),
    (None, "/var/lib/tgmon", "tg-node1", None),                       # the dir names no node
    (None, "https://tg1.example.net:9740/v1/status", "tg1", "tg1"),
    (None, "https://tg1.example.net:9740/v1/status", "tg1.example.net", "tg1.example.net"),
    (None, "https://tg1.example.net:9740/v1/status", "tg2", None),    # claims another host
    (None, "https://10.0.0.5:9740/v1/status", "10.0.0.5", None),      # an IP names no node
    (None, "https://[::1]:9740/v1/status", "::1", None),
    ("tg3", "https://tg3.example.net:9740/v1/status", "tg1", None),   # a cloned appliance
    ("tg3", "https://10.0.0.5:9740/v1/status", "TG3", "tg3"),
    ("tg3", "/srv/x", None, None),                                    # no claim at all
])
def test_a_node_is_the_host_it_is_configured_as(name, source, claim, expected):
    from tgmon.sources.nodes import NodeSource, node_name
    got, why = node_name(NodeSource(name, source, None), claim)
    assert got == expected
    assert (why is None) == (expected is not None)


def test_the_cluster_check_reads_named_nodes(tmp_path):
    """--node NAME=SOURCE and NAME SOURCE [TIMEZONE] lines: the same sources for the
    cluster check, which ignores the names."""
    import os
    import subprocess
    from helpers import VENV_BIN
    from tgmon.state.layout import write_state
    from tgmon.timeutil import utcnow
    write_state(str(tmp_path / "a"), examples.healthy_cluster_node(utcnow()))
    listing = tmp_path / "cluster"
    listing.write_text("tg-node1 %s Europe/Berlin\n" % (tmp_path / "a"))
    for args in (["--node", "tg-node1=%s" % (tmp_path / "a")], ["--cluster-file", str(listing)]):
        done = subprocess.run([os.path.join(VENV_BIN, "check_cluster_updates")] + args,
                              capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stdout[:12]) == (0, "CLUSTER OK -"), done

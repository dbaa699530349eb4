"""Windows that cover the run, in the appliance's real time: the scheduled update's
window on both DST days of Europe/Berlin (2026-03-29, 2026-10-25), of New York, and
in a zone without DST, for update times inside and around the gap and the overlap.

R3: a time that does not exist on the spring-forward day runs at the first valid
minute after it, one that occurs twice on the fall-back day runs once, at its first
occurrence (lifecycle.resolve_local, as the simulator does - cross-checked below
against the simulator's own runs). The window begins one real hour before the
update start (maintenance mode, R11) and ends --update-duration (1 h) after it.
Every expected instant is written out in UTC here, worked by hand.

Classes (issue 18): 4 windows that cover the run.
"""

import io
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tgmon.state import examples
from tgmon.downtimes.command import Report, parse
from tgmon.downtimes.plan import PlanSettings, plan
from tgmon.downtimes.sync import sync
from tgmon.downtimes.wanted import comment_for
from tgmon.sim.scenario import load_scenario
from tgmon.state.layout import write_state

from helpers import ROOT
from .fakecores import FakeNagios, sound_commands

BERLIN, NEW_YORK, KOLKATA = (ZoneInfo(z) for z in ("Europe/Berlin", "America/New_York",
                                                   "Asia/Kolkata"))
HOUR = timedelta(hours=1)
SETTINGS = PlanSettings(48 * HOUR, HOUR, 2 * HOUR, None)


def utc(*fields):
    return datetime(*fields, tzinfo=timezone.utc)


def sunday_update(clock, name="tg-node1"):
    state = examples.build("healthy-cluster-node", utc(2026, 1, 1))
    return state._replace(node=state.node._replace(name=name), schedule=state.schedule._replace(
        update=state.schedule.update._replace(active=True, weekday="sunday", start=clock),
        disabled_by_failure=None))


SPRING, FALL = utc(2026, 3, 28, 12), utc(2026, 10, 24, 12)       # the Saturdays before
CASES = [
    # (id, zone, Sunday's update time, now, window begin (UTC), end (UTC), comment's span)
    ("berlin_spring_before_the_gap", BERLIN, "01:30", SPRING, utc(2026, 3, 28, 23, 30),
     utc(2026, 3, 29, 1, 30), "2026-03-29 00:30 +01:00 to 03:30 +02:00"),
    ("berlin_spring_gap_start", BERLIN, "02:00", SPRING, utc(2026, 3, 29, 0),
     utc(2026, 3, 29, 2), "2026-03-29 01:00 +01:00 to 04:00 +02:00"),
    ("berlin_spring_inside_the_gap", BERLIN, "02:30", SPRING, utc(2026, 3, 29, 0),
     utc(2026, 3, 29, 2), "2026-03-29 01:00 +01:00 to 04:00 +02:00"),
    ("berlin_spring_gap_end", BERLIN, "02:59", SPRING, utc(2026, 3, 29, 0),
     utc(2026, 3, 29, 2), "2026-03-29 01:00 +01:00 to 04:00 +02:00"),
    ("berlin_spring_first_valid_minute", BERLIN, "03:00", SPRING, utc(2026, 3, 29, 0),
     utc(2026, 3, 29, 2), "2026-03-29 01:00 +01:00 to 04:00 +02:00"),
    ("berlin_spring_lead_hour_in_the_gap", BERLIN, "03:30", SPRING, utc(2026, 3, 29, 0, 30),
     utc(2026, 3, 29, 2, 30), "2026-03-29 01:30 +01:00 to 04:30 +02:00"),
    ("berlin_spring_after", BERLIN, "04:00", SPRING, utc(2026, 3, 29, 1),
     utc(2026, 3, 29, 3), "2026-03-29 03:00 to 05:00 +02:00"),
    ("berlin_fall_before_the_overlap", BERLIN, "01:30", FALL, utc(2026, 10, 24, 22, 30),
     utc(2026, 10, 25, 0, 30), "2026-10-25 00:30 to 02:30 +02:00"),
    ("berlin_fall_overlap_start", BERLIN, "02:00", FALL, utc(2026, 10, 24, 23),
     utc(2026, 10, 25, 1), "2026-10-25 01:00 +02:00 to 02:00 +01:00"),
    ("berlin_fall_inside_the_overlap", BERLIN, "02:30", FALL, utc(2026, 10, 24, 23, 30),
     utc(2026, 10, 25, 1, 30), "2026-10-25 01:30 +02:00 to 02:30 +01:00"),
    ("berlin_fall_overlap_end", BERLIN, "02:59", FALL, utc(2026, 10, 24, 23, 59),
     utc(2026, 10, 25, 1, 59), "2026-10-25 01:59 +02:00 to 02:59 +01:00"),
    ("berlin_fall_after_the_overlap", BERLIN, "03:00", FALL, utc(2026, 10, 25, 1),
     utc(2026, 10, 25, 3), "2026-10-25 02:00 to 04:00 +01:00"),
    ("berlin_fall_later", BERLIN, "03:30", FALL, utc(2026, 10, 25, 1, 30),
     utc(2026, 10, 25, 3, 30), "2026-10-25 02:30 to 04:30 +01:00"),
    ("new_york_spring_inside_the_gap", NEW_YORK, "02:30", utc(2026, 3, 7, 12),
     utc(2026, 3, 8, 6), utc(2026, 3, 8, 8), "2026-03-08 01:00 -05:00 to 04:00 -04:00"),
    ("new_york_spring_before_the_gap", NEW_YORK, "01:30", utc(2026, 3, 7, 12),
     utc(2026, 3, 8, 5, 30), utc(2026, 3, 8, 7, 30), "2026-03-08 00:30 -05:00 to 03:30 -04:00"),
    ("new_york_fall_inside_the_overlap", NEW_YORK, "01:30", utc(2026, 10, 31, 12),
     utc(2026, 11, 1, 4, 30), utc(2026, 11, 1, 6, 30), "2026-11-01 00:30 -04:00 to 01:30 -05:00"),
    ("new_york_fall_after_the_overlap", NEW_YORK, "02:30", utc(2026, 10, 31, 12),
     utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 8, 30), "2026-11-01 01:30 to 03:30 -05:00"),
    ("kolkata_on_berlins_spring_day", KOLKATA, "02:30", SPRING, utc(2026, 3, 28, 20),
     utc(2026, 3, 28, 22), "2026-03-29 01:30 to 03:30 +05:30"),
    ("kolkata_on_berlins_fall_day", KOLKATA, "02:30", FALL, utc(2026, 10, 24, 20),
     utc(2026, 10, 24, 22), "2026-10-25 01:30 to 03:30 +05:30"),
]


@pytest.mark.parametrize("name, zone, clock, now, begin, end, span", CASES,
                         ids=[c[0] for c in CASES])
def test_the_update_window_in_real_time(name, zone, clock, now, begin, end, span):
    for settings in (SETTINGS._replace(zone=zone),                       # --timezone
                     SETTINGS._replace(zone=KOLKATA if zone != KOLKATA else BERLIN,
                                       zones={"tg-node1": zone})):       # the node's own
        result = plan([sunday_update(clock)], now, settings)
        assert result.refused == {}
        assert [(w.start, w.end) for w in result.windows] == [(begin, end)]
        assert comment_for(result.windows[0], zone) == (
            "tgmon: scheduled update of tg-node1, " + span)


def friday_update(clock):
    update = sunday_update(clock)
    return update._replace(schedule=update.schedule._replace(
        update=update.schedule.update._replace(weekday="friday")))


APIA = ZoneInfo("Pacific/Apia")     # skipped all of Friday 2011-12-30 (UTC-10 to UTC+14)
SKIPPED_DAY = [
    # (id, Friday's update time): it runs at the first valid minute after it, Saturday
    # 00:00 +14:00 (10:00 UTC); the window from an hour before to an hour after
    ("apia_midnight_of_the_skipped_day", "00:00"),
    ("apia_morning_of_the_skipped_day", "03:00"),
    ("apia_last_minute_of_the_skipped_day", "23:59"),
]


@pytest.mark.parametrize("name, clock", SKIPPED_DAY, ids=[c[0] for c in SKIPPED_DAY])
def test_a_zone_that_skips_a_whole_day(name, clock):
    """lifecycle.resolve_local searches past the skipped day (review finding 12)."""
    result = plan([friday_update(clock)], utc(2011, 12, 29), SETTINGS._replace(zone=APIA))
    assert [(w.start, w.end) for w in result.windows] == [(utc(2011, 12, 30, 9),
                                                           utc(2011, 12, 30, 11))]
    assert comment_for(result.windows[0], APIA) == (
        "tgmon: scheduled update of tg-node1, 2011-12-29 23:00 -10:00 to 2011-12-31 01:00 "
        "+14:00")


@pytest.mark.parametrize("start, end, seconds", [
    (utc(2026, 3, 29, 0, 0, 0, 500000), utc(2026, 3, 29, 2, 0, 0, 1), (0, 7201)),
    (utc(2026, 3, 29, 0, 0, 0, 999999), utc(2026, 3, 29, 2, 0, 0, 999999), (0, 7201)),
    (utc(2026, 3, 29), utc(2026, 3, 29, 2), (0, 7200)),
])
def test_a_downtime_covers_its_whole_window(start, end, seconds):
    """Whole seconds: the start rounded down, the end up - never a second short."""
    from tgmon.downtimes.plan import MAINTENANCE, Window
    from tgmon.downtimes.wanted import wanted_downtimes
    (downtime,) = wanted_downtimes([Window("tg-node1", MAINTENANCE, start, end, None)],
                                   {"tg-node1": BERLIN}, lambda node: node, {})
    base = int(utc(2026, 3, 29).timestamp())
    assert (downtime.start - base, downtime.end - base) == seconds


@pytest.mark.parametrize("path, day", [("dst-update.yml", "2027-03-28"),
                                       ("dst-fall-back.yml", "2027-10-31")])
def test_the_window_covers_the_simulators_run(path, day):
    """The simulator's node on its DST day: maintenance begins no earlier than the
    window, the run ends no later."""
    scenario = load_scenario(f"{ROOT}/scenarios/{path}")
    sim = scenario.build()
    before = scenario.parse_time(day + "T00:00", None, "instant") - 12 * HOUR
    sim.run_until(before)
    (state,) = sim.states().values()
    (window,) = plan([state], before, SETTINGS._replace(zone=scenario.zone)).windows
    since = ended = None
    instant = before
    while ended is None:
        instant += timedelta(minutes=5)
        sim.run_until(instant)
        (state,) = sim.states().values()
        since = since or state.maintenance.since
        run = state.last_update_run
        ended = run.end if run and run.end else None
    assert window.start <= since and window.end >= ended, (window, since, ended)
    assert window.start == since            # no earlier than needed either


def test_a_sync_over_the_dst_day_with_nodes_in_two_zones(short_tmp):
    """The sync itself, its clock set to the Saturday before Berlin's spring-forward day:
    a Berlin node (zone from --timezone) and a New York node (zone from its cluster
    file line) - each window in its own zone, written to the pipe as real instants."""
    now = utc(2026, 3, 7, 12)                     # New York's spring day is the 8th
    berlin_now = SPRING
    nagios = FakeNagios(short_tmp, ["tg-berlin", "tg-ny"],
                        [("tg-berlin", "TightGate maintenance"),
                         ("tg-ny", "TightGate maintenance")])
    try:
        outcomes = {}
        for when, label in ((now, "ny"), (berlin_now, "berlin")):
            for name in ("tg-berlin", "tg-ny"):
                write_state(str(short_tmp / name), sunday_update("02:30", name)._replace(
                    generated=when))
            listing = short_tmp / "cluster"
            listing.write_text("tg-berlin %s\ntg-ny %s America/New_York\n"
                               % (short_tmp / "tg-berlin", short_tmp / "tg-ny"))
            opts = parse(["--cluster-file", str(listing), "--timezone", "Europe/Berlin",
                          "--lookahead", "48h"] + nagios.args())
            opts.deadline = time.monotonic() + 10
            out, err = io.StringIO(), io.StringIO()
            outcomes[label] = (sync(opts, Report(out, err), when), out.getvalue(),
                               err.getvalue())
    finally:
        nagios.close()
    for code, out, err in outcomes.values():
        assert (code, err) == (0, ""), (out, err)
    first, second = outcomes["ny"][1], outcomes["berlin"][1]
    assert "added service downtime tg-ny/TightGate maintenance (tgmon: scheduled update of " \
        "tg-ny, 2026-03-08 01:00 -05:00 to 04:00 -04:00)" in first, first
    assert "tg-berlin, 2026-03-08 01:30 to 03:30 +01:00" in first, first
    assert "added service downtime tg-berlin/TightGate maintenance (tgmon: scheduled update " \
        "of tg-berlin, 2026-03-29 01:00 +01:00 to 04:00 +02:00)" in second, second
    assert "tg-ny, 2026-03-29 01:30 to 03:30 -04:00" in second, second
    assert "Nagios: 2 added, 2 removed, 0 unchanged" in second, second
    assert nagios.ours() == {
        ("tg-ny", "TightGate maintenance", stamp(2026, 3, 29, 5, 30), stamp(2026, 3, 29, 7, 30)),
        ("tg-berlin", "TightGate maintenance", stamp(2026, 3, 29), stamp(2026, 3, 29, 2))}
    sound_commands(nagios)


def stamp(*fields):
    return int(utc(*fields).timestamp())

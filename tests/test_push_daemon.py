"""The pusher's rounds in-process: what is due, the backoff that keeps only the newest
result of each service, and the round's summary line."""

import io
import threading
import time

import pytest

from tgmon.appliance.writer import set_flag
from tgmon.cores import CoreError
from tgmon.push.command import Report
from tgmon.push.daemon import FIRST_BACKOFF, MAX_ABANDONED, MAX_BACKOFF, Pusher
from tgmon.push.options import build_parser
from tgmon.push.targets import Target
from tgmon.state.examples import write_example
from tgmon.timeutil import utcnow

CHECKS = ("versions", "update_lock", "hotfixes", "reboot_required", "maintenance",
          "update_schedule", "reachable")


class FlakyCore(Target):
    """Has tg-single's seven services; fails ``fail`` sends, then takes them."""
    name = "Flaky"

    def __init__(self, fail):
        super().__init__()
        self.fail, self.sent = fail, []

    def list_services(self, hosts):
        return {("tg-single", "s-" + c): ("tgmon_" + c, None) for c in CHECKS
                if "tg-single" in hosts}

    def send(self, batch):
        if self.fail:
            self.fail -= 1
            raise CoreError("the core is down", "start it")
        self.sent.append(batch)
        return []


@pytest.fixture
def node(tmp_path):
    path = str(tmp_path / "tg-single")
    write_example("healthy-single", path, utcnow())
    return path


def pusher_for(node, core, *extra):
    opts = build_parser().parse_args(["--node", "tg-single=" + node, "--nsca-config", "x"]
                                     + list(extra))
    out, err = io.StringIO(), io.StringIO()
    pusher = Pusher(opts, Report(out, err))
    pusher.use([core])
    return pusher, out, err


def test_a_failing_core_keeps_the_newest_result_of_each_service_and_backs_off(node):
    core = FlakyCore(fail=3)
    pusher, out, err = pusher_for(node, core, *[a for c in CHECKS
                                                for a in ("--interval", c + "=1")])
    pusher.round()
    assert core.sent == [] and pusher.waiting_count() == 7
    first_retry = pusher.retry_at["Flaky"]
    set_flag(node, "update-lock", "scheduled update failed", [], None)
    pusher.round()      # judged again: the newer result replaces the waiting one
    waiting = pusher.waiting["Flaky"]
    assert len(waiting) == 7
    assert waiting[("tg-single", "s-update_lock")][0].code == 2
    assert pusher.retry_at["Flaky"] == first_retry      # not tried before its time
    delays = []
    for _ in range(2):
        pusher.retry_at["Flaky"] = 0
        before = pusher.failures["Flaky"]
        pusher.retry()
        delays.append((before, pusher.failures["Flaky"]))
    assert delays == [(1, 2), (2, 3)]
    pusher.retry_at["Flaky"] = 0
    pusher.retry()
    [batch] = core.sent
    assert sorted(p.service for p, *_ in batch) == sorted("s-" + c for c in CHECKS)
    assert {p.service: p.code for p, *_ in batch}["s-update_lock"] == 2
    assert pusher.waiting_count() == 0 and pusher.failures["Flaky"] == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("tgmon push: round 1: 1 of 1 nodes read, 7 results judged; "
                               "Flaky: failed, 7 waiting, next try in 2 s")
    assert "Flaky: 7 sent, 0 refused" in lines[-1]
    assert err.getvalue().count("Flaky: the core is down - start it") == 3


@pytest.mark.parametrize("failures, delay", [(1, FIRST_BACKOFF), (2, 2 * FIRST_BACKOFF),
                                             (5, 16 * FIRST_BACKOFF), (30, MAX_BACKOFF)])
def test_the_backoff_doubles_up_to_its_bound(node, failures, delay):
    core = FlakyCore(fail=failures)
    pusher, _out, _err = pusher_for(node, core)
    pusher.round()
    for _ in range(failures - 1):
        pusher.retry_at["Flaky"] = 0
        pusher.retry()
    import time
    assert pusher.retry_at["Flaky"] - time.monotonic() == pytest.approx(delay, abs=1)


def test_a_service_is_pushed_again_only_when_its_interval_is_due(node):
    core = FlakyCore(fail=0)
    pusher, out, _err = pusher_for(node, core, "--interval", "reachable=1")
    pusher.round()
    import time
    time.sleep(0.05)
    pusher.round()
    assert [len(batch) for batch in core.sent] == [7, 1]
    assert [p.service for p, *_ in core.sent[1]] == ["s-reachable"]
    assert "round 2: 1 of 1 nodes read, 1 results judged" in out.getvalue()


class ListingApi:
    """An Icinga API client stand-in: counts its service listings, refuses one service."""

    def __init__(self):
        self.listings = 0

    def services(self, hosts):
        self.listings += 1
        return {("tg-single", "s-versions"): ("tgmon_versions", None),
                ("tg-single", "s-gone"): ("tgmon_hotfixes", {}),
                ("tg-single", "ping"): ("ping4", None)}

    def process_check_result(self, host, service, body):
        from tgmon.cores import Refused
        if service == "s-gone":
            raise Refused("Icinga 2 has no service", "a reload removed it")


def test_the_services_are_listed_once_and_again_after_a_refusal(node):
    from tgmon.push.targets import IcingaTarget
    api = ListingApi()
    target = IcingaTarget(lambda: api, "me")
    pusher, out, err = pusher_for(node, target)
    assert target.services({"tg-single"}) == {("tg-single", "s-versions"): "versions",
                                              ("tg-single", "s-gone"): "hotfixes"}
    target.services({"tg-single"})
    assert api.listings == 1                  # cached
    pusher.round()
    assert "Icinga 2: 1 sent, 1 refused" in out.getvalue()
    assert "tg-single/s-gone refused: Icinga 2 has no service" in err.getvalue()
    target.services({"tg-single"})
    assert api.listings == 2                  # listed again after the refusal
    target.services({"tg-single", "tg-other"})
    assert api.listings == 3                  # and when the hosts change


class DrippingCore(FlakyCore):
    """Its first ``stuck`` sends never end (a connection that drips for ever); the
    others are taken at once."""
    name = "Flaky"

    def __init__(self, stuck):
        super().__init__(fail=0)
        self.stuck, self.release = stuck, threading.Event()

    def send(self, batch):
        if self.stuck:
            self.stuck -= 1
            self.release.wait(30)
            return []
        return super().send(batch)


@pytest.mark.parametrize("stuck, sent", [(1, True), (MAX_ABANDONED + 3, False)])
def test_a_request_that_never_ends_holds_its_core_back_for_a_while_only(node, monkeypatch,
                                                                       stuck, sent):
    """The core answers again on new connections while one drips for ever: after
    ABANDON x -t the pusher sends on a fresh one; at most MAX_ABANDONED are left."""
    monkeypatch.setattr("tgmon.push.daemon.ABANDON", 2)
    core = DrippingCore(stuck)
    pusher, out, err = pusher_for(node, core, "-t", "0.2", "--interval", "reachable=1")
    try:
        for _ in range(12):
            pusher.round()
            pusher.retry_at["Flaky"] = 0          # no backoff: each round tries
            time.sleep(0.25)
    finally:
        core.release.set()
    assert err.getvalue().count("did not answer within -t 0.2 s") == min(stuck, MAX_ABANDONED)
    assert "a request of an earlier round still waits for its answer" in err.getvalue()
    assert bool(core.sent) is sent
    assert len(core.overdue) <= MAX_ABANDONED

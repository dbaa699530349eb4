"""Small builders for simulator tests."""

from datetime import datetime
from zoneinfo import ZoneInfo

from tgmon.state.model import ScheduledDownload, ScheduledUpdate
from tgmon.sim import Simulation

from helpers import DAY, HOUR, MINUTE  # noqa: F401 (the sim tests take them from here)

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 11, 16, 0, 0, tzinfo=BERLIN)       # a Monday
TUESDAY_0300 = datetime(2026, 11, 17, 3, 0, tzinfo=BERLIN)

UPDATE_TUE_0300 = ScheduledUpdate(True, "tuesday", "03:00")
DOWNLOAD_TUE_0130 = ScheduledDownload(True, "tuesday", "01:30", "02:45")


def local(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def world(nodes=("tg",), cluster=None, max_parallel=1, kernel=False, new_release=True,
          start=START, **settings):
    """4.11 installed; 4.12 released Monday 10:00 (unless new_release=False)."""
    sim = Simulation(start, BERLIN)
    sim.server.publish_release("4.11", start - 48 * DAY, True)
    if new_release:
        sim.server.publish_release("4.12", start + 10 * HOUR, kernel)
    if cluster:
        sim.add_cluster(cluster, max_parallel)
    settings.setdefault("update", UPDATE_TUE_0300)
    settings.setdefault("users", 20)
    for name in nodes:
        sim.add_node(name, cluster=cluster, installed="4.11", **settings)
    sim.start()
    return sim


def state(sim, name="tg"):
    return sim.node(name).snapshot()

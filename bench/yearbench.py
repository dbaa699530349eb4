"""A simulated year of a 20-node cluster: the workload of ``make bench``."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tgmon.state.model import WEEKDAYS, ScheduledUpdate
from tgmon.sim.simulation import Simulation


def cluster_year(nodes=20, hotfixes=50, releases=3):
    """Weekly scheduled updates on every node, 3 releases, ~50 hotfixes; returns the sim."""
    zone = ZoneInfo("Europe/Berlin")
    start = datetime(2027, 1, 4, tzinfo=zone)
    sim = Simulation(start, zone)
    sim.server.publish_release("4.12", start - timedelta(days=30), True)
    for index in range(releases):
        sim.server.publish_release("4.%d" % (13 + index), start + timedelta(days=60 + 120 * index),
                                   index % 2 == 0)
    for index in range(hotfixes):
        sim.server.publish_hotfix("HF-%03d" % index, "hotfix %d" % index,
                                  start + timedelta(days=3 + index * 7, hours=11))
    sim.add_cluster("tgc", max_parallel_updates=2)
    for index in range(nodes):
        sim.add_node("tg-node%02d" % (index + 1), cluster="tgc", installed="4.12", users=25,
                     update=ScheduledUpdate(True, WEEKDAYS[index % 5],
                                            "%02d:00" % (1 + (index // 5) % 4)))
    sim.run_until(start + timedelta(days=365))
    return sim

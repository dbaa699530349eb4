"""tgmon-sim serve: states as of now by default, the scenario's own times on request.

Each case starts the real ``tgmon-sim serve`` on a free port and reads a node's
state as a check does (the README runs its own serve block in test_readme).
"""

import os
from datetime import datetime, timedelta

import pytest
import requests

from remote.servers import Exporter
from tgmon.checks import versions
from tgmon.timeutil import utcnow
from helpers import ROOT, run_check

SCENARIO = os.path.join(ROOT, "scenarios", "cluster-download-fails.yml")
INSTANT = "2026-11-17T04:00"
SIMULATED = datetime.fromisoformat(INSTANT + "+01:00")   # the scenario's Europe/Berlin


def fetch(exporter, path):
    with requests.Session() as session:
        session.trust_env = False
        answer = session.get(exporter.url(path), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


# serve options -> how far `generated` may lie before now, the check's exit code and
# the start of its first line (no --max-age given)
CASES = [
    ("at_an_instant_as_of_now", ["--at", INSTANT], timedelta(minutes=1), 1,
     "VERSIONS WARNING - Update download failed since "),
    ("running_as_of_now", ["--speed", "60"], timedelta(minutes=1), 0,
     "VERSIONS OK - release 4.11 installed, up to date, update server checked "),
    ("simulated_times_on_request", ["--at", INSTANT, "--simulated-times"], None, 3,
     "VERSIONS UNKNOWN - state of tg-node2 is stale: generated "),
]


@pytest.mark.parametrize("name, options, freshness, code, first", CASES,
                         ids=[c[0] for c in CASES])
def test_served_states_are_as_of_now_unless_told(name, options, freshness, code, first):
    exporter = Exporter(SCENARIO, *options, program="tgmon-sim")
    try:
        before = utcnow()
        document = fetch(exporter, "/tg-node2/v1/status")
        generated = datetime.fromisoformat(document["generated"])
        nodes = fetch(exporter, "/v1/nodes")
        outcome = run_check(versions.DEFINITION,
                            ["--url", exporter.url("/tg-node2/v1/status")], now=utcnow())
    finally:
        assert exporter.stop() == 0
    assert nodes["as_of_now"] is (freshness is not None)
    if freshness is None:
        assert generated <= SIMULATED                       # the scenario's own date
    else:
        assert before - freshness < generated <= utcnow()   # written just now
    assert outcome.code == code, outcome
    assert outcome.text.startswith(first), outcome

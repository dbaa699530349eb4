"""Stale or future state is not evidence: both are UNKNOWN, never a frozen OK."""

from .errors import SourceError
from .timeutil import describe_since, format_duration

# Clocks of monitoring server and appliance may differ a little.
FUTURE_TOLERANCE = 300


def check_freshness(state, now, max_age):
    age = (now - state.generated).total_seconds()
    if age > max_age:
        raise SourceError(
            "state of %s is stale: generated %s, older than --max-age %s"
            % (state.node.name, describe_since(state.generated, now),
               format_duration(max_age)),
            "the writer on the node has stopped (heartbeat every 15 min); "
            "restart it or check its clock")
    if -age > FUTURE_TOLERANCE:
        raise SourceError(
            "state of %s was generated %s, in the future"
            % (state.node.name, describe_since(state.generated, now)),
            "fix the clock (NTP) on the node or the monitoring server")

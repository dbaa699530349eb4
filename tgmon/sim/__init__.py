"""tgmon.sim: the appliance's update lifecycle (SPEC §1, R1-R17) over simulated time.

Event-driven: ``Simulation.run_until`` jumps from event to event and never
sleeps. Nodes export the same immutable ``State`` the checks read, so every
check can be driven through every state a real appliance passes through.
"""

from .errors import Refused, ScenarioError, SimError  # noqa: F401  (the API)
from .simulation import Simulation  # noqa: F401

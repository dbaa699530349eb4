"""Every single-node check, in the order the timeline and the demo show them."""

from . import versions

SINGLE_NODE_CHECKS = (versions.DEFINITION,)

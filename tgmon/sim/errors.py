"""What the simulated appliance refuses, and what a bad scenario is."""


class SimError(Exception):
    """Misuse of the simulator API (unknown node, bad argument)."""


class Refused(SimError):
    """The appliance forbids this action (e.g. clearing the warn flag by hand)."""

    def __init__(self, rule, message):
        super().__init__("%s (%s)" % (message, rule))
        self.rule = rule
        self.message = message


class ScenarioError(SimError):
    """A scenario file is wrong; ``where`` is 'file:line' when known."""

    def __init__(self, where, message):
        super().__init__("%s: %s" % (where, message) if where else message)
        self.where = where
        self.message = message

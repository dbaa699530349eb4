"""One module per check: its options, conditions and pure judge function.

A judge takes ``(state, opts, now)`` and returns a ``Verdict``; it reads no
file and prints nothing, so the simulator can call it at any simulated
instant and the plugins' runtime can present it.
"""

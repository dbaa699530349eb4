"""Evaluation: one module per check, each a declaration (``definition.py``).

A check names its options, conditions, judge and scope; its judge takes
``(state, settings, now)`` and returns a ``Verdict``: it reads no file and
prints nothing, so the simulator can call it at any simulated instant and
the plugins' runtime can present it. Nothing here imports the command line,
the config file or the runtime.
"""

"""tgmon: watch the software-update state of TightGate-Pro appliances.

The version is a plain constant so that ``--version`` needs no package
metadata look-up (that alone would cost more than the whole check).
"""

__version__ = "0.1.0"

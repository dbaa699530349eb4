"""Prometheus: a node's state as metrics, for ``tgmon serve``'s /metrics and ``tgmon textfile``.

    registry.py    every metric: name, type, help, labels, its samples from a state
    collect.py     a state -> the facts and the checks' verdicts (tgmon.runtime.evaluate)
    exposition.py  the Prometheus text format, escaped, written by hand

Never on a plugin's path: only the exporter, the textfile writer and the
generators (alert rules, dashboard, docs) import it.
"""

"""Prometheus and Grafana files from the metric registry (tgmon/metrics/registry.py)
and the checks' declarations (tgmon/checks/registry.py).

    python tools/prometheus.py          rewrite them
    python tools/prometheus.py --check  exit 1 if one is out of date

Writes the metric list in docs/prometheus.rst (between '.. BEGIN METRICS' and
'.. END METRICS').
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tgmon.metrics.registry import BASE_LABELS, METRICS  # noqa: E402
from generated import sync  # noqa: E402

DOC = os.path.join(ROOT, "docs", "prometheus.rst")
METRICS_BLOCK = re.compile(r"^\.\. BEGIN METRICS\n.*?^\.\. END METRICS$", re.S | re.M)


def metrics_list():
    """The definition list of every metric: name and labels, then its help."""
    lines = []
    for metric in METRICS:
        labels = (BASE_LABELS if metric.per_node else ()) + metric.labels
        lines.append("``%s%s``" % (metric.name, "{%s}" % ", ".join(labels) if labels else ""))
        lines.append("    %s: %s." % (metric.kind, metric.help))
    return "\n".join(lines) + "\n"


def docs_page():
    with open(DOC, encoding="utf-8") as handle:
        text = handle.read()
    if not METRICS_BLOCK.search(text):
        raise SystemExit("docs/prometheus.rst has no '.. BEGIN METRICS' / '.. END METRICS' "
                         "block - add an empty one where the metric list belongs")
    block = ".. BEGIN METRICS\n\n%s\n.. END METRICS" % metrics_list()
    return METRICS_BLOCK.sub(lambda m: block, text)


def main(argv):
    return sync({DOC: docs_page()}, argv, "make generate")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

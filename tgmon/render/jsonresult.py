"""JSON output: one document per run, schema ``tgmon-result/1`` (docs/output-json.rst).

A superset of monitoring-plugins' test JSON (``state``, ``summary``,
``checks[]`` with their ``state`` and ``output``): each finding of the
verdict is one entry of ``checks`` with its stable ``id`` (the condition),
its ``status``, ``text``, ``since``, ``next_step``, ``runbook_url`` and
``node``. A check that could not judge is a document too, with its
``error``. Every string passes ``sanitize`` (one printable line), so the
output is valid UTF-8 JSON whatever the input held. The JSON Schema is
``tgmon-result-1.schema.json`` beside this module.
"""

import json

from .. import __version__
from ..safeio.text import sanitize
from ..verdict import line_of, status_name
from .nagios import _number, _threshold

SCHEMA = "tgmon-result/1"
SCHEMA_FILE = "tgmon-result-1.schema.json"


def render(definition, result):
    """The Result as one JSON document on one line (JSON Lines, when runs are
    collected)."""
    verdict = result.verdict
    findings = verdict.findings if verdict is not None else ()
    runbooks = result.runbooks or (None,) * len(findings)
    document = {
        "schema": SCHEMA,
        "check": {"name": definition.name, "plugin": definition.prog, "version": __version__},
        "state": status_name(result.code),
        "status": result.code,
        "summary": sanitize(result.summary),
        "node": _text(result.node),
        "generated": _stamp(result.generated),
        "checks": [_finding(definition, finding, url, result)
                   for finding, url in zip(findings, runbooks)],
        "perfdata": [_perf(perf) for perf in result.perfdata],
        "details": [_detail(line) for line in result.details],
        "runbook_url": _runbook(result.details),
        "error": _error(result.error),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def _finding(definition, finding, runbook_url, result):
    return {
        "id": finding.condition,
        "state": status_name(finding.status),
        "status": finding.status,
        "output": sanitize(line_of(finding)),
        "text": sanitize(finding.text),
        "since": _stamp(finding.since, result.generated),
        "next_step": _text(finding.action),
        "runbook_url": runbook_url,
        "node": _text(finding.node or result.node),
        "plugin": finding.page or definition.prog,
        "details": [sanitize(line) for line in finding.details],
    }


def _perf(perf):
    return {"label": perf.label, "value": _number(perf.value), "unit": perf.uom or "",
            "warn": _threshold(perf.warn), "crit": _threshold(perf.crit),
            "min": _number(perf.min), "max": _number(perf.max)}


def _detail(line):
    """A long-output line as the Nagios format prints it (its indent kept)."""
    return "    " + sanitize(line) if line.startswith("    ") else sanitize(line)


def _runbook(details):
    """The worst finding's runbook link: the long output's last line names it."""
    last = details[-1] if details else ""
    return sanitize(last[len("Runbook: "):]) if last.startswith("Runbook: ") else None


def _error(error):
    if error is None:
        return None
    cause, fix = error
    return {"cause": sanitize(cause), "fix": _text(fix)}


def _text(value):
    return None if value is None else sanitize(value)


def _stamp(moment, zone_of=None):
    """ISO-8601 with offset; in the node's own offset (its state's ``generated``)."""
    if moment is None:
        return None
    return (moment.astimezone(zone_of.tzinfo) if zone_of is not None else moment).isoformat()

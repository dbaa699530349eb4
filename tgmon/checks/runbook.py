"""Where the person paged reads what to do: the runbook anchor of each finding.

Every check's page (docs/checks/<plugin>.rst, rendered to HTML when the package
is built: tools/htmldocs.py) has a section "Runbook" (id ``runbook``: where a
service's notes_url points) with one part per finding its judge can emit, its
id the finding's condition name: what it means, what to do now, how to verify
it is fixed, when to escalate. This module builds their URLs from one base
(--runbook-url; Icinga 2's TgmonDocsUrl; the Nagios sample's _TGMON_DOCS).
"""

from ..verdict import OK, problems_first

# where the rendered docs are served: the Apache snippet the package ships
DEFAULT_RUNBOOK_URL = "http://localhost/tgmon-docs"

SECTION = "runbook"
# the four parts of every finding's runbook entry, as the pages title them
PARTS = ("What it means", "Do now", "Verify", "Escalate")


def page_url(base, prog):
    """'http://host/tgmon-docs/checks/check_versions.html': a check's rendered page."""
    return "%s/checks/%s.html" % ((base or DEFAULT_RUNBOOK_URL).rstrip("/"), prog)


def anchor_url(base, prog, anchor):
    return "%s#%s" % (page_url(base, prog), anchor)


def explained_by(definition, finding):
    """(plugin, anchor) of the runbook entry that explains ``finding``."""
    return finding.page or definition.prog, finding.condition


def finding_url(definition, finding, base):
    """The runbook link of a problem finding; None for an OK one (it needs none)."""
    if finding.status == OK:
        return None
    return anchor_url(base, *explained_by(definition, finding))


def worst_finding(verdict, status):
    """The finding the first line names: the first problem of the overall status
    (a cluster's known CRITICAL outranks its UNKNOWN), else the worst problem."""
    problems = problems_first(verdict.findings)
    leading = [f for f in problems if f.status == status]
    return (leading or problems or [None])[0]


def runbook_lines(definition, verdict, status, base):
    """The long output's last line, ``Runbook: <url>``, for a result that is not OK."""
    if status == OK:
        return []
    finding = worst_finding(verdict, status)
    if finding is None:
        return []
    return ["Runbook: %s" % anchor_url(base, *explained_by(definition, finding))]

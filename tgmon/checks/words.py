"""How the state's values read in an alert: words, never the enum spellings of
status.json (``no-updates``, ``auto-update``, ``tuesday``).

One place, so every check says a run's kind and result, and a weekly setting,
the same way.
"""

RUN_KINDS = {"scheduled": "scheduled", "auto-update": "Auto-Update"}
RUN_RESULTS = {"ok": "succeeded", "no-updates": "found no updates", "failed": "failed"}


def run_kind(run):
    """'scheduled' or 'Auto-Update': a run's kind as the admin menus name it."""
    return RUN_KINDS.get(run.kind, run.kind)


def run_result(run):
    """'succeeded', 'found no updates' or 'failed': how a run ended."""
    return RUN_RESULTS.get(run.result, run.result)


def weekly(setting):
    """'Tue 03:00': a scheduled download or update setting (a weekly time, not an instant)."""
    return "%s %s" % (setting.weekday[:3].capitalize(), setting.start)

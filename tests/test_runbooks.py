"""Runbooks that load (issue 21): every finding a judge can emit as a problem has
an anchor on its check's page with all four parts; the rendered HTML holds
every anchor; a problem's long output ends with the link to its worst finding."""

import os
import subprocess
import pytest
from docutils import nodes
from docutils.core import publish_doctree

from tgmon.state import examples
from tgmon.checks import runbook
from tgmon.options import build_parser, settings_of
from tgmon.sources import Unreadable
from tgmon.checks.registry import all_checks, by_prog
from tgmon.state.model import ClusterView, Hotfix, NodeFailure
from tgmon.sim.scenario import load_scenario
from tgmon.verdict import OK

from helpers import DAY, NOW, ROOT, run_check
from test_golden import golden

CHECKS = all_checks()
ANCHORS = [(d.prog, anchor) for d in CHECKS for anchor in d.runbook_ids]
CLUSTER = by_prog("check_cluster_updates")
REACHABLE = by_prog("check_reachable")
# what the node services, the all-in-one check and the cluster check judge
JUDGED = [d for d in CHECKS if d is not REACHABLE]


def _doctree(prog):
    path = os.path.join(ROOT, "docs", "checks", prog + ".rst")
    with open(path, encoding="utf-8") as handle:
        return publish_doctree(handle.read(), source_path=path, settings_overrides={
            "report_level": 5, "_disable_config": True})


def _section(tree, anchor):
    found = [s for s in tree.findall(nodes.section) if anchor in s["ids"]]
    assert len(found) == 1, "%s: %d sections with the anchor" % (anchor, len(found))
    return found[0]


@pytest.mark.parametrize("prog, anchor", ANCHORS, ids=["%s#%s" % a for a in ANCHORS])
def test_every_finding_has_an_anchor_with_its_four_parts(prog, anchor):
    section = _section(_doctree(prog), anchor)
    assert section.parent["ids"][0] == runbook.SECTION   # inside the page's Runbook section
    items = [(item[0].astext(), item[1].astext())
             for item in section.findall(nodes.definition_list_item)]
    assert [term for term, _ in items] == list(runbook.PARTS), items
    for term, text in items:
        assert len(text.split()) >= 5, (anchor, term, text)   # words, not a placeholder


@pytest.mark.parametrize("definition", CHECKS, ids=[d.prog for d in CHECKS])
def test_every_page_has_the_runbook_section_notes_url_points_at(definition):
    tree = _doctree(definition.prog)
    runbooks = [s for s in tree.findall(nodes.section) if runbook.SECTION in s["ids"]]
    assert len(runbooks) == 1
    entries = [s for s in runbooks[0].findall(nodes.section) if s is not runbooks[0]]
    assert len(entries) >= len(definition.runbook_ids)


def _problems(definition, subject, now, argv=()):
    """(plugin, anchor) of the problems the check reports, run with these options."""
    settings = settings_of(definition, vars(build_parser(definition).parse_args(list(argv))))
    verdict = definition.judge(subject, settings, now)
    return {runbook.explained_by(definition, f) for f in verdict.findings if f.status != OK}


# Findings the defaults never show, only an option does (e.g. a threshold that is off
# unless given): (plugin, its options), judged on every example state.
NON_DEFAULT = ()


def _variants():
    """States no example or scenario reaches, for the findings they alone show: the
    golden files' (tools/golden.py), one home for both."""
    return {name: state for name, (state, _) in golden.variants(NOW).items()}


def _emitted():
    """(plugin, anchor) of every problem the judges emit on the example states, at
    every event of every shipped scenario, and on the variants."""
    seen = set()

    def judge(states, now, failures=()):
        for state in states:
            for definition in JUDGED:
                if definition is not CLUSTER:
                    seen.update(_problems(definition, state, now))
        view = ClusterView(tuple((s.node.name, s) for s in states), failures, now, "x")
        seen.update(_problems(CLUSTER, view, now))

    for name in examples.EXAMPLES:
        judge([examples.build(name)], NOW)
    for state in _variants().values():
        judge([state], NOW)
    judge([examples.build("healthy-cluster-node")], NOW,
          (NodeFailure("https://tg9:9740/v1/status", "connection refused"),))
    seen.update(_problems(REACHABLE, Unreadable("/x", "state dir /x does not exist"), NOW))
    for prog, argv in NON_DEFAULT:
        for name in examples.EXAMPLES:
            seen.update(_problems(by_prog(prog), examples.build(name), NOW, argv))
    directory = os.path.join(ROOT, "scenarios")
    for name in sorted(os.listdir(directory)):
        scenario = load_scenario(os.path.join(directory, name))
        sim = scenario.build()
        while True:
            instant = sim.queue.next_time()
            if instant is None or instant > scenario.end:
                break
            sim.run_until(instant)
            judge(list(sim.states().values()), sim.local(sim.now))
    return seen


def test_options_reach_the_judge_as_non_default_needs():
    versions, state = by_prog("check_versions"), examples.build("download-failed-single")
    assert ("check_versions", "warn-flag") in _problems(versions, state, NOW)
    assert not _problems(versions, state, NOW, ["--warn-flag-severity", "ok"])


def test_the_declared_findings_are_exactly_what_the_judges_emit():
    """A problem with no declared anchor would link to nothing; a declared finding no
    judge emits is a stale runbook entry."""
    emitted = _emitted()
    assert emitted == set(ANCHORS), (sorted(emitted - set(ANCHORS)),
                                     sorted(set(ANCHORS) - emitted))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    import sys
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    try:
        import htmldocs
    finally:
        sys.path.pop(0)
    dest = str(tmp_path_factory.mktemp("html"))
    assert htmldocs.main([dest, "--require"]) == 0
    return dest


def _html(rendered, name):
    with open(os.path.join(rendered, name), encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.parametrize("prog, anchor", ANCHORS, ids=["%s#%s" % a for a in ANCHORS])
def test_the_rendered_page_holds_the_anchor(rendered, prog, anchor):
    page = _html(rendered, "checks/%s.html" % prog)
    assert 'id="%s"' % anchor in page
    assert 'id="%s"' % runbook.SECTION in page


def test_every_doc_renders_whole_and_the_index_links_them(rendered):
    pages = sorted(os.path.relpath(os.path.join(d, f), rendered)
                   for d, _, files in os.walk(rendered) for f in files)
    wanted = sorted(["index.html"] + [n[:-4] + ".html" for n in os.listdir(
        os.path.join(ROOT, "docs")) if n.endswith(".rst")] + ["checks/%s.html" % d.prog
                                                             for d in CHECKS])
    assert pages == wanted
    for name in pages:
        page = _html(rendered, name)
        # markup that failed shows its backquotes, or a docutils error in the page
        assert "``" not in page, name
        assert 'class="system-message"' not in page, name
    index = _html(rendered, "index.html")
    assert all('href="%s"' % name in index for name in pages if name != "index.html")


def test_without_docutils_htmldocs_says_so_and_renders_nothing(tmp_path):
    """python3 -S: no site-packages, so no docutils - the venv route without it."""
    dest = tmp_path / "html"
    argv = ["/usr/bin/python3", "-S", os.path.join(ROOT, "tools", "htmldocs.py"), str(dest)]
    skipped = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert skipped.returncode == 0 and not dest.exists(), skipped
    assert "docutils is missing" in skipped.stderr and "python3-docutils" in skipped.stderr
    required = subprocess.run(argv + ["--require"], capture_output=True, text=True, timeout=60)
    assert required.returncode == 1 and not dest.exists(), required


# ------------------------------------------------------------------ the Runbook line
LINK = "Runbook: http://localhost/tgmon-docs/checks/"
# example state, plugin, extra options -> the long output's last line (None: no link)
CASES = [
    ("healthy-single", "check_versions", [], None),
    ("healthy-single", "check_tightgate", [], None),
    ("healthy-single", "check_reachable", [], None),
    ("download-failed-single", "check_versions", [], LINK + "check_versions.html#warn-flag"),
    ("download-failed-single", "check_tightgate", [],
     LINK + "check_versions.html#warn-flag"),
    ("releases-behind-single", "check_versions", [],
     LINK + "check_versions.html#skipped-release"),
    ("update-locked-cluster-node", "check_update_lock", [],
     LINK + "check_update_lock.html#update-lock"),
    # the worst of four problems: the lock, on check_update_lock's page
    ("update-locked-cluster-node", "check_tightgate", [],
     LINK + "check_update_lock.html#update-lock"),
    ("update-locked-cluster-node", "check_maintenance", [],
     LINK + "check_maintenance.html#maint-only"),
    ("update-locked-cluster-node", "check_update_schedule", [],
     LINK + "check_update_schedule.html#switched-off"),
    ("update-locked-cluster-node", "check_cluster_updates", [],
     LINK + "check_cluster_updates.html#cluster-halted"),
    # a severity changed: the lock is a WARNING now, and still links its entry
    ("update-locked-cluster-node", "check_update_lock", ["--update-lock-severity", "warning"],
     LINK + "check_update_lock.html#update-lock"),
    ("reboot-required-single", "check_reboot_required", [],
     LINK + "check_reboot_required.html#reboot-required"),
    # later: overdue, a finding of its own
    ("reboot-required-single", "check_reboot_required", ["--critical-age", "1h"],
     LINK + "check_reboot_required.html#reboot-overdue"),
    ("download-failed-single", "check_versions", ["--runbook-url", "https://mon.example.net/d/"],
     "Runbook: https://mon.example.net/d/checks/check_versions.html#warn-flag"),
    ("download-failed-single", "check_versions", ["--runbook-url", ""],
     LINK + "check_versions.html#warn-flag"),
]


@pytest.mark.parametrize("example, prog, extra, last", CASES,
                         ids=["%s-%s-%d" % (c[0], c[1], i) for i, c in enumerate(CASES)])
def test_a_problem_ends_with_its_runbook_link_and_ok_has_none(state_dir, example, prog,
                                                                 extra, last):
    path = state_dir(examples.build(example))
    source = "--node" if prog == "check_cluster_updates" else "--state-dir"
    outcome = run_check(by_prog(prog), [source, path] + extra)
    links = [line for line in outcome.lines if line.startswith("Runbook: ")]
    if last is None:
        assert outcome.code == 0 and links == [], outcome.output
        return
    assert outcome.code in (1, 2) and outcome.lines[-1] == last, outcome.output
    assert links == [last]
    assert len(outcome.shown) <= 160 and "Runbook" not in outcome.shown


def test_the_cluster_links_its_known_critical_not_the_unreachable_node(state_dir):
    locked = state_dir(examples.build("update-locked-cluster-node"))
    outcome = run_check(CLUSTER, ["--node", locked, "--node", "/nonexistent/tg9"])
    assert outcome.code == 2 and "1 node unreachable" in outcome.text, outcome.output
    assert outcome.lines[-1] == LINK + "check_cluster_updates.html#cluster-halted"
    alone = run_check(CLUSTER, ["--node", "/nonexistent/tg9"])
    assert alone.code == 3
    assert alone.lines[-1] == LINK + "check_cluster_updates.html#unreachable"


def test_the_base_url_comes_from_the_config_file_and_the_command_line_wins(state_dir,
                                                                          short_tmp):
    path = state_dir(examples.build("download-failed-single"))
    config = short_tmp / "tgmon.yml"
    config.write_text("runbook_url: https://from-config.example.net/tgmon-docs\n")
    from_file = run_check(by_prog("check_versions"), ["--state-dir", path, "--config",
                                                      str(config)])
    assert from_file.lines[-1] == ("Runbook: https://from-config.example.net/tgmon-docs/"
                                   "checks/check_versions.html#warn-flag")
    given = run_check(by_prog("check_versions"), ["--state-dir", path, "--config", str(config),
                                                  "--runbook-url", "http://cli.example.net"])
    assert given.lines[-1].startswith("Runbook: http://cli.example.net/checks/")


# a base the link would carry into every alert wrongly: refused, exit 3, one line
BAD_BASES = [
    "ftp://docs.example.net/tgmon",          # not http(s)
    "docs.example.net/tgmon",                # no scheme
    "http://docs.example.net/a?x=1",         # a query: the path would follow it
    "http://docs.example.net/a#top",         # a fragment: the anchor would be lost
    "http://user:secret@docs.example.net/",  # a password in every alert
    "http://docs.example.net/a b",           # a space
    "http://docs.example.net/$USER1$",       # Nagios strips $ from macros
    "http://docs.example.net/~admin",        # ... and ~
    "http://docs.example.net/it's",          # ... and '
    "http://docs.example.net/<b>",           # ... and < >
    "http://docs.example.net/\u202egpj",     # a bidi override
    "http://docs.example.net/\nRunbook: x",  # a second line
    "http://d\u00f6cs.example.net/",         # not ASCII
    "http://docs.example.net/" + "a" * 300,  # huge
]


@pytest.mark.parametrize("base", BAD_BASES, ids=range(len(BAD_BASES)))
def test_a_bad_base_url_is_refused_in_one_line(state_dir, base):
    path = state_dir(examples.build("download-failed-single"))
    outcome = run_check(by_prog("check_versions"), ["--state-dir", path, "--runbook-url", base])
    assert outcome.code == 3 and len(outcome.lines) == 1, outcome.output
    assert outcome.text.startswith("VERSIONS UNKNOWN - bad option: argument --runbook-url")
    assert "secret" not in outcome.output and "\u202e" not in outcome.output


def test_time_driven_problems_link_their_own_entries(state_dir):
    """A hotfix pending: its count warns; 40 days old its age is the worse finding."""
    healthy = examples.build("healthy-single")
    new = state_dir(healthy._replace(hotfixes=healthy.hotfixes._replace(available=(
        Hotfix("HF-2", "browser", NOW - DAY),))))
    fresh = run_check(by_prog("check_hotfixes"), ["--state-dir", new])
    assert fresh.code == 1 and fresh.lines[-1] == LINK + "check_hotfixes.html#pending-count"
    path = state_dir(_variants()["old-hotfix"])
    aged = run_check(by_prog("check_hotfixes"), ["--state-dir", path, "-w", "2"])
    assert aged.code == 2 and aged.lines[-1] == LINK + "check_hotfixes.html#pending-age"

"""Issue 18, classes 12 and 11: ``tgmon-sim`` reads a scenario like every YAML file, and
what it prints is safe text.

Class 12: the one YAML loader (tgmon/safeio/yaml.py, files read with safefile):
a FIFO or device is refused at once, size, nesting and aliases are bounded,
a wrong type is named with its path in the document - exit 2 and one line,
never a traceback. Class 11: whatever a scenario's strings hold (line
breaks, escapes, bidi controls), every line tgmon-sim prints is one line of
printable text, and the output has the lines it would have with plain strings.
"""

import os
import subprocess
import time
import unicodedata

import pytest

from tgmon.safeio.text import UNSAFE_CATEGORIES

from .common import sparse
from .daemon import TGMON_SIM

pytestmark = pytest.mark.slow
HANG_GUARD = 5.0

HEAD = "scenario: x\nstart: 2026-11-16T00:00\n"
NODE = HEAD + "nodes:\n  - name: tg\n"


def sim(*argv, stdout=subprocess.PIPE, cwd=None):
    started = time.monotonic()
    done = subprocess.run([TGMON_SIM] + list(argv), stdin=subprocess.DEVNULL, stdout=stdout,
                          stderr=subprocess.PIPE, timeout=60, cwd=cwd)
    return done, time.monotonic() - started


def clean_lines(data):
    text = data.decode("utf-8")
    lines = text.splitlines()
    for line in lines:
        assert line.isprintable() and not any(
            unicodedata.category(char) in UNSAFE_CATEGORIES for char in line), repr(line)
    assert text == "" or text.endswith("\n") and text.count("\n") == len(lines), repr(text)
    return lines


def laughs(levels=9):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += ["a%d: &a%d [%s]" % (n, n, ",".join(["*a%d" % (n - 1)] * 9))
              for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def node(field):
    return HEAD + "nodes:\n  - name: tg\n    %s\n" % field


def event(body):
    return NODE + "events:\n  - at: 2026-11-17T00:00\n    " + body.replace("\n", "\n    ") + "\n"


def fifo(path):
    os.mkfifo(path)


def loop(path):
    os.symlink(os.path.basename(path), path)


def huge(path):
    sparse(path, 2 * 1024 * 1024)


# (id, the scenario: text, bytes or a function making the file, what the line says)
FILES = [
    ("fifo", fifo, "is a FIFO, not a regular file - give a scenario file"),
    ("character_device", "/dev/zero", "is a character device, not a regular file"),
    ("directory", "/", "is a directory, not a regular file"),
    ("missing", "/nonexistent/s.yml", "does not exist - check the path"),
    ("symlink_loop", loop, "is a symlink loop"),
    ("2_mb_sparse", huge, "is 2097152 bytes, more than the 1048576 allowed"),
    ("billion_laughs", HEAD + laughs(), "aliases (*name) are not supported here"),
    ("nested_100_deep", HEAD + "x: " + "[" * 100 + "]" * 100 + "\n",
     "nested more than 20 levels deep"),
    ("binary_utf16_bom", b"\xff\xfe\x00\x01\x02" * 100, "a scenario is a YAML mapping, not text"),
    ("invalid_utf8", HEAD.encode() + b"description: \xc3\x28\xff\n",
     "not valid YAML - fix the YAML"),
    ("control_character", HEAD + "description: a\x07b\n", "not valid YAML - fix the YAML"),
    ("python_object_tag", HEAD + "x: !!python/object:os.system [ls]\n", "not valid YAML"),
    ("a_key_that_is_a_list", HEAD + "? [a, b]\n: c\n", "a key must be a plain value"),
    ("5000_digit_number", NODE.replace("name: tg", "name: tg\n    users: " + "9" * 5000),
     "a number is thousands of digits long"),
    ("top_level_list", "- a\n- b\n", "a scenario is a YAML mapping, not a list"),
    ("empty", "", "a scenario is a YAML mapping, not empty"),
    ("unknown_top_key", NODE + "bogus: 1\n", "unknown key 'bogus'"),
    ("nodes_a_number", HEAD + "nodes: 5\n", "nodes: must be a list, not a whole number"),
    ("node_a_number", HEAD + "nodes: [5]\n", "nodes[0]: must be a mapping, not a whole number"),
    ("users_text", node("users: many"), "nodes[0].users: must be a whole number from 0 to "
                                        "1000000, not text"),
    ("users_bool", node("users: yes"), "nodes[0].users: must be a whole number from 0 to "
                                       "1000000, not true/false"),
    ("users_negative", node("users: -1"), "nodes[0].users: must be a whole number from 0 to "
                                          "1000000, not -1"),
    ("version_a_number", node("installed: 4.10"),
     'nodes[0].installed: must be text, not a number (quote it: "4.1")'),
    ("version_words", node('installed: "four"'), "nodes[0].installed: 'four' is not a version"),
    ("version_5000_digits", node('installed: "4.%s"' % ("1" * 5000)),
     "nodes[0].installed: must be 1-128 printable characters"),
    ("version_7_parts", node('installed: "4.1.1.1.1.1.1"'), "'4.1.1.1.1.1.1' is not a version"),
    ("name_with_line_break", HEAD + 'nodes:\n  - name: "tg\\nevil"\n',
     "nodes[0].name: must be 1-128 printable characters without line breaks"),
    ("name_with_bidi", HEAD + 'nodes:\n  - name: "tg\\u202eevil"\n',
     "nodes[0].name: must be 1-128 printable characters"),
    ("name_a_list", HEAD + "nodes:\n  - name: [a, b]\n", "nodes[0].name: must be text, not a list"),
    ("name_binary", HEAD + "nodes:\n  - name: !!binary aGk=\n",
     "nodes[0].name: must be text, not a bytes value"),
    ("kernel_update_quoted_no", HEAD + 'server:\n  releases:\n    - {version: "4.11", released: '
     '2026-09-29T10:00, kernel_update: "no"}\nnodes:\n  - name: tg\n',
     "server.releases[0].kernel_update: must be true or false, not text"),
    ("weekday_unknown", node("schedule: {update: {weekday: funday}}"),
     "nodes[0].schedule.update.weekday: 'funday' is not one of monday"),
    ("clock_25_00", node("schedule: {update: {start: '25:00'}}"),
     "nodes[0].schedule.update.start: '25:00' is not HH:MM"),
    ("timezone_a_path", HEAD + "timezone: ../../etc/passwd\nnodes:\n  - name: tg\n",
     "timezone: unknown timezone '../../etc/passwd'"),
    ("timezone_a_list", HEAD + "timezone: [1]\nnodes:\n  - name: tg\n",
     "timezone: must be text, not a list"),
    ("start_a_list", "scenario: x\nstart: [1]\nnodes:\n  - name: tg\n",
     "start: must be a time (e.g. 2026-11-17T03:00), not a list"),
    ("start_year_99999", "scenario: x\nstart: '99999-01-01'\nnodes:\n  - name: tg\n",
     "start: '99999-01-01' is not a time"),
    ("ten_years", NODE + "end: 2036-11-16T00:00\n", "end: at most 731 days after start"),
    ("max_parallel_0", HEAD + "clusters:\n  - name: c\n    max_parallel_updates: 0\n"
     "    nodes: [{name: tg}]\n", "clusters[0].max_parallel_updates: must be a whole number "
                                 "from 1 to 1000000, not 0"),
    ("600_nodes", HEAD + "nodes:\n" + "".join("  - name: tg%d\n" % n for n in range(600)),
     "600 nodes; at most 500"),
    ("events_a_mapping", NODE + "events: {a: 1}\n", "events: must be a list, not a mapping"),
    ("attempts_text", event("node: tg\nfault: fail_downloads\nattempts: many"),
     "events[0].attempts: must be a whole number from 0 to 1000000, not text"),
    ("attempts_missing", event("node: tg\nfault: fail_downloads"),
     "events[0]: missing argument 'attempts'"),
    ("outage_for_a_list", event("server: outage\nfor: [1]"),
     "events[0].for: must be a duration such as 90m or 2h, not a list"),
    ("release_version_a_number", event("server: publish_release\nversion: 5"),
     'events[0].version: must be text, not a whole number (quote it: "5")'),
    ("two_kinds_in_one_event", event("note: a\nnode: tg\nadmin: update\naction: download"),
     "events[0]: an event needs exactly one of admin, fault, server, cluster, note"),
    ("set_schedule_weekday_7", event("node: tg\nadmin: update\naction: set_schedule\n"
                                     "download: {weekday: 7}"),
     "events[0].download.weekday: 7 is not one of monday"),
    ("hotfix_ids_mappings", event("node: tg\nadmin: update\naction: select_hotfixes\n"
                                  "ids: [{a: 1}]"),
     "events[0].ids[0]: must be text, not a mapping"),
    ("event_three_years_later", event("note: late").replace("2026-11-17", "2029-11-17"),
     "events[0].at: more than 731 days after start"),
    ("cluster_set_lock_text", HEAD + "clusters:\n  - name: c\n    nodes: [{name: tg}]\nevents:\n"
     "  - at: 2026-11-17T00:00\n    cluster: c\n    set: {update_lock: maybe}\n",
     "events[0].set.update_lock: must be true or false, not text"),
    # issue 18 (class 12): what the loader took silently or with a traceback before
    ("merge_key", HEAD + "nodes:\n  - <<: {name: tg, users: 3}\n    users: 4\n",
     "s.yml:4: not valid YAML (merge keys (<<) are not supported here; write the keys out)"),
    ("merge_key_list", HEAD + "nodes:\n  - name: tg\n    <<: [{users: 3}, {users: 4}]\n",
     "s.yml:5: not valid YAML (merge keys (<<) are not supported here"),
    ("duplicate_top_key", NODE + "nodes:\n  - name: tg2\n",
     "s.yml:5: not valid YAML (a key is given twice in one mapping; keep one)"),
    ("duplicate_key_in_a_node", HEAD + "nodes:\n  - name: tg\n    users: 1\n    users: 900\n",
     "s.yml:6: not valid YAML (a key is given twice in one mapping; keep one)"),
    ("duplicate_key_true_and_1", HEAD + "x: {1: a, true: b}\nnodes: [{name: tg}]\n",
     "s.yml:3: not valid YAML (a key is given twice in one mapping"),
    ("start_year_9999", NODE.replace("2026-11-16T00:00", "9999-12-30T00:00"),
     "s.yml:2: start: '9999-12-30T00:00' lies outside the years 1970-2200"),
    ("start_year_1", NODE.replace("2026-11-16T00:00", "0001-01-01T00:00"),
     "s.yml:2: start: '0001-01-01T00:00' lies outside the years 1970-2200"),
    ("start_year_1_with_offset", NODE.replace("2026-11-16T00:00", "0001-01-01T00:30+01:00"),
     "start: '0001-01-01T00:30+01:00' lies outside the years 1970-2200"),
    ("start_before_1970_in_utc", NODE.replace("2026-11-16T00:00", "1970-01-01T00:30"),
     "start: '1970-01-01T00:30' lies outside the years 1970-2200"),
    ("end_year_9999", NODE + "end: 9999-12-31T23:59\n",
     "end: '9999-12-31T23:59' lies outside the years 1970-2200"),
    ("release_in_year_1", HEAD + "server:\n  releases:\n    - {version: '4.11', released: "
     "0001-01-01T00:00}\nnodes: [{name: tg}]\n",
     "server.releases[0].released: '0001-01-01T00:00' lies outside the years 1970-2200"),
    ("event_at_year_3000", NODE + "events:\n  - at: 3000-01-01T00:00\n    note: x\n",
     "events[0].at: '3000-01-01T00:00' lies outside the years 1970-2200"),
    ("start_on_the_last_day", NODE.replace("2026-11-16T00:00", "2200-12-31T12:00"),
     "cannot be simulated for one day (the simulated times must lie before 2201)"),
    ("end_after_2200", NODE.replace("2026-11-16T00:00", "2200-06-01T00:00")
     + "end: 2201-02-01T00:00\n", "end: '2201-02-01T00:00' lies outside the years 1970-2200"),
    ("outage_lasting_past_2200", NODE.replace("2026-11-16T00:00", "2200-12-20T00:00")
     + "events:\n  - at: 2200-12-21T00:00\n    server: outage\n    for: 30d\n",
     "events[0].for: at most 12 days"),
    ("10001_events", NODE + "events:\n" + "  - {at: 2026-11-17T00:00, note: x}\n" * 10001,
     "events: 10001 events; at most 10000"),
    ("1001_releases", HEAD + "server:\n  releases:\n" + "    - {version: '4.1', released: "
     "2026-11-01T00:00}\n" * 1001 + "nodes: [{name: tg}]\n",
     "server.releases: 1001 releases; at most 1000"),
    ("1001_hotfixes", HEAD + "server:\n  hotfixes:\n" + "    - {id: H, released: "
     "2026-11-01T00:00}\n" * 1001 + "nodes: [{name: tg}]\n",
     "server.hotfixes: 1001 hotfixes; at most 1000"),
    ("1001_outages", HEAD + "server:\n  outages:\n" + "    - {start: 2026-11-01T00:00, end: "
     "2026-11-01T01:00}\n" * 1001 + "nodes: [{name: tg}]\n",
     "server.outages: 1001 outages; at most 1000"),
    ("50000_nodes_counted_first", HEAD + "nodes:\n" + "".join(
        "  - {name: t%d}\n" % n for n in range(50000)), "50000 nodes; at most 500"),
    ("501_nodes_in_clusters", HEAD + "clusters:\n" + "".join(
        "  - name: c%d\n    nodes: [%s]\n" % (c, ", ".join("{name: n%d_%d}" % (c, n)
                                                           for n in range(167)))
        for c in range(3)), "501 nodes; at most 500"),
    ("500_nodes_for_two_years", HEAD + "end: 2028-11-15T00:00\nnodes:\n" + "".join(
        "  - {name: t%d}\n" % n for n in range(500)),
     "end: at most 30 days after start for 500 node(s) with 0 release(s) and hotfix(es) (a run "
     "simulates at most 15000 node-days; every 20 releases or hotfixes weigh as one node more)"),
    ("1000_hotfixes_for_two_years", HEAD + "end: 2028-11-15T00:00\nserver:\n  hotfixes:\n"
     + "".join("    - {id: H%d, released: 2026-11-01T00:00}\n" % n for n in range(1000))
     + "nodes: [{name: tg}]\n", "end: at most 294 days after start for 1 node(s) with 1000"),
    ("event_beyond_the_affordable_span", HEAD + "nodes:\n" + "".join(
        "  - {name: t%d}\n" % n for n in range(100)) + "events:\n  - at: 2027-06-01T00:00\n"
     "    note: x\n", "events[0].at: more than 150 days after start for 100 node(s)"),
    ("500_nodes_and_1000_hotfixes", HEAD + "server:\n  hotfixes:\n" + "".join(
        "    - {id: H%d, released: 2026-11-01T00:00}\n" % n for n in range(1000))
     + "nodes:\n" + "".join("  - {name: t%d}\n" % n for n in range(500)),
     "cannot be simulated for one day for 500 node(s) with 1000 release(s) and hotfix(es)"),
    ("symlink_to_proc_self_mem", lambda path: os.symlink("/proc/self/mem", path),
     "cannot be read: Input/output error - check the file"),
    ("symlink_to_dev_stdin", lambda path: os.symlink("/dev/stdin", path),
     "is a character device, not a regular file - give a scenario file"),
    ("symlink_to_proc_self_environ", lambda path: os.symlink("/proc/self/environ", path),
     "s.yml: not valid YAML - fix the YAML"),
    ("quoted_merge_is_a_plain_key", NODE + '"<<": {users: 3}\n', "unknown key '<<'"),
    # free text a state could not hold (its schema: 1000 characters; the checks refused the
    # state tgmon-sim run wrote, while the timeline judged it OK)
    ("hotfix_title_of_5000_characters", HEAD + "server:\n  hotfixes:\n    - {id: H1, title: "
     + "T" * 5000 + ", released: 2026-11-16T10:00}\nnodes: [{name: tg}]\n",
     "s.yml:5: server.hotfixes[0].title: is 5000 characters; at most 1000"),
    ("maintenance_reason_of_1001_characters", event(
        "node: tg\nadmin: maint\naction: plan_maintenance\nstart: 2026-11-17T20:00\nreason: "
        + "r" * 1001), "events[0].reason: is 1001 characters; at most 1000"),
    ("note_of_2000_characters", event("note: " + "n" * 2000),
     "events[0].note: is 2000 characters; at most 1000"),
]


@pytest.mark.parametrize("name, content, says", FILES, ids=[f[0] for f in FILES])
def test_a_bad_scenario_is_exit_2_in_one_line(tmp_path, name, content, says):
    path = str(tmp_path / "s.yml")
    if callable(content):
        content(path)
    elif isinstance(content, str) and content.startswith("/"):
        path = content
    else:
        with open(path, "wb") as handle:
            handle.write(content if isinstance(content, bytes) else content.encode("utf-8"))
    done, took = sim("timeline", path)
    assert done.returncode == 2
    assert done.stdout == b""
    lines = clean_lines(done.stderr)
    assert len(lines) == 1 and lines[0].startswith("tgmon-sim: %s" % path), lines
    assert says in lines[0], lines
    assert "Traceback" not in lines[0]
    assert took < HANG_GUARD


# (id, the command line beyond the scenario, what the line says)
ARGUMENTS = [
    ("until_five_years_on", ["timeline", "SCENARIO", "--until", "2031-11-16T00:00"],
     "--until is more than 731 days after the scenario start"),
    ("until_not_a_time", ["timeline", "SCENARIO", "--until", "soon\u202e"],
     "--until: 'soon\\u202e' is not a time"),
    ("speed_nan", ["serve", "SCENARIO", "--speed", "nan"],
     "bad arguments: argument --speed: --speed must be a number above 0"),
    ("speed_negative", ["serve", "SCENARIO", "--speed", "-3"],
     "bad arguments: argument --speed: --speed must be a number above 0"),
    ("until_year_9999", ["timeline", "SCENARIO", "--until", "9999-12-31T23:59"],
     "--until: '9999-12-31T23:59' lies outside the years 1970-2200"),
    ("at_year_1", ["serve", "SCENARIO", "--at", "0001-01-01T00:00"],
     "--at: '0001-01-01T00:00' lies outside the years 1970-2200"),
]


@pytest.mark.parametrize("name, argv, says", ARGUMENTS, ids=[a[0] for a in ARGUMENTS])
def test_bad_arguments_are_exit_2_in_one_line(tmp_path, name, argv, says):
    path = tmp_path / "s.yml"
    path.write_text(NODE)
    done, took = sim(*[str(path) if arg == "SCENARIO" else arg for arg in argv])
    assert done.returncode == 2 and done.stdout == b""
    lines = clean_lines(done.stderr)
    assert len(lines) == 1 and says in lines[0], lines
    assert took < HANG_GUARD


# (id, a scenario that loads: bytes, and how many nodes its timeline shows)
LOADS = [
    ("utf8_bom_and_crlf", b"\xef\xbb\xbf" + NODE.replace("\n", "\r\n").encode(), 1),
    ("utf16_with_bom", NODE.encode("utf-16"), 1),
    ("10000_events", (NODE + "events:\n" + "".join(
        "  - {at: 2026-11-17T%02d:%02d, note: n%d}\n" % (n // 600, n // 10 % 60, n)
        for n in range(10000))).encode(), 1),
    ("2200_within_the_years", NODE.replace("2026-11-16", "2200-11-16").encode(), 1),
    ("a_4_node_cluster_for_two_years", (HEAD + "end: 2028-11-15T00:00\nclusters:\n  - name: c\n"
                                        "    nodes: [{name: a}, {name: b}, {name: c}, "
                                        "{name: d}]\n").encode(), 4),
]


@pytest.mark.parametrize("name, content, nodes", LOADS, ids=[case[0] for case in LOADS])
def test_a_scenario_within_the_bounds_loads(tmp_path, name, content, nodes):
    path = tmp_path / "s.yml"
    path.write_bytes(content)
    done, took = sim("timeline", str(path), "--until", "2026-11-16T00:30"
                     if "2200" not in name else "2200-11-16T00:30")
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    lines = clean_lines(done.stdout)
    assert len({line.split()[0] for line in lines if "=> VERSIONS" in line}) == nodes
    assert took < 4 * HANG_GUARD     # the 10000 events take a few seconds


# ---------------------------------------------------------------- class 11

HOSTILE = {"TITLE": "x\\x1b[31m\\u202ered\\u2028", "NOTE": "line one\\nline two\\r\\x85",
           "DESCRIPTION": "first\\u2029second\\x1b]0;title\\x07", "HOTFIX": "Firefox\\r\\x1b[2J",
           "REASON": "disk\\u202e\\nswap\\u200b", "NAME": "tg"}
PLAIN = {"TITLE": "x red", "NOTE": "line one line two", "DESCRIPTION": "first second title",
         "HOTFIX": "Firefox", "REASON": "disk swap", "NAME": "tg"}
STRINGS = """scenario: "TITLE"
description: "DESCRIPTION"
start: 2026-11-16T00:00
end: 2026-11-19T00:00
server:
  releases:
    - {version: "4.11", released: 2026-09-29T10:00}
  hotfixes:
    - {id: HF-1, title: "HOTFIX", released: 2026-11-16T08:00}
nodes:
  - name: NAME
    installed: "4.11"
events:
  - at: 2026-11-16T09:00
    note: "NOTE"
  - at: 2026-11-16T10:00
    node: NAME
    admin: maint
    action: plan_maintenance
    start: 2026-11-17T20:00
    reason: "REASON"
  - at: 2026-11-16T11:00
    node: NAME
    admin: update
    action: select_hotfixes
    ids: [HF-1]
"""


def scenario_with(tmp_path, strings, name="s.yml"):
    text = STRINGS
    for key, value in strings.items():
        text = text.replace(key, value)
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# (id, tgmon-sim command after the scenario)
OUTPUTS = [
    ("timeline", ["timeline"]),
    ("timeline_one_node", ["timeline", "--node", "tg"]),
    ("downtimes", ["downtimes"]),
    ("run_state_dir_with_a_line_break", ["run", "--until", "2026-11-17T21:00", "--state-dir",
                                         "STATE\nDIR\u202e"]),
]


@pytest.mark.parametrize("name, argv", OUTPUTS, ids=[o[0] for o in OUTPUTS])
def test_what_tgmon_sim_prints_is_safe_text_whatever_the_scenario_holds(tmp_path, name, argv):
    outputs = []
    for strings, sub in ((PLAIN, "plain"), (HOSTILE, "hostile")):
        (tmp_path / sub).mkdir()
        path = scenario_with(tmp_path / sub, strings)
        done, took = sim(argv[0], path, *argv[1:], cwd=str(tmp_path / sub))
        assert done.returncode == 0 and done.stderr == b"", done.stderr
        assert took < HANG_GUARD
        outputs.append(clean_lines(done.stdout))
    plain, hostile = outputs
    assert len(hostile) == len(plain) > 0          # no line added, none lost
    assert [line.split()[:1] for line in hostile] == [line.split()[:1] for line in plain]


# (id, the bad scenario, how the hostile string comes back)
ERRORS = [
    ("node_with_bidi", NODE + 'events:\n  - at: 2026-11-17T00:00\n    node: "tg\\u202e"\n'
     "    fault: fail_install\n", "events[0].node: must be 1-128 printable characters"),
    ("unknown_node", NODE + 'events:\n  - at: 2026-11-17T00:00\n    node: "tg\\u00e9vil"\n'
     "    fault: fail_install\n", "events[0].node: unknown node 'tg\u00e9vil' (known: tg)"),
    ("unknown_fault_with_escape", NODE + "events:\n  - at: 2026-11-17T00:00\n    node: tg\n"
     '    fault: "x\\x1b[2J"\n', "must be 1-128 printable characters"),
    ("unknown_key_with_line_break", NODE + '"bo\\ngus": 1\n', "unknown key 'bo\\ngus'"),
    ("file_name_with_line_break", None, "does not exist - check the path"),
]


@pytest.mark.parametrize("name, text, says", ERRORS, ids=[e[0] for e in ERRORS])
def test_an_error_quoting_the_scenario_stays_one_clean_line(tmp_path, name, text, says):
    path = str(tmp_path / "s\n\u202e.yml")
    if text is not None:
        with open(path, "w") as handle:
            handle.write(text)
    done, took = sim("timeline", path)
    assert done.returncode == 2 and done.stdout == b""
    lines = clean_lines(done.stderr)
    assert len(lines) == 1 and says in lines[0], lines
    assert took < HANG_GUARD


def closed_stdout():
    return None, ["/bin/sh", "-c", 'exec "$0" "$@" >&-']


def reader_gone():
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end, []


# (id, what stdout is, exit code, what stderr says: one line, or nothing)
STDOUTS = [
    ("reader_gone_head_c0", reader_gone, 0, None),
    ("dev_full", lambda: (os.open("/dev/full", os.O_WRONLY), []), 2,
     "tgmon-sim: cannot write the output: No space left on device - give a writable stdout"),
    ("closed", closed_stdout, 2,
     "tgmon-sim: cannot write the output: stdout is closed - give a writable stdout"),
]


@pytest.mark.parametrize("name, stdout, code, says", STDOUTS, ids=[s[0] for s in STDOUTS])
def test_a_stdout_that_takes_nothing_is_one_clear_line(tmp_path, name, stdout, code, says):
    path = scenario_with(tmp_path, PLAIN)
    fd, prefix = stdout()
    started = time.monotonic()
    try:
        done = subprocess.run(prefix + [TGMON_SIM, "timeline", path], stdin=subprocess.DEVNULL,
                              stdout=fd, stderr=subprocess.PIPE, timeout=60)
    finally:
        if fd is not None:
            os.close(fd)
    assert done.returncode == code
    assert clean_lines(done.stderr) == ([says] if says else [])
    assert time.monotonic() - started < HANG_GUARD


def count_by_class():
    return {"12": len(FILES) + len(ARGUMENTS) + len(LOADS),
            "11": len(OUTPUTS) + len(ERRORS) + len(STDOUTS)}

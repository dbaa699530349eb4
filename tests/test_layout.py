"""The shape of tgmon/: its import graph, read from the source (AST), counting
imports inside functions too.

- no cycle between modules;
- every import runs down the floors below (or stays on its floor);
- at most MAX_LOOSE loose modules at the top of tgmon/, every other module
  in a wing named in WINGS;
- no module over MAX_LINES lines.

The floors are the architecture the README's layout map draws; a new wing
gets its floor here first.
"""

import ast
import os
import re

import pytest

from helpers import ROOT

PACKAGE = os.path.join(ROOT, "tgmon")
MAX_LOOSE = 8
MAX_LINES = 400

# floor: the modules and wings on it (a wing is every module below tgmon/NAME/)
FLOORS = (
    ("tgmon", "tgmon.errors", "tgmon.safeio"),                      # vocabulary, safe I/O
    ("tgmon.timeutil", "tgmon.state", "tgmon.verdict"),             # what a state is
    ("tgmon.sources", "tgmon.render", "tgmon.cores"),               # read, show, talk to cores
    ("tgmon.checks",),                                              # judge
    # run a plugin: its option vocabulary (the sync's option declarations too),
    # the config file, the runtime
    ("tgmon.options", "tgmon.optiontypes", "tgmon.downtimes.options", "tgmon.push.options",
     "tgmon.push.services", "tgmon.config", "tgmon.runtime"),
    ("tgmon.metrics",),                           # a state's facts and verdicts as metrics
    ("tgmon.plugins", "tgmon.server", "tgmon.appliance", "tgmon.downtimes", "tgmon.sim",
     "tgmon.checkmk"),                                              # ... and the datasource
    ("tgmon.push",),            # passive results: judges, renders, sends through cores/
    ("tgmon.cli",),                                                 # the tgmon command
)
WINGS = {name.split(".")[1] for floor in FLOORS for name in floor if name.count(".") == 1
         and os.path.isdir(os.path.join(PACKAGE, name.split(".")[1]))}


def modules():
    """{dotted name: path} of every module of tgmon/."""
    found = {}
    for directory, dirs, files in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(f for f in files if f.endswith(".py")):
            path = os.path.join(directory, name)
            parts = os.path.relpath(path, ROOT)[:-3].split(os.sep)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = modules()


def imported(module, path, node):
    """The tgmon modules an import statement names (a name imported from a
    package counts as its module when it is one)."""
    package = module.split(".") if path.endswith("__init__.py") else module.split(".")[:-1]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = ".".join(package[:len(package) - node.level + 1] +
                            ([node.module] if node.module else []))
        else:
            base = node.module or ""
        targets = [base + "." + alias.name if base + "." + alias.name in MODULES else base
                   for alias in node.names]
    else:
        targets = [alias.name for alias in node.names]
    result = set()
    for target in targets:
        while target not in MODULES and "." in target:
            target = target.rsplit(".", 1)[0]
        if target in MODULES and target != module:
            result.add(target)
    return result


def import_graph():
    graph = {}
    for module, path in MODULES.items():
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), path)
        graph[module] = set()
        for node in ast.walk(tree):     # function-level imports count too
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[module] |= imported(module, path, node)
    return graph


GRAPH = import_graph()


def floor_of(module):
    best = None
    for level, floor in enumerate(FLOORS):
        for name in floor:
            # "tgmon" is the package's face only; any other name, its whole wing
            if module == name or (name != "tgmon" and module.startswith(name + ".")):
                if best is None or len(name) > len(best[1]):
                    best = (level, name)
    return None if best is None else best[0]


def cycles(graph):
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(start):
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = counter[0]
                    counter[0] += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_graph_is_read_from_the_source():
    # the reader sees what it must: an import inside a function (sim/cli.py's
    # _dispatch), a module imported from its package (from ..safeio import bounded)
    assert "tgmon.sim.scenario" in GRAPH["tgmon.sim.cli"]
    assert "tgmon.safeio.bounded" in GRAPH["tgmon.runtime.plugin"]


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    assert cycles(GRAPH) == []


def test_every_module_has_a_floor():
    assert [m for m in MODULES if floor_of(m) is None] == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_down(module):
    mine = floor_of(module)
    upward = sorted(target for target in GRAPH[module] if floor_of(target) > mine)
    assert upward == [], "%s (floor %d) imports from higher floors: %s" % (
        module, mine, ", ".join("%s (%d)" % (t, floor_of(t)) for t in upward))


def test_few_loose_modules_and_every_folder_a_wing():
    loose = sorted(m for m in MODULES if m.count(".") == 1
                   and not os.path.isdir(os.path.join(PACKAGE, m.split(".")[1])))
    assert len(loose) <= MAX_LOOSE, loose
    folders = sorted(d for d in os.listdir(PACKAGE)
                     if os.path.isdir(os.path.join(PACKAGE, d)) and d != "__pycache__")
    assert folders == sorted(WINGS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_400_lines(module):
    with open(MODULES[module], encoding="utf-8") as handle:
        assert len(handle.read().splitlines()) <= MAX_LINES


def test_the_readme_layout_map_names_every_wing_and_loose_module():
    with open(os.path.join(ROOT, "README.rst"), encoding="utf-8") as handle:
        text = handle.read()
    section = text[text.index("\nLayout\n======\n"):]
    section = section[:section.index("\nHow to add a check")]
    named = set(re.findall(r"^\s{4}(tgmon/\S+)", section, re.M))
    wings = {"tgmon/%s/" % wing for wing in WINGS}
    loose = {"tgmon/%s.py" % m.split(".")[1] for m in MODULES if m.count(".") == 1
             and not os.path.isdir(os.path.join(PACKAGE, m.split(".")[1]))}
    assert wings | loose <= named, sorted((wings | loose) - named)
    assert named <= wings | loose, sorted(named - (wings | loose))

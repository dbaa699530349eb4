"""``make generate``: every generated file of the tree, in one run.

    python tools/generate.py          rewrite what is out of date
    python tools/generate.py --check  write nothing; exit 1 naming what is stale

Each generator below owns its files and has its own --check; the test
``tests/test_generated.py`` runs this with --check, so a change that leaves
one of them stale fails ``make test``. A new check needs no line here, since
every generator reads the registry (tgmon/checks/registry.py), but what they
read by hand must be there first: its docs page (helpdocs.py only fills its
--help block) and a single-node check's TgmonChecks entry (director.py takes
the interval from it). HACKING.rst, "Adding a check", has the order.
"""

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
EXAMPLES = os.path.join(ROOT, "examples", "states")
# hand-written files among the generated examples
EXAMPLES_KEEP = ("README.rst",)

# (what, generator in tools/): each writes, or with --check only compares
GENERATORS = (
    ("the --help blocks of docs/checks/*.rst", "helpdocs.py"),
    ("the Icinga 2 CheckCommands", "icingaconf.py"),
    ("the Nagios and NRPE commands", "nagiosconf.py"),
    ("the Icinga Director baskets", "director.py"),
    ("the plugin wrappers in plugins/", "wrappers.py"),
    ("the Prometheus metric list, alert rules and Grafana dashboard", "prometheus.py"),
)


def run_generator(script, check):
    command = [sys.executable, os.path.join(TOOLS, script)] + (["--check"] if check else [])
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    return result.returncode, (result.stdout + result.stderr).strip()


def example_states(check):
    """examples/states: every example at its fixed instant (tgmon example write-all)."""
    sys.path.insert(0, ROOT)
    from tgmon.state import examples
    scratch = tempfile.mkdtemp(prefix="tgmon-examples-")
    try:
        fresh = os.path.join(scratch, "states")
        examples.write_all(fresh)
        for name in EXAMPLES_KEEP:
            if os.path.exists(os.path.join(EXAMPLES, name)):
                shutil.copy2(os.path.join(EXAMPLES, name), os.path.join(fresh, name))
        stale = _differences(filecmp.dircmp(fresh, EXAMPLES))
        if stale and not check:
            shutil.rmtree(EXAMPLES)
            shutil.copytree(fresh, EXAMPLES)
        return (1 if stale and check else 0), ", ".join(stale)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _differences(compared, prefix="examples/states/"):
    found = ["%s%s" % (prefix, name) for name in
             compared.left_only + compared.right_only + compared.diff_files + compared.funny_files]
    for name, sub in compared.subdirs.items():
        found.extend(_differences(sub, "%s%s/" % (prefix, name)))
    return found


def main(argv):
    check = "--check" in argv
    failed = []
    for what, script in GENERATORS:
        code, said = run_generator(script, check)
        if code:
            failed.append("%s (tools/%s): %s" % (what, script, said or "exit %d" % code))
    code, said = example_states(check)
    if code:
        failed.append("the example states: %s" % said)
    for line in failed:
        print("out of date - run make generate: %s" % line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""``make demo``: what every check reports on the example states, then a
simulated update scenario as time passes.

Writes each example state fresh (as of now) into a temporary directory and
runs the installed plugins on it, exactly as a monitoring core would; then
prints the timeline of the cluster download-failure scenario.
"""

import os
import shutil
import subprocess
import sys
import tempfile

from . import examples
from .statewriter import write_state
from .timeutil import local_zone, utcnow

# (example, plugins to show on it)
SHOWCASE = (
    ("healthy-single", ("check_versions",)),
    ("download-failed-single", ("check_versions",)),
    ("releases-behind-single", ("check_versions",)),
    ("update-locked-cluster-node", ("check_versions",)),
)


def _plugin(name):
    here = os.path.dirname(sys.executable)
    candidate = os.path.join(here, name)
    return candidate if os.path.exists(candidate) else shutil.which(name) or name


def show_examples(workdir):
    now = utcnow().astimezone(local_zone())
    print("== The example states, checked by the installed plugins ==")
    for example, plugins in SHOWCASE:
        state_dir = os.path.join(workdir, example)
        write_state(state_dir, examples.build(example, now))
        print("\n-- %s (examples/states/%s) --" % (example, example))
        for plugin in plugins:
            command = [_plugin(plugin), "--state-dir", state_dir]
            result = subprocess.run(command, capture_output=True, text=True, timeout=30)
            print("$ %s --state-dir %s" % (plugin, state_dir))
            print(result.stdout.rstrip())
            print("(exit %d)" % result.returncode)


SCENARIOS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "scenarios")
DEMO_SCENARIO = "cluster-download-fails.yml"


def show_timeline(name=DEMO_SCENARIO):
    from .sim.scenario import load_scenario
    from .sim.timeline import format_timeline
    path = os.path.join(SCENARIOS, name)
    print("\n== Simulated: scenarios/%s (tgmon-sim timeline) ==" % name)
    print("Each line: an event on a node, or '=>' what a check now reports for it.\n")
    sys.stdout.write(format_timeline(load_scenario(path)))


def main():
    workdir = tempfile.mkdtemp(prefix="tgmon-demo-")
    try:
        show_examples(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    show_timeline()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``make demo``: what every check reports on the example states, then a
simulated update scenario as time passes.

Writes each example state fresh (as of now) into a temporary directory and
runs the installed plugins on it, exactly as a monitoring core would; then
prints the timeline of the cluster download-failure scenario, then the
downtimes a sync would hold in the planned-windows scenario.
"""

import os
import shutil
import subprocess
import sys
import tempfile

from tgmon.state import examples
from tgmon.state.layout import write_state
from tgmon.timeutil import local_zone, utcnow

# (example, plugins to show on it)
SHOWCASE = (
    ("healthy-single", ("check_tightgate",)),
    ("download-failed-single", ("check_versions",)),
    ("releases-behind-single", ("check_versions",)),
    ("reboot-required-single", ("check_reboot_required",)),
    ("update-locked-cluster-node", ("check_update_lock", "check_maintenance",
                                    "check_update_schedule", "check_tightgate")),
)


def _plugin(name):
    here = os.path.dirname(sys.executable)
    candidate = os.path.join(here, name)
    return candidate if os.path.exists(candidate) else shutil.which(name) or name


def show_examples(workdir):
    now = utcnow().astimezone(local_zone())
    print("== The example states, checked by the installed plugins ==")
    cluster = [os.path.join(workdir, name) for name in ("healthy-cluster-node",
                                                        "update-locked-cluster-node")]
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
    write_state(cluster[0], examples.build("healthy-cluster-node", now))
    command = [_plugin("check_cluster_updates"), "--node", cluster[0], "--node", cluster[1]]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    print("\n-- the two cluster nodes together --")
    print("$ check_cluster_updates --node %s --node %s" % tuple(cluster))
    print(result.stdout.rstrip())
    print("(exit %d)" % result.returncode)


SCENARIOS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "scenarios")
DEMO_SCENARIO = "cluster-download-fails.yml"


def show_timeline(name=DEMO_SCENARIO):
    from tgmon.sim.scenario import load_scenario
    from tgmon.sim.timeline import format_timeline
    path = os.path.join(SCENARIOS, name)
    print("\n== Simulated: scenarios/%s (tgmon-sim timeline) ==" % name)
    print("Each line: an event on a node, or '=>' what a check now reports for it.\n")
    scenario = load_scenario(path)
    sys.stdout.write(format_timeline(scenario))
    show_transitions(scenario)


def show_transitions(scenario):
    """Per node and check: when it left OK and when it came back."""
    from tgmon.sim.timeline import timeline
    from tgmon.verdict import status_name
    history = {}
    for instant, _, changes in timeline(scenario):
        for node, name, status, _ in changes:
            steps = history.setdefault((node, name), [])
            if not steps or steps[-1][1] != status:
                steps.append((instant.astimezone(scenario.zone), status))
    print("\n== State changes per check (%s) ==" % scenario.name)
    for (node, name), steps in sorted(history.items()):
        if len(steps) < 2:
            continue
        print("  %-10s %-12s %s" % (node, name, " -> ".join(
            "%s %s" % (status_name(status), when.strftime("%a %m-%d %H:%M"))
            for when, status in steps)))


DOWNTIMES_SCENARIO = "planned-windows.yml"


def show_downtimes(name=DOWNTIMES_SCENARIO):
    """What tgmon downtimes sync would hold as the scenario's time passes."""
    from datetime import timedelta
    from tgmon.downtimes.plan import PlanSettings
    from tgmon.state.lifecycle import MAINTENANCE_DURATION, UPDATE_DURATION
    from tgmon.sim.downtimes import format_downtimes
    from tgmon.sim.scenario import load_scenario
    scenario = load_scenario(os.path.join(SCENARIOS, name))
    print("\n== Downtimes from the plan: scenarios/%s (tgmon-sim downtimes) ==" % name)
    print("Planned is silent, failed is loud: what tgmon downtimes sync adds and removes.\n")
    settings = PlanSettings(timedelta(hours=24), UPDATE_DURATION, MAINTENANCE_DURATION,
                            scenario.zone)
    sys.stdout.write(format_downtimes(scenario, settings))


def main():
    workdir = tempfile.mkdtemp(prefix="tgmon-demo-")
    try:
        show_examples(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    show_timeline()
    show_downtimes()
    return 0


if __name__ == "__main__":
    sys.exit(main())

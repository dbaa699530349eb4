"""make bench's rows for tgmon push (docs/benchmarks.rst, docs/push.rst):

- CPU seconds per pushed result (one ``tgmon push --once`` round of 200 local
  nodes x 7 services into a local Icinga-API stand-in, the whole process's CPU,
  its start included) against one plugin process per result, side by side;
- a round of 1000 nodes x 7 services at 100 ms exporter latency into the
  stand-in: its time and the share of results the core accepted.

Run alone: python bench/push.py
"""

import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from tgmon.state import examples  # noqa: E402
from tgmon.state.layout import write_state  # noqa: E402
from tgmon.timeutil import utcnow  # noqa: E402

BIN = os.path.dirname(sys.executable)
ROW = "%-50s %10s %10s %7s  %s"
SERVICES = 7


def cpu_of(command):
    """(user + system CPU seconds of the process, wall seconds, its stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = process.stdout.read()
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - started, out.decode()


class StandIn:
    def __init__(self, workdir):
        self.process = subprocess.Popen([sys.executable, os.path.join(HERE, "icinga_standin.py")],
                                        stdout=subprocess.PIPE, text=True)
        self.port = int(self.process.stdout.readline())
        self.ca = self.process.stdout.readline().strip()
        self.password = os.path.join(workdir, "password")
        with open(self.password, "w") as handle:
            handle.write("bench\n")
        os.chmod(self.password, 0o600)

    def args(self):
        return ["--icinga-url", "https://127.0.0.1:%d" % self.port, "--icinga-user", "bench",
                "--icinga-password-file", self.password, "--icinga-ca-file", self.ca]

    def count(self):
        context = ssl.create_default_context(cafile=self.ca)
        with urllib.request.urlopen("https://127.0.0.1:%d/count" % self.port,
                                    context=context) as answer:
            return json.load(answer)["count"]

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def local_nodes(workdir, count):
    base = examples.build("healthy-cluster-node", utcnow().astimezone(examples.CET))
    lines = []
    for number in range(count):
        name = "n%d" % number
        path = os.path.join(workdir, "nodes", name)
        write_state(path, base._replace(node=base.node._replace(name=name)))
        lines.append("%s %s" % (name, path))
    return cluster_file(workdir, lines)


def cluster_file(workdir, lines):
    path = os.path.join(workdir, "cluster-%d" % len(lines))
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def cpu_row(workdir, standin, nodes=200, runs=3, plugin_runs=15):
    cluster = local_nodes(workdir, nodes)
    push = [os.path.join(BIN, "tgmon"), "push", "--once", "-t", "120", "--cluster-file",
            cluster] + standin.args()
    one = [os.path.join(BIN, "check_versions"), "--state-dir",
           os.path.join(workdir, "nodes", "n0")]
    cpu_of(push), cpu_of(one)      # warm the page cache
    pushed, plugins = [], []
    for _ in range(runs):
        pushed.append(cpu_of(push)[0] / (nodes * SERVICES))
        plugins.append(statistics.median(cpu_of(one)[0] for _ in range(plugin_runs // runs)))
    s, b = statistics.median(pushed), statistics.median(plugins)
    print(ROW % ("push: CPU per result (%d nodes x %d) / plugin" % (nodes, SERVICES),
                 "%.2f ms" % (s * 1000), "%.1f ms" % (b * 1000), "%.3f" % (s / b),
                 "target <= 0.05 (aim 0.02) %s  (1/%.0f)"
                 % ("ok" if s / b <= 0.05 else "OVER TARGET", b / s)))
    sys.stdout.flush()


def round_row(workdir, standin, nodes=1000, delay=0.1):
    farm = subprocess.Popen([sys.executable, os.path.join(HERE, "slowfarm.py"), "--delay",
                             str(delay)], stdout=subprocess.PIPE, text=True)
    port = farm.stdout.readline().strip()
    try:
        cluster = cluster_file(workdir, ["n%d http://127.0.0.1:%s/%d/v1/status"
                                         % (n, port, n) for n in range(nodes)])
        before = standin.count()
        cpu, seconds, out = cpu_of([os.path.join(BIN, "tgmon"), "push", "--once", "-t", "300",
                                    "--cluster-file", cluster] + standin.args())
        accepted = standin.count() - before
        results = nodes * SERVICES
        read = "%d of %d nodes read" % (nodes, nodes) in out
        print(ROW % ("push: round %d nodes x %d at %d ms (stand-in)"
                     % (nodes, SERVICES, delay * 1000), "%.1f s" % seconds, "60 s",
                     "%.2f" % (seconds / 60), "target < 60 s %s  (accepted %d/%d = %.1f%%, "
                     "%s, CPU %.2f ms/result)" % (
                         "ok" if seconds < 60 and read else "OVER TARGET", accepted, results,
                         100.0 * accepted / results, "all read" if read else "NOT ALL READ",
                         cpu * 1000 / results)))
        sys.stdout.flush()
    finally:
        farm.terminate()
        farm.wait(10)


def push_rows(workdir):
    standin = StandIn(workdir)
    try:
        cpu_row(workdir, standin)
        round_row(workdir, standin)
    finally:
        standin.stop()


if __name__ == "__main__":
    workdir = tempfile.mkdtemp(prefix="tgmon-bench-push-")
    try:
        print(ROW % ("row", "subject", "baseline", "ratio", "target"))
        push_rows(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

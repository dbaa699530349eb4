"""make bench: ratios measured side by side in one run (see docs/benchmarks.rst).

Each row times two commands alternately, N times each, and prints both
medians and their ratio. Ratios, not absolute times, are what carries from
one machine to another.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from tgmon import examples  # noqa: E402
from tgmon.statewriter import write_state  # noqa: E402
from tgmon.timeutil import utcnow  # noqa: E402

BIN = os.path.dirname(sys.executable)
RUNS = int(os.environ.get("TGMON_BENCH_RUNS", "25"))


def wall(command):
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def side_by_side(subject, baseline, runs=RUNS):
    wall(subject), wall(baseline)  # warm the page cache
    subject_times, baseline_times = [], []
    for _ in range(runs):
        subject_times.append(wall(subject))
        baseline_times.append(wall(baseline))
    return statistics.median(subject_times), statistics.median(baseline_times)


def row(label, subject, baseline, target):
    s, b = side_by_side(subject, baseline)
    ratio = s / b
    verdict = "ok" if ratio <= target else "OVER TARGET"
    print("%-52s %8.1f ms %8.1f ms %6.2f  (target <= %.2f) %s"
          % (label, s * 1000, b * 1000, ratio, target, verdict))
    return ratio


def http_rows(state_dir):
    exporter = subprocess.Popen([os.path.join(BIN, "tgmon"), "serve", "--state-dir", state_dir,
                                 "--port", "0"], stderr=subprocess.PIPE, text=True)
    port = exporter.stderr.readline().rsplit(":", 1)[1].split()[0]
    try:
        row("check_versions --url / python -c 'import nagiosplugin, requests'",
            [os.path.join(BIN, "check_versions"), "--url",
             "http://127.0.0.1:%s/v1/status" % port],
            [sys.executable, "-c", "import nagiosplugin, requests"], 1.3)
    finally:
        exporter.terminate()
        exporter.wait(10)


def cluster_rows():
    farm = subprocess.Popen([sys.executable, os.path.join(HERE, "slowfarm.py"), "--delay", "0.1"],
                            stdout=subprocess.PIPE, text=True)
    port = farm.stdout.readline().strip()
    try:
        for nodes, target in ((10, None), (100, 1.5), (500, 3.0)):
            command = [os.path.join(BIN, "check_cluster_updates")]
            for index in range(nodes):
                command += ["--node", "http://127.0.0.1:%s/%d/v1/status" % (port, index)]
            times, codes = [], set()
            for _ in range(5):
                started = time.perf_counter()
                result = subprocess.run(command, capture_output=True, text=True)
                times.append(time.perf_counter() - started)
                codes.add(result.returncode)
            median = statistics.median(times)
            verdict = "" if target is None else (
                "(target < %4.0f ms) %s" % (target * 1000, "ok" if median < target else "OVER TARGET"))
            print("%-52s %8.1f ms %11s %6s  %s  [exit %s]"
                  % ("check_cluster_updates, %d nodes x 100 ms answer" % nodes, median * 1000,
                     "", "", verdict, ",".join(map(str, sorted(codes)))))
    finally:
        farm.terminate()
        farm.wait(10)


def sim_row(runs=5):
    from tgmon.sim.yearbench import cluster_year
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        sim = cluster_year()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    installed = {n.installed for n in sim.nodes.values()}
    print("%-52s %8.1f ms %11s %6s  (target < 1000 ms) %s   [%d log entries, releases %s]"
          % ("sim: 1 year, 20-node cluster, weekly, 3 rel, 50 HF", median * 1000, "", "",
             "ok" if median < 1.0 else "OVER TARGET", len(sim.entries), ",".join(sorted(installed))))


def main():
    workdir = tempfile.mkdtemp(prefix="tgmon-bench-")
    try:
        state_dir = os.path.join(workdir, "healthy-single")
        write_state(state_dir, examples.build("healthy-single", utcnow().astimezone()))
        print("%-52s %11s %11s %6s" % ("row (median of %d runs each, alternating)" % RUNS,
                                       "subject", "baseline", "ratio"))
        row("check_versions (local) / python -c 'import nagiosplugin'",
            [os.path.join(BIN, "check_versions"), "--state-dir", state_dir],
            [sys.executable, "-c", "import nagiosplugin"], 1.3)
        http_rows(state_dir)
        cluster_rows()
        sim_row()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

"""make bench: one table of ratios measured side by side in one run.

Each row times a subject and a baseline alternately (median of N runs each)
and prints both medians and subject / baseline. Ratios carry from machine to
machine; absolute times do not. See docs/benchmarks.rst.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from tgmon.state import examples  # noqa: E402
from tgmon.checks.registry import SINGLE_NODE_CHECKS  # noqa: E402
from tgmon.state.layout import write_state  # noqa: E402
from tgmon.timeutil import utcnow  # noqa: E402

BIN = os.path.dirname(sys.executable)
RUNS = int(os.environ.get("TGMON_BENCH_RUNS", "25"))
ROW = "%-50s %10s %10s %7s  %s"


def wall(command):
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def side_by_side(subject, baseline, runs):
    wall(subject), wall(baseline)  # warm the page cache
    subject_times, baseline_times = [], []
    for _ in range(runs):
        subject_times.append(wall(subject))
        baseline_times.append(wall(baseline))
    return statistics.median(subject_times), statistics.median(baseline_times)


def row(label, subject, baseline, target, runs=RUNS):
    s, b = side_by_side(subject, baseline, runs)
    print(ROW % (label, "%.1f ms" % (s * 1000), "%.1f ms" % (b * 1000), "%.2f" % (s / b),
                 "target <= %.2f %s" % (target, "ok" if s / b <= target else "OVER TARGET")))
    sys.stdout.flush()


def plugin(name):
    return os.path.join(BIN, name)


def local_rows(state_dir):
    row("check_versions (local) / import nagiosplugin",
        [plugin("check_versions"), "--state-dir", state_dir],
        [sys.executable, "-c", "import nagiosplugin"], 1.10)
    singles = "; ".join("%s --state-dir %s >/dev/null" % (plugin(d.prog), state_dir)
                        for d in SINGLE_NODE_CHECKS)
    row("check_tightgate / the single-node checks one by one",
        [plugin("check_tightgate"), "--state-dir", state_dir],
        ["/bin/sh", "-c", singles], 0.35, runs=max(5, RUNS // 3))


def format_rows(workdir):
    """JSON and Checkmk output against Nagios output: the same check on the same state,
    a locked cluster node (every aspect has its long output)."""
    state_dir = os.path.join(workdir, "locked-cluster-node")
    write_state(state_dir, examples.build("update-locked-cluster-node", utcnow().astimezone()))
    for prog in ("check_update_lock", "check_tightgate"):
        command = [plugin(prog), "--state-dir", state_dir]
        for fmt in ("json", "checkmk-local"):
            row("%s: %s / nagios output" % (prog, fmt),
                command + ["--output-format", fmt], command + ["--output-format", "nagios"],
                1.05)


def checkmk_row(workdir):
    """tgmon checkmk on 500 state dirs and one exporter that never answers, -t 5: the
    reading waits for it nearly to the end, the judging of 500 nodes must still fit."""
    import socket
    state = examples.build("healthy-cluster-node", utcnow().astimezone())
    command = [plugin("tgmon"), "checkmk", "-t", "5"]
    for index in range(500):
        path = os.path.join(workdir, "checkmk", "n%03d" % index)
        write_state(path, state._replace(node=state.node._replace(name="n%03d" % index)))
        command += ["--node", path]
    rss = os.path.join(workdir, "checkmk-rss")
    measure = os.path.join(os.path.dirname(HERE), "tests", "hostile", "measure.py")
    with socket.socket() as silent:            # connects, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        command += ["--node", "silent=http://127.0.0.1:%d/v1/status" % silent.getsockname()[1]]
        started = time.perf_counter()
        run = subprocess.run([sys.executable, measure, rss] + command, capture_output=True,
                             text=True, check=False)
        elapsed = time.perf_counter() - started
    with open(rss) as handle:
        peak_mb = int(handle.read()) / 1024
    judged = run.stdout.count('"TightGate reachable" readable=1')
    print(ROW % ("tgmon checkmk: 500 dirs + 1 silent node, -t 5", "%.0f ms" % (elapsed * 1000),
                 "5000 ms", "%.2f" % (elapsed / 5), "target < 1, 500 judged: %d judged, "
                 "%.0f MB %s" % (judged, peak_mb, "ok" if elapsed < 5 and judged == 500
                                 else "OVER TARGET")))
    sys.stdout.flush()


def http_rows(state_dir):
    exporter = subprocess.Popen([plugin("tgmon"), "serve", "--state-dir", state_dir,
                                 "--port", "0"], stderr=subprocess.PIPE, text=True)
    port = exporter.stderr.readline().rsplit(":", 1)[1].split()[0]
    try:
        row("check_versions --url / import nagiosplugin, requests",
            [plugin("check_versions"), "--url", "http://127.0.0.1:%s/v1/status" % port],
            [sys.executable, "-c", "import nagiosplugin, requests"], 1.3)
    finally:
        exporter.terminate()
        exporter.wait(10)


def cluster_rows():
    farm = subprocess.Popen([sys.executable, os.path.join(HERE, "slowfarm.py"), "--delay", "0.1"],
                            stdout=subprocess.PIPE, text=True)
    port = farm.stdout.readline().strip()
    try:
        one = [plugin("check_versions"), "--url", "http://127.0.0.1:%s/0/v1/status" % port]
        for nodes, target in ((10, None), (100, 1.5), (500, 3.0)):
            command = [plugin("check_cluster_updates")]
            for index in range(nodes):
                command += ["--node", "http://127.0.0.1:%s/%d/v1/status" % (port, index)]
            s, b = side_by_side(command, one, 5)
            verdict = "" if target is None else "target < %.1f s %s" % (
                target, "ok" if s < target else "OVER TARGET")
            print(ROW % ("check_cluster_updates %d nodes x 100 ms / 1 node" % nodes,
                         "%.1f ms" % (s * 1000), "%.1f ms" % (b * 1000), "%.2f" % (s / b), verdict))
            sys.stdout.flush()
    finally:
        farm.terminate()
        farm.wait(10)


def exporter_rows(state_dir, workdir):
    """tgmon serve under idle, slow and many connections, plain and TLS."""
    import exporter_load as load
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
    from remote.servers import make_certificate
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    make_certificate(cert, key, "127.0.0.1", ip="127.0.0.1")
    for tls in (False, True):
        args = ["--tls-cert", cert, "--tls-key", key] if tls else []
        exporter = subprocess.Popen([plugin("tgmon"), "serve", "--state-dir", state_dir,
                                     "--port", "0"] + args, stderr=subprocess.PIPE, text=True)
        port = int(exporter.stderr.readline().rsplit(":", 1)[1].split()[0])
        threading.Thread(target=exporter.stderr.read, daemon=True).start()   # its log
        scheme = "TLS" if tls else "plain"
        try:
            quiet = load.poll(port, tls)
            for slow in (False, True):
                busy = load.under_idle(port, tls, slow)
                p99 = load.percentile(busy, 0.99) * 1000
                print(ROW % ("exporter %s: p99 with 300 %s conns / quiet" % (
                    scheme, "slow" if slow else "idle"),
                    "%.1f ms" % p99, "%.1f ms" % (load.percentile(quiet, 0.99) * 1000),
                    "%.2f" % (p99 / (load.percentile(quiet, 0.99) * 1000)),
                    "target p99 < 50 ms %s" % ("ok" if p99 < 50 else "OVER TARGET")))
                sys.stdout.flush()
            metrics_row(load, port, tls, scheme)
            if not tls:
                rate, p99, failed = load.concurrent_clients(port, tls)
                print(ROW % ("exporter %s: 500 concurrent clients x 4" % scheme,
                             "%.0f req/s" % rate, "-", "-", "p99 %.0f ms, %d failed"
                             % (p99 * 1000, failed)))
            rss = load.peak_rss_mb(exporter.pid)
            print(ROW % ("exporter %s: peak RSS after the load" % scheme, "%.1f MB" % rss,
                         "150 MB", "%.2f" % (rss / 150), "target < 150 MB %s"
                         % ("ok" if rss < 150 else "OVER TARGET")))
            sys.stdout.flush()
        finally:
            exporter.terminate()
            exporter.wait(10)


def metrics_row(load, port, tls, scheme):
    """GET /metrics (read, judge every check, write the text) under the same 300 idle
    connections as /v1/status."""
    quiet = load.percentile(load.poll(port, tls, path="/metrics"), 0.99) * 1000
    p99 = load.percentile(load.under_idle(port, tls, False, path="/metrics"), 0.99) * 1000
    print(ROW % ("exporter %s: /metrics, 300 idle conns / quiet" % scheme,
                 "%.1f ms" % p99, "%.1f ms" % quiet, "%.2f" % (p99 / quiet),
                 "target p99 < 50 ms %s" % ("ok" if p99 < 50 else "OVER TARGET")))
    sys.stdout.flush()


def non_reader_row(workdir):
    """tgmon serve of a large state (~860 KB answers) while 300 clients never read."""
    import exporter_load as load
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
    from hostile.common import large_document, status_dir
    import pathlib
    state_dir = str(status_dir(pathlib.Path(workdir), large_document()))
    exporter = subprocess.Popen([plugin("tgmon"), "serve", "--state-dir", state_dir,
                                 "--port", "0"], stderr=subprocess.PIPE, text=True)
    port = int(exporter.stderr.readline().rsplit(":", 1)[1].split()[0])
    threading.Thread(target=exporter.stderr.read, daemon=True).start()   # its log
    try:
        time.sleep(2.1)     # the exporter keeps an answer of files settled for 2 s
        quiet = load.percentile(load.poll(port, False), 0.99) * 1000
        p99 = load.percentile(load.under_non_readers(port), 0.99) * 1000
        rss = load.peak_rss_mb(exporter.pid)
        print(ROW % ("exporter plain: p99 with 300 non-reading conns / quiet", "%.1f ms" % p99,
                     "%.1f ms" % quiet, "%.2f" % (p99 / quiet),
                     "target p99 < 100 ms %s  (peak RSS %.0f MB)"
                     % ("ok" if p99 < 100 else "OVER TARGET", rss)))
        sys.stdout.flush()
    finally:
        exporter.terminate()
        exporter.wait(10)


def sim_row(runs=5):
    from yearbench import cluster_year
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        sim = cluster_year()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(ROW % ("sim: 1 year, 20-node cluster, 3 rel, 50 hotfixes", "%.1f ms" % (median * 1000),
                 "1000 ms", "%.2f" % median, "target < 1 s %s  (%d events logged)"
                 % ("ok" if median < 1.0 else "OVER TARGET", len(sim.entries))))


# the row groups by name, in order: `python bench/run.py formats` runs only those named
GROUPS = {
    "local": lambda state_dir, workdir: local_rows(state_dir),
    "formats": lambda state_dir, workdir: format_rows(workdir),
    "checkmk": lambda state_dir, workdir: checkmk_row(workdir),
    "http": lambda state_dir, workdir: http_rows(state_dir),
    "cluster": lambda state_dir, workdir: cluster_rows(),
    "exporter": lambda state_dir, workdir: exporter_rows(state_dir, workdir),
    "non-reader": lambda state_dir, workdir: non_reader_row(workdir),
    "sim": lambda state_dir, workdir: sim_row(),
    "push": lambda state_dir, workdir: push_rows(workdir),
}


def push_rows(workdir):
    from push import push_rows as rows      # bench/push.py: tgmon push against plugins
    rows(workdir)


def main(names):
    unknown = [name for name in names if name not in GROUPS]
    if unknown:
        sys.exit("no row group %s (known: %s)" % (", ".join(unknown), " ".join(GROUPS)))
    workdir = tempfile.mkdtemp(prefix="tgmon-bench-")
    try:
        state_dir = os.path.join(workdir, "healthy-single")
        write_state(state_dir, examples.build("healthy-single", utcnow().astimezone()))
        print(ROW % ("row (median of %d runs each, alternating)" % RUNS, "subject", "baseline",
                     "ratio", "target"))
        for name, rows in GROUPS.items():
            if not names or name in names:
                rows(state_dir, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])

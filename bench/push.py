"""make bench's rows for tgmon push (docs/benchmarks.rst, docs/push.rst):

- CPU seconds per pushed result (one ``tgmon push --once`` round of 200 local
  nodes x 7 services into a local Icinga-API stand-in, the whole process's CPU,
  its start included) against one plugin process per result, side by side;
- a round of 1000 nodes x 7 services at 100 ms exporter latency into the
  stand-in and into a real Icinga 2 (if installed; its checker off, so only
  the pushed results run): its time and the share of results it accepted.

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
    real_icinga_row(workdir)



def real_icinga_row(workdir, nodes=1000, delay=0.1):
    """The same round into a real Icinga 2 (no checker: only the pushed results run):
    1000 hosts with the shipped apply rules, docs/push.rst's ApiUser."""
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
    try:
        from e2e import cores
        from e2e.icinga import PREAMBLE, Icinga, api_session, pki
        from e2e.test_push_icinga import push_api_user
        work = cores.WorkDir("tgmon-bench-icinga-")
        icinga_binary = shutil.which("icinga2") or "/usr/sbin/icinga2"
        if not os.access(icinga_binary, os.X_OK):
            raise FileNotFoundError(icinga_binary)
    except Exception as exc:     # no icinga2 here: the row says so
        print(ROW % ("push: round %d nodes x %d (real Icinga 2)" % (nodes, SERVICES), "-", "-",
                     "-", "skipped: %s" % exc))
        return
    farm = subprocess.Popen([sys.executable, os.path.join(HERE, "slowfarm.py"), "--delay",
                             str(delay)], stdout=subprocess.PIPE, text=True)
    farm_port = farm.stdout.readline().strip()
    icinga = None
    try:
        conf = os.path.join(os.path.dirname(HERE), "icinga-conf")
        zones = work.sub("zones.d")
        for zone, names in (("global-templates", ("global-templates/tgmon-templates.conf",
                                                  "global-templates/tgmon-commands.conf")),
                            ("master", ("master/tgmon-constants.conf",
                                        "master/tgmon-services.conf",
                                        "master/tgmon-oncall.conf"))):
            work.sub("zones.d", zone)
            for name in names:
                shutil.copy(os.path.join(conf, name), os.path.join(zones, zone))
        with open(os.path.join(zones, "master", "hosts.conf"), "w") as handle:
            for number in range(nodes):
                handle.write('object Host "n%d" { check_command = "dummy"; vars.tightgate = '
                             '{ mode = "local", role = "cluster-node", push = true } }\n'
                             % number)
        port = cores.free_port()
        password = "bench-%d" % os.getpid()
        config = (PREAMBLE.replace("include <plugins-contrib>\n", "") % {"name": "bench"}
                  + 'const ZoneName = "master"\nobject Endpoint "bench" { }\nobject Zone "master"'
                  ' { endpoints = [ "bench" ] }\nobject Zone "global-templates" { global = '
                  'true }\nobject ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %d }\n'
                  'object ApiUser "admin" { password = "%s"; permissions = [ "*" ] }\n%s\n'
                  'include_zones "tgmon", "%s"\n' % (port, password, push_api_user(password),
                                                     zones))
        ca = pki(work, ("bench",), {"bench": "127.0.0.1"})
        icinga = Icinga(work, "bench", config)
        work.readable()
        icinga.start()
        api = api_session("admin", password)
        base = "https://127.0.0.1:%d/v1" % port
        started = time.monotonic()
        while time.monotonic() - started < 120:
            try:
                if api.get(base + "/status", timeout=2).status_code == 200:
                    break
            except Exception:
                time.sleep(0.5)
        password_file = os.path.join(workdir, "icinga-password")
        with open(password_file, "w") as handle:
            handle.write(password + "\n")
        os.chmod(password_file, 0o600)
        cluster = cluster_file(workdir, ["n%d http://127.0.0.1:%s/%d/v1/status"
                                         % (n, farm_port, n) for n in range(nodes)])
        cpu, seconds, out = cpu_of([os.path.join(BIN, "tgmon"), "push", "--once", "-t", "600",
                                    "--cluster-file", cluster, "--icinga-url",
                                    "https://127.0.0.1:%d" % port, "--icinga-user",
                                    "tgmon-push", "--icinga-password-file", password_file,
                                    "--icinga-ca-file", ca, "--check-source", "bench"])
        answer = api.post(base + "/objects/services", timeout=120,
                          headers={"X-HTTP-Method-Override": "GET"},
                          json={"attrs": ["last_check_result"],
                                "filter": "service.vars.tgmon_pushed"}).json()["results"]
        accepted = sum(1 for r in answer if (r["attrs"]["last_check_result"] or {}).get(
            "check_source") == "bench")
        results = nodes * SERVICES
        print(ROW % ("push: round %d nodes x %d at %d ms (real Icinga 2)"
                     % (nodes, SERVICES, delay * 1000), "%.1f s" % seconds, "60 s",
                     "%.2f" % (seconds / 60), "target < 60 s %s  (accepted %d/%d = %.1f%%, "
                     "CPU %.2f ms/result)" % ("ok" if seconds < 60 else "OVER TARGET", accepted,
                                              results, 100.0 * accepted / results,
                                              cpu * 1000 / results)))
        sys.stdout.flush()
    finally:
        if icinga is not None:
            icinga.stop()
        farm.terminate()
        farm.wait(10)
        work.remove()


if __name__ == "__main__":
    workdir = tempfile.mkdtemp(prefix="tgmon-bench-push-")
    try:
        print(ROW % ("row", "subject", "baseline", "ratio", "target"))
        push_rows(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

"""A real Nagios 4 on Debian's stock nagios.cfg, and a real NRPE on the stock
nrpe.cfg, run the installed package.

Nagios loads the package's commands from /etc/nagios-plugins/config (the
stock cfg_dir), the shipped sample of hosts and services from its conf.d,
with every stock setting that touches what users see kept: the nagios user,
illegal_object_name_chars, illegal_macro_output_chars, the stock objects.
Only paths move to a temporary dir and two intervals shrink so that the test
does not wait for Nagios' 10 s reaper. The nodes are checked in each way the
sample shows: a state dir, the exporter over TLS with a token, NRPE, and the
cluster over both exporters. Checks are forced through the command file until
every problem is a HARD state and notified; then status.dat and the
notification lines are read back.
"""

import os
import re
import subprocess
import time

import pytest

from remote.servers import Exporter, self_signed
from tgmon.checks.registry import all_checks
from .cores import (EXAMPLES, NAGIOS_COMMANDS, NRPE_COMMANDS, PLUGIN_DIR, TGMON, WorkDir,
                    as_daemon_user, chown_to_daemon_user, daemon_user, free_port, need,
                    need_package, simulated_nodes, stop, wait_for)
from .nagios import Nagios, rewrite

pytestmark = pytest.mark.e2e
STOCK_NRPE = "/etc/nagios/nrpe.cfg"
SAMPLE = os.path.join(EXAMPLES, "nagios", "tgmon-services.cfg")
# the shipped NRPE commands have no options (the default state dir): one per check
NRPE_COMMAND = re.compile(r"^(command\[\w+\]=\S+)$", re.M)
# NRPE runs what reads one node: every plugin but the cluster check
NRPE_NAMES = ["tgmon_" + d.short_name for d in all_checks() if d.scope != "cluster"]

# host;service -> (state, state type) once every problem is HARD
EXPECTED = {
    "tg1;TightGate versions": 0, "tg1;TightGate update lock": 0,
    "tg1;TightGate hotfixes": 0, "tg1;TightGate reboot": 0,
    "tg1;TightGate maintenance": 0, "tg1;TightGate update schedule": 0,
    "tg2;TightGate versions": 1, "tg2;TightGate update lock": 2,
    "tg2;TightGate maintenance": 2,
    "tg3;TightGate all checks": 2,
    "tgc-berlin;TightGate cluster updates": 2,
    # every node's state can be read (tg3's through NRPE)
    "tg1;TightGate reachable": 0, "tg2;TightGate reachable": 0, "tg3;TightGate reachable": 0,
}
STATES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")


class Nrpe:
    """nrpe on Debian's stock nrpe.cfg: its own port, pid file and command dir
    holding the package's tgmon.cfg with the state dir of this test."""

    def __init__(self, work, state_dir):
        self.binary = need("nrpe", "nagios-nrpe-server")
        self.port = free_port()
        commands_dir = work.sub("nrpe.d")
        with open(NRPE_COMMANDS) as handle:
            shipped = handle.read()
        assert len(NRPE_COMMAND.findall(shipped)) == len(NRPE_NAMES), "shipped NRPE commands changed"
        work.write(os.path.join("nrpe.d", "tgmon.cfg"),
                   NRPE_COMMAND.sub(r"\1 --state-dir " + state_dir, shipped))
        user, group = daemon_user()
        self.config = work.write("nrpe.cfg", rewrite(STOCK_NRPE, {
            "pid_file": work.path + "/nrpe.pid",
            "server_port": str(self.port),
            "nrpe_user": user,
            "nrpe_group": group,
            "include_dir": commands_dir,
            "include": None,             # nrpe_local.cfg: the host's own commands
        }, add={"server_address": "127.0.0.1", "disable_syslog": "1"}))
        chown_to_daemon_user(work.path + "/nrpe.d")
        self.process = subprocess.Popen([self.binary, "-c", self.config, "-f"],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        def listening():
            assert self.process.poll() is None, self.process.stdout.read()
            return self.query("_NRPE_CHECK")[0] == 0
        wait_for(listening, 20, "nrpe listening on port %d" % self.port)

    def query(self, command):
        """check_nrpe as the daemon user: (exit code, output)."""
        done = subprocess.run(as_daemon_user([os.path.join(PLUGIN_DIR, "check_nrpe"),
                                              "-H", "127.0.0.1", "-p", str(self.port),
                                              "-t", "30", "-c", command]),
                              capture_output=True, text=True, timeout=40)
        return done.returncode, done.stdout

    def stop(self):
        stop(self.process)


def adapted_sample(work, nodes, exporters, token, ca_file, nrpe_port, notifications):
    """The shipped sample as an admin adapts it: the hosts' paths, URLs and files."""
    with open(SAMPLE) as handle:
        sample = handle.read()
    replacements = [
        ("/var/lib/tgmon/tg1", nodes["tg-node1"]),
        ("https://tg2.example.net:9740/v1/status", exporters["tg-node2"].url()),
        ("https://tg3.example.net:9740/v1/status", exporters["tg-node1"].url()),
        ("/etc/nagios4/tgmon/token", token),
        ("/etc/nagios4/tgmon/ca.pem", ca_file),
        ("tgmon_tightgate_nrpe!-t 30", "tgmon_tightgate_nrpe!-t 30 -p %d" % nrpe_port),
        ("tgmon_reachable_nrpe!-t 30", "tgmon_reachable_nrpe!-t 30 -p %d" % nrpe_port),
        ("/var/lib/nagios4/tgmon-notifications.log", notifications),
    ]
    for old, new in replacements:
        assert old in sample, "the sample changed: no %s" % old
        sample = sample.replace(old, new)
    return work.write(os.path.join("conf.d", "tgmon-services.cfg"), sample)


def test_nagios_stock_config_runs_the_sample_and_notifies_what_the_plugin_said():
    need_package()
    work = WorkDir("tgmon-e2e-nagios-")
    exporters = {}
    nrpe = nagios = None
    try:
        nodes = simulated_nodes(work)
        cert, key = self_signed(work.sub("tls"))
        token = work.write("token", "e2e-token-%d\n" % os.getpid(), 0o640)
        chown_to_daemon_user(token)
        for name, path in nodes.items():
            exporters[name] = Exporter("--state-dir", path, "--token-file", token,
                                       "--tls-cert", cert, "--tls-key", key, path=TGMON)
        nrpe = Nrpe(work, nodes["tg-node2"])
        nagios = Nagios(work)
        notifications = os.path.join(nagios.var, "notifications.log")
        adapted_sample(work, nodes, exporters, token, cert, nrpe.port, notifications)
        started = time.monotonic()
        nagios.start()

        def force_checks():
            now = int(time.time())
            nagios.command(*(["SCHEDULE_FORCED_HOST_CHECK;%s;%d" % (host, now)
                              for host in ("tg1", "tg2", "tg3", "tgc-berlin")]
                             + ["SCHEDULE_FORCED_SVC_CHECK;%s;%d" % (key, now)
                                for key in EXPECTED]))

        def settled():
            """Every service HARD in its expected state, every problem notified."""
            force_checks()
            status = nagios.services()
            ours = {key: status.get(key) for key in EXPECTED}
            if not all(s and s["has_been_checked"] == "1" and s["state_type"] == "1"
                       for s in ours.values()):
                return None
            if not os.path.exists(notifications):
                return None
            with open(notifications) as handle:
                notified = handle.read().splitlines()
            problems = [key for key, state in EXPECTED.items() if state]
            if len(notified) < len(problems):
                return None
            return ours, notified
        services, notified = wait_for(settled, 120, "every problem HARD and notified", step=1)
        done = time.monotonic()

        report = []
        for key, expected in EXPECTED.items():
            fields = services[key]
            output = fields["plugin_output"]
            report.append("%-40s %-8s %s" % (key, STATES[int(fields["current_state"])],
                                             output[:90]))
            assert int(fields["current_state"]) == expected, (
                key, fields["plugin_output"], fields["long_plugin_output"],
                {name: "".join(e.log)[-1500:] for name, e in exporters.items()})
            assert fields["performance_data"], key
            assert "Traceback" not in fields["long_plugin_output"], key
            assert len(output) <= 160, output
        # what the pager got is what the plugin printed: Nagios stripped nothing
        for key, expected in EXPECTED.items():
            if not expected:
                continue
            host, service = key.split(";")
            line = "PROBLEM %s/%s %s: %s" % (host, service, STATES[expected],
                                             services[key]["plugin_output"])
            assert line in notified, (line, notified)
        log = nagios.log()
        assert "Warning:" not in log.replace("Warning: Check result queue", ""), log[-3000:]
        summary = os.environ.get("TGMON_E2E_REPORT")
        if summary:
            with open(summary, "a") as handle:
                handle.write("Nagios 4 (stock nagios.cfg) + NRPE: %d services HARD and %d "
                             "problems notified %.1f s after start; plugins run as %s\n"
                             % (len(services), len(notified), done - started,
                                daemon_user()[0]))
                handle.write("\n".join(report) + "\n\n")
    finally:
        if nagios is not None:
            nagios.stop()
        if nrpe is not None:
            nrpe.stop()
        for exporter in exporters.values():
            exporter.stop()
        work.remove()


def test_nrpe_runs_every_shipped_command_as_the_plugin_would_locally():
    """Each command of the package's /etc/nagios/nrpe.d/tgmon.cfg through a real
    nrpe and check_nrpe: the same exit code and first line as the plugin run
    directly as the same user."""
    need_package()
    work = WorkDir("tgmon-e2e-nrpe-")
    nrpe = None
    try:
        nodes = simulated_nodes(work)
        nrpe = Nrpe(work, nodes["tg-node2"])
        with open(NRPE_COMMANDS) as handle:
            commands = re.findall(r"^command\[(\w+)\]=(.*)$", handle.read(), re.M)
        assert [name for name, _ in commands] == NRPE_NAMES
        codes = set()
        for name, command_line in commands:
            code, output = nrpe.query(name)
            argv = command_line.split() + ["--state-dir", nodes["tg-node2"]]
            local = subprocess.run(as_daemon_user(argv), capture_output=True, text=True,
                                   timeout=30)
            assert (code, output.split("|")[0]) == (
                local.returncode, local.stdout.split("|")[0]), (name, output, local.stdout)
            codes.add(code)
        assert codes == {0, 1, 2}, codes
    finally:
        if nrpe is not None:
            nrpe.stop()
        work.remove()


def test_the_package_puts_the_commands_where_debian_looks():
    """The Nagios commands of the package are the generated ones, in the stock cfg_dir."""
    need_package()
    from helpers import ROOT
    with open(os.path.join(ROOT, "icinga-conf", "nagios", "tgmon-commands.cfg")) as mine, \
            open(NAGIOS_COMMANDS) as installed:
        assert mine.read() == installed.read()

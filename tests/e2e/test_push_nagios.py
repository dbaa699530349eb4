"""tgmon push into a real Nagios 4 (stock nagios.cfg): through its command pipe, and
through a real nsca-ng server started here on 127.0.0.1 (its own config, as the
daemon user, stopped by PID) fed by Debian's send_nsca. Each service ends with
the state and output the plugin gives when Nagios runs it actively."""

import os
import re
import subprocess
import textwrap
import time

import pytest

from helpers import ROOT
from .cores import (EXAMPLES, TGMON, WorkDir, as_daemon_user, chown_to_daemon_user,
                    free_port, need, need_package, simulated_nodes, stop, wait_for)
from .nagios import Nagios

pytestmark = pytest.mark.e2e
NSCA_PASSWORD = "nsca-secret-%d" % os.getpid()
# the Nagios sample's descriptions, as tgmon push sends them through NSCA-ng
SERVICES = {"reachable": "TightGate reachable", "versions": "TightGate versions",
            "update_lock": "TightGate update lock", "hotfixes": "TightGate hotfixes",
            "reboot_required": "TightGate reboot", "maintenance": "TightGate maintenance",
            "update_schedule": "TightGate update schedule"}
AGE = re.compile(r"(_age=)\d+")
# every duration in the text ("3h ago", "available for 18h 1m"): the active and the
# pushed run are seconds apart, a minute may end between them
AGO = re.compile(r"\b\d+[smhd]( \d+[smhd])*( ago)?\b")


def pushed_template():
    """The sample's tgmon-pushed template, as installed."""
    with open(os.path.join(EXAMPLES, "nagios", "tgmon-services.cfg")) as handle:
        sample = handle.read()
    return re.search(r"define service \{\n    name\s+tgmon-pushed\n.*?\n\}\n", sample,
                     re.S).group(0)


def objects(nodes):
    text = [pushed_template()]
    for host, state_dir in sorted(nodes.items()):
        text.append("define host {\n    use linux-server\n    host_name %s\n    address "
                    "127.0.0.1\n    check_command check-host-alive\n    _TGMON_STATE_DIR %s\n}\n"
                    % (host, state_dir))
        for check, description in SERVICES.items():
            text.append("define service {\n    use tgmon-pushed,local-service\n    host_name "
                        "%s\n    service_description %s\n    check_command tgmon_%s!\n"
                        "    check_interval 30\n}\n" % (host, description, check))
    return "\n".join(text)


def comparable(block):
    return (block["current_state"], AGO.sub("N", block["plugin_output"]),
            AGO.sub("N", block.get("long_plugin_output", "")),
            AGE.sub(r"\1N", block["performance_data"]))


def results_since(nagios, since, passive):
    blocks = nagios.services()
    done = len(blocks) == 2 * len(SERVICES) and all(
        int(b["last_check"]) >= since and b["check_type"] == ("1" if passive else "0")
        for b in blocks.values())
    return blocks if done else None


def authorize_rule():
    """docs/push.rst's authorize block for nsca-ng, its password set."""
    with open(os.path.join(ROOT, "docs", "push.rst")) as handle:
        text = handle.read()
    block = re.search(r"\n(    authorize \"tgmon-push\" \{\n.*?\n    \})\n", text, re.S)
    return textwrap.dedent(block.group(1)).replace('password = "..."',
                                                   'password = "%s"' % NSCA_PASSWORD) + "\n"


def nsca_server(work, nagios):
    """nsca-ng on 127.0.0.1 writing into Nagios' pipe, authorizing tgmon-push for the
    TightGate services only (docs/push.rst's rule, read from there); its send_nsca
    config."""
    binary = need("nsca-ng", "nsca-ng-server")
    port = free_port()
    config = work.write("nsca-ng.cfg", (
        'command_file = "%s"\nlisten = "127.0.0.1:%d"\npid_file = "%s"\n'
        + authorize_rule())
        % (nagios.command_file, port, os.path.join(work.sub("nsca", owned=True), "nsca-ng.pid")),
        0o600)
    chown_to_daemon_user(config)
    client = work.write("send_nsca.cfg", 'server = "127.0.0.1"\nport = %d\nidentity = '
                        '"tgmon-push"\npassword = "%s"\n' % (port, NSCA_PASSWORD), 0o600)
    chown_to_daemon_user(client)
    log = open(os.path.join(work.path, "nsca-ng.log"), "w")
    process = subprocess.Popen(as_daemon_user([binary, "-F", "-c", config, "-l", "3"]),
                               stdout=log, stderr=subprocess.STDOUT)

    def listening():
        assert process.poll() is None, open(log.name).read()[-2000:]
        import socket
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0
    wait_for(listening, 30, "nsca-ng listening")
    return process, client, log


def test_nagios_takes_pushed_results_through_its_pipe_and_through_nsca_ng():
    need_package()
    need("send_nsca", "nsca-ng-client")
    work = WorkDir("tgmon-e2e-push-nagios-")
    nagios = server = log = None
    try:
        nodes = simulated_nodes(work)
        nagios = Nagios(work)
        work.write(os.path.join("conf.d", "tgmon-pushed.cfg"), objects(nodes))
        nagios.start()
        since = int(time.time())
        nagios.command(*["SCHEDULE_FORCED_SVC_CHECK;%s;%s;%d" % (host, description, since)
                         for host in nodes for description in SERVICES.values()])
        active = wait_for(lambda: results_since(nagios, since, passive=False), 90,
                          "Nagios' active checks")
        assert {b["current_state"] for b in active.values()} >= {"0", "2"}
        node_args = [a for host, path in sorted(nodes.items())
                     for a in ("--node", "%s=%s" % (host, path))]

        # the command pipe: the services found in status.dat by their check command
        since = int(time.time()) + 1
        time.sleep(1.1)
        done = subprocess.run(as_daemon_user([TGMON, "push", "--once"] + node_args + [
            "--nagios-command-file", nagios.command_file, "--nagios-status-file",
            nagios.status_file]), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (done.stdout, done.stderr)
        assert "Nagios: 14 sent, 0 refused" in done.stdout, done.stdout
        piped = wait_for(lambda: results_since(nagios, since, passive=True), 30,
                         "the pushed results in status.dat")
        for name, block in piped.items():
            assert comparable(block) == comparable(active[name]), name

        # NSCA-ng: a real server, send_nsca fed one batch
        server, client, log = nsca_server(work, nagios)
        since = int(time.time()) + 1
        time.sleep(1.1)
        done = subprocess.run(as_daemon_user([TGMON, "push", "--once"] + node_args + [
            "--nsca-config", client]), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (done.stdout, done.stderr, open(log.name).read())
        assert "NSCA-ng: 14 sent, 0 refused" in done.stdout, done.stdout
        assert NSCA_PASSWORD not in done.stdout + done.stderr
        sent = wait_for(lambda: results_since(nagios, since, passive=True), 30,
                        "the results through NSCA-ng in status.dat")
        for name, block in sent.items():
            assert comparable(block) == comparable(active[name]), name
    finally:
        if server is not None:
            stop(server)
            log.close()
        if nagios is not None:
            nagios.stop()
        work.remove()

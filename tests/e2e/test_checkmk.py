"""The installed package's other output formats and its Checkmk datasource, run
as the daemon user with no environment: JSON valid against the schema the
package ships, Checkmk lines that fit the grammar, the same exit code as the
Nagios format; ``tgmon checkmk`` reading an installed exporter behind a token
and TLS, a state dir and a node that is down, at once."""

import json
import os
import subprocess

import pytest

from remote.servers import Exporter, self_signed
from schemacheck import errors as schema_errors
from test_checkmk_datasource import NODE_SERVICES, parse
from test_golden import assert_local_line

from .cores import PLUGIN_DIR, TGMON, WorkDir, as_daemon_user, chown_to_daemon_user, free_port, \
    need_package
from .test_package import installed_files, node_plugins, refreshed_examples

pytestmark = pytest.mark.e2e


def run_as_daemon_user(argv):
    return subprocess.run(as_daemon_user(argv), capture_output=True, text=True, timeout=60)


def installed_schema():
    """The JSON Schema the package installed (package data beside its renderer)."""
    found = [path for path in installed_files()
             if path.endswith("/tgmon/render/tgmon-result-1.schema.json")]
    assert len(found) == 1, found
    with open(found[0], encoding="utf-8") as handle:
        return json.load(handle)


def test_installed_plugins_print_json_and_checkmk_with_the_same_exit_code():
    need_package()
    schema = installed_schema()
    work = WorkDir("tgmon-e2e-formats-")
    try:
        for example, directory in sorted(refreshed_examples(work).items()):
            for plugin in node_plugins():
                command = [os.path.join(PLUGIN_DIR, plugin), "--state-dir", directory]
                nagios = run_as_daemon_user(command)
                as_json = run_as_daemon_user(command + ["--output-format", "json"])
                local = run_as_daemon_user(command + ["--output-format", "checkmk-local"])
                assert nagios.returncode == as_json.returncode == local.returncode, (
                    example, plugin, nagios, as_json, local)
                assert as_json.stderr == local.stderr == "", (as_json, local)
                document = json.loads(as_json.stdout)
                assert schema_errors(document, schema) == [], (example, plugin)
                assert document["status"] == nagios.returncode
                for line in local.stdout.splitlines():
                    assert_local_line(line)
    finally:
        work.remove()


def test_the_installed_datasource_reads_an_exporter_a_dir_and_a_node_that_is_down():
    need_package()
    work = WorkDir("tgmon-e2e-checkmk-")
    exporter = None
    try:
        dirs = refreshed_examples(work)
        cert, key = self_signed(work.sub("tls"))
        token = work.write("token", "e2e-token-%d\n" % os.getpid(), 0o640)
        chown_to_daemon_user(token)
        exporter = Exporter("--state-dir", dirs["update-locked-cluster-node"],
                            "--token-file", token, "--tls-cert", cert, "--tls-key", key,
                            path=TGMON)
        down = "https://127.0.0.1:%d/v1/status" % free_port()
        work.readable()
        run = run_as_daemon_user([
            TGMON, "checkmk", "-t", "10", "--token-file", token, "--ca-file", cert,
            "--node", "tg-node2=" + exporter.url(), "--node", "tg-node9=" + down,
            "--node", "tg-single=" + dirs["healthy-single"]])
        assert (run.returncode, run.stderr) == (0, ""), run
        hosts = parse(run.stdout)
        assert list(hosts) == [None, "tg-node2", "tg-node9", "tg-single"], run.stdout
        # a single system listed as a cluster node: the cluster's verdict says so
        assert hosts[None] == [(3, "TightGate cluster updates")]
        assert "tg-single is a single system, not a cluster node" in run.stdout
        for host in ("tg-node2", "tg-node9", "tg-single"):
            assert [service for _, service in hosts[host]] == NODE_SERVICES
        assert {s: c for c, s in hosts["tg-node2"]}["TightGate update lock"] == 2
        assert [c for c, _ in hosts["tg-node9"]] == [2] + [3] * 6
        assert {c for c, _ in hosts["tg-single"]} == {0}
        assert "e2e-token" not in run.stdout
    finally:
        if exporter is not None:
            exporter.stop()
        work.remove()

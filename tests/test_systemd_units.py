"""The exporter's unit as shipped: what /etc/default/tgmon-serve and the network drop-in
hand to ``tgmon serve`` is a command line it accepts, and names no file its dynamic user
cannot read (systemd-analyze verify of unit plus drop-in: tests/e2e/test_package.py)."""

import os
import shlex

import pytest

from helpers import ROOT
from tgmon.cli import _parser

UNIT = os.path.join(ROOT, "systemd", "tgmon-serve.service")
DEFAULTS = os.path.join(ROOT, "systemd", "tgmon-serve.default")
DROP_IN = os.path.join(ROOT, "examples", "systemd", "tgmon-serve-network.conf")
CREDENTIALS = "/run/credentials/tgmon-serve.service"
FILE_OPTIONS = ("--token-file", "--tls-cert", "--tls-key", "--state-dir")


def service_section(path):
    """[Service] as systemd reads it: continued lines joined, repeated keys kept in order."""
    with open(path) as handle:
        text = handle.read().replace("\\\n", " ")
    section, entries = None, []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            entries.append(tuple(part.strip() for part in line.split("=", 1)))
    return entries


def exec_start(entries):
    """The ExecStart left after resets (an empty ExecStart= clears the earlier ones)."""
    commands = []
    for key, value in entries:
        if key == "ExecStart":
            commands = [value] if value else []
    assert len(commands) == 1, commands
    return commands[0]


def environment_values():
    """TGMON_SERVE_ARGS as shipped and as each commented example would set it."""
    values = []
    with open(DEFAULTS) as handle:
        for line in handle:
            line = line.strip().lstrip("#")
            if line.startswith("TGMON_SERVE_ARGS="):
                values.append(shlex.split(line.split("=", 1)[1])[0])   # quotes removed
    assert len(values) >= 2, "the shipped value and at least one example"
    return values


def command_line(template, args, credentials):
    """systemd's expansion: ${CREDENTIALS_DIRECTORY} in place, $TGMON_SERVE_ARGS split
    into words (an unset or empty one gives none)."""
    words = []
    for word in shlex.split(template):
        if word == "$TGMON_SERVE_ARGS":
            words += args.split()
        else:
            words.append(word.replace("${CREDENTIALS_DIRECTORY}", credentials))
    assert "$" not in " ".join(words), words
    return words


CASES = [(name, value) for name in ("unit", "unit+drop-in") for value in environment_values()]


@pytest.mark.parametrize("setup, args", CASES, ids=["%s:%r" % case for case in CASES])
def test_the_exporters_command_line_is_accepted_and_readable_by_its_dynamic_user(setup, args):
    entries = service_section(UNIT) + (service_section(DROP_IN) if setup != "unit" else [])
    assert ("DynamicUser", "yes") in entries
    assert ("EnvironmentFile", "-/etc/default/tgmon-serve") in entries
    words = command_line(exec_start(entries), args, CREDENTIALS)
    assert words[:2] == ["/usr/bin/tgmon", "serve"]
    parsed = _parser().parse_args(words[1:])              # exits 2 on an option it refuses
    assert parsed.command == "serve"
    credentials = {value.split(":", 1)[0] for key, value in entries if key == "LoadCredential"}
    for option, value in zip(words, words[1:]):
        if option in FILE_OPTIONS and option != "--state-dir":
            # a secret only as a credential: /etc/tgmon is root's 0700
            assert os.path.dirname(value) == CREDENTIALS, (option, value)
            assert os.path.basename(value) in credentials, (option, value)
    if setup == "unit+drop-in":
        assert parsed.token_file and parsed.tls_cert and parsed.tls_key
    given = args.split()
    if "--bind" in given:            # the file's options apply, with the drop-in too
        assert parsed.bind == given[given.index("--bind") + 1]


def test_the_environment_file_names_no_file():
    """The dynamic user reads no file but the state dir and its credentials."""
    for value in environment_values():
        assert not set(value.split()) & set(FILE_OPTIONS), value
        assert "/" not in value.replace("--", ""), value



PUSH_UNIT = os.path.join(ROOT, "systemd", "tgmon-push.service")
PUSH_CONFIG = os.path.join(ROOT, "examples", "push.yml")


def test_the_pusher_runs_as_nagios_hardened_like_the_exporter():
    push, serve = dict(service_section(PUSH_UNIT)), dict(service_section(UNIT))
    assert (push["User"], push["Group"]) == ("nagios", "nagios")
    # every hardening of the exporter's unit, but its dynamic user (the pusher reads
    # the nagios group's secret files) and its reload
    kept = {key: value for key, value in serve.items()
            if key not in ("Type", "EnvironmentFile", "ExecStart", "ExecReload", "Restart",
                           "DynamicUser")}
    assert {key: push.get(key) for key in kept} == kept
    assert push["ReadWritePaths"] == "-/var/lib/nagios4/rw -/var/lib/nagios3/rw"
    # SIGTERM stops it within a second: systemd never needs its SIGKILL
    assert push["TimeoutStopSec"] == "5s" and push["MemoryMax"] == "512M"


def test_the_pushers_command_line_and_its_example_config_are_accepted(tmp_path):
    from tgmon.config import apply_config
    from tgmon.options import given_dests
    from tgmon.push.options import SECTION, build_parser
    from tgmon.runtime.configure import catalogue
    argv = shlex.split(exec_start(service_section(PUSH_UNIT)))
    assert argv[:2] == ["/usr/bin/tgmon", "push"]
    config = tmp_path / "push.yml"
    config.write_text(open(PUSH_CONFIG).read())
    argv = [a.replace("/etc/tgmon/push.yml", str(config)) for a in argv[2:]]
    opts = build_parser().parse_args(argv)
    apply_config(opts.config, catalogue(), SECTION, opts, given_dests(build_parser, argv))
    assert opts.icinga_user == "tgmon-push" and opts.cluster_host == "tgc-berlin"
    assert len(opts.node) == 2 and not opts.once


def test_the_pushers_unit_waits_for_its_config():
    with open(PUSH_UNIT) as handle:
        assert "ConditionPathExists=/etc/tgmon/push.yml" in handle.read().splitlines()

"""The README's own commands, run as a newcomer runs them after ``make demo``.

Every literal block whose commands use the venv (``.venv/bin/...``) is run in
order, with /tmp/ moved into a temporary dir; a ``# NAME STATUS - text ...``
comment under a check is the output it must print (``...`` stands for any
text). Blocks for root or other machines (apt-get, systemctl, cat > /etc/...)
are tested by the end-to-end tests instead.
"""

import os
import re
import shlex
import subprocess
import sys

import pytest

from helpers import ROOT

STATUS_CODES = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}
EXPECTED_OUTPUT = re.compile(r"^# ([A-Z_]+ (OK|WARNING|CRITICAL|UNKNOWN) - .*)$")


def literal_blocks(text):
    """The README's ``::`` blocks, each a list of lines without the indent."""
    blocks, current, inside = [], [], False
    for line in text.splitlines():
        if inside:
            if line.startswith("    ") or not line.strip():
                current.append(line[4:])
                continue
            blocks.append(current)
            current, inside = [], False
        if line.rstrip().endswith("::"):
            inside = True
    if current:
        blocks.append(current)
    return [[line for line in block if line.strip()] for block in blocks]


def readme_blocks(server):
    """The venv blocks that start a server in the background (``&``), or the others."""
    with open(os.path.join(ROOT, "README.rst")) as handle:
        blocks = literal_blocks(handle.read())
    return [b for b in blocks if any(line.startswith(".venv/bin/") for line in b)
            and any(line.rstrip().endswith(" &") for line in b) == server]


def venv_blocks():
    return readme_blocks(server=False)


def steps(block):
    """(argv, expected output pattern or None) for each command of a block."""
    commands, pending = [], ""
    for line in block:
        match = EXPECTED_OUTPUT.match(line)
        if match:
            assert commands, "an expected output before any command: %s" % line
            commands[-1][1] = match.group(1)
            continue
        if line.startswith("#"):
            continue
        line = line.split("  #", 1)[0].rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        commands.append([pending + line, None])
        pending = ""
    return commands


def test_the_readme_has_venv_blocks_to_run():
    blocks = venv_blocks()
    assert len(blocks) >= 3, blocks
    assert sum(1 for b in blocks for _, expected in steps(b) if expected) >= 2


@pytest.mark.parametrize("block", venv_blocks(), ids=lambda b: b[0][:40])
def test_readme_block_runs_as_written(block, tmp_path):
    for command, expected in steps(block):
        argv = [part.replace("/tmp/", str(tmp_path) + "/") for part in shlex.split(command)]
        run_step(argv, command, expected)


def run_step(argv, command, expected):
    assert argv[0].startswith(".venv/bin/") or argv[0] in ("cp", "mkdir"), command
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    output = done.stdout + done.stderr
    assert "Traceback" not in output, (command, output)
    if expected:
        pattern = ".*".join(re.escape(piece) for piece in expected.split("..."))
        first = done.stdout.splitlines()[0] if done.stdout else ""
        assert re.match(pattern, first), (command, expected, first)
        assert done.returncode == STATUS_CODES[expected.split()[1]], (command, output)
    elif os.path.basename(argv[0]).startswith("check_"):
        assert done.returncode in (0, 1, 2), (command, output)
    else:
        assert done.returncode == 0, (command, output)


@pytest.mark.parametrize("block", readme_blocks(server=True), ids=lambda b: b[0][:40])
def test_readme_server_block_runs_as_written(block):
    """A block whose first command is a server started with ``&`` (the simulator
    serving its nodes): the server on a free port instead of the README's, then the
    other commands against it, each with the output the README shows for it."""
    from remote.servers import Exporter
    (server, _), *rest = steps(block)
    assert server.endswith(" &") and " serve " in server, server
    program, subcommand, *args = shlex.split(server[:-2])
    assert subcommand == "serve" and program.startswith(".venv/bin/"), server
    port = re.search(r":(\d+)/", rest[0][0]).group(1)
    exporter = Exporter(*args, path=os.path.join(ROOT, program))
    try:
        for command, expected in rest:
            argv = [part.replace(":%s/" % port, ":%d/" % exporter.port)
                    for part in shlex.split(command)]
            run_step(argv, command, expected)
    finally:
        assert exporter.stop() == 0


def test_make_test_says_why_each_test_skipped(tmp_path):
    """The README promises a loud reason for every skip: ``make test`` must print it
    (pytest hides skip reasons unless asked with -rs)."""
    planned = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True,
                             timeout=60)
    pytest_line = [line for line in planned.stdout.splitlines() if " -m pytest" in line]
    assert len(pytest_line) == 1, planned.stdout
    arguments = shlex.split(pytest_line[0].split(" -m pytest", 1)[1])
    probe = tmp_path / "test_probe.py"
    probe.write_text("import pytest\n\ndef test_needs_a_core():\n"
                     "    pytest.skip('SKIPPED LOUDLY - icinga2 is not installed')\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
                          + arguments + [str(probe)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, CI=""))
    assert "1 skipped" in done.stdout, done.stdout
    assert "SKIPPED LOUDLY - icinga2 is not installed" in done.stdout, done.stdout


def test_every_package_install_replaces_a_rebuild_of_the_same_version():
    """A rebuilt .deb keeps its version: without --reinstall apt keeps the old files."""
    installs = []
    for name in ["README.rst"] + sorted("docs/" + n for n in os.listdir(os.path.join(ROOT, "docs"))
                                        if n.endswith(".rst")):
        with open(os.path.join(ROOT, name)) as handle:
            installs += [(name, line.strip()) for line in handle
                         if "apt-get install" in line and ".deb" in line]
    assert installs, "the README shows no package install"
    for name, line in installs:
        assert shlex.split(line)[:3] == ["apt-get", "install", "--reinstall"], (name, line)
        assert "./dist/tgmon_*_all.deb" in line.split(), (name, line)    # whatever the version

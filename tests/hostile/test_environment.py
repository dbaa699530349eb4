"""Issue 18, class 10: the plugins and tools are immune to their caller's environment.

Every route a plugin reaches a core by - the venv's console scripts, the
plugins/ wrapper started by the venv's Python, the installed package's
/usr/lib/nagios/plugins (CI), ``make install`` into a fresh PREFIX - runs in
Python's isolated mode: PYTHONPATH, PYTHONHOME, PYTHONSTARTUP, PYTHONINSPECT,
PYTHONWARNINGS, PYTHONBREAKPOINT, PYTHONUSERBASE and a hostile current
directory (tgmon/, nagiosplugin.py, requests/, yaml.py planted) change
nothing. And a closed, broken, full or read-only stdout never changes a
plugin's exit code nor puts a traceback on stderr.
"""

import os
import subprocess
import sys
import time

import pytest

from tgmon.state import examples
from tgmon.state.layout import write_state
from tgmon.timeutil import utcnow

from helpers import ROOT, VENV_BIN

from .harness import FIRST_LINE, PLUGIN_DIR, TGMON

pytestmark = pytest.mark.slow
HANG_GUARD = 10 + 1     # the default -t, and a second
PWNED = "PWNED-by-the-environment"
# download-failed-single: VERSIONS WARNING, exit 1 (an environment that made it 0 shows)
EXPECTED_CODE = 1


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A state dir, and a dir of everything a hostile environment could plant."""
    tmp = tmp_path_factory.mktemp("environment")
    state = str(tmp / "state")
    write_state(state, examples.build("download-failed-single", utcnow().astimezone()))
    plant = tmp / "plant"
    shout = "import sys; sys.stdout.write('%s\\n'); sys.exit(0)\n" % PWNED
    for package in ("tgmon", "requests", "yaml"):
        (plant / package).mkdir(parents=True)
        (plant / package / "__init__.py").write_text(shout)
    for module in ("nagiosplugin.py", "startup.py", "site/sitecustomize.py",
                   "site/usercustomize.py"):
        (plant / module).parent.mkdir(exist_ok=True)
        (plant / module).write_text(shout)
    user_site = plant / "userbase" / "lib" / ("python%d.%d" % sys.version_info[:2]) \
        / "site-packages" / "tgmon"
    user_site.mkdir(parents=True)
    (user_site / "__init__.py").write_text(shout)
    return state, str(plant)


@pytest.fixture(scope="module")
def venv_route(tmp_path_factory):
    """``make install`` (tools/install-venv) into a fresh PREFIX and PLUGINDIR."""
    tmp = tmp_path_factory.mktemp("make-install")
    prefix, plugindir = str(tmp / "opt"), str(tmp / "plugins")
    done = subprocess.run(["make", "-s", "install", "PREFIX=" + prefix, "PLUGINDIR=" + plugindir,
                           "SYSTEM_PYTHON=/usr/bin/python3"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return prefix, plugindir


# (id, how the plugin is started); "python" routes start the wrapper with a Python
# that has no -I: their interpreter has read its environment before the wrapper's
# first line (a sitecustomize on PYTHONPATH, PYTHONHOME) - only a shebang with -I
# prevents that, and the installed routes have one.
ROUTES = [
    ("venv_console_script", lambda v: [os.path.join(VENV_BIN, "check_versions")], "shebang"),
    ("plugins_wrapper_by_venv_python",
     lambda v: [os.path.join(VENV_BIN, "python"), os.path.join(ROOT, "plugins",
                                                              "check_versions")], "python"),
    ("make_install_plugin", lambda v: [os.path.join(v[1], "check_versions")], "shebang"),
    ("make_install_console_script", lambda v: [os.path.join(v[0], "bin", "check_versions")],
     "shebang"),
]
if PLUGIN_DIR != VENV_BIN:    # CI: the installed package's plugins
    ROUTES.append(("installed_plugin", lambda v: [os.path.join(PLUGIN_DIR, "check_versions")],
                   "shebang"))

# (id, environment added (PLANT: the planted dir), where it runs, routes it concerns)
ENVIRONMENTS = [
    ("pythonpath_plants_tgmon_nagiosplugin", {"PYTHONPATH": "PLANT"}, None, "all"),
    ("pythonpath_sitecustomize", {"PYTHONPATH": "PLANT/site"}, None, "shebang"),
    ("pythonhome_elsewhere", {"PYTHONHOME": "PLANT"}, None, "shebang"),
    ("pythonstartup_and_inspect", {"PYTHONSTARTUP": "PLANT/startup.py", "PYTHONINSPECT": "1"},
     None, "all"),
    ("pythoninspect_would_exit_0", {"PYTHONINSPECT": "1"}, None, "all"),
    ("pythonwarnings_error", {"PYTHONWARNINGS": "error"}, None, "all"),
    ("pythonbreakpoint", {"PYTHONBREAKPOINT": "os.abort"}, None, "all"),
    ("pythonuserbase_plants_tgmon", {"PYTHONUSERBASE": "PLANT/userbase"}, None, "all"),
    ("pythonoptimize_and_ioencoding", {"PYTHONOPTIMIZE": "2", "PYTHONIOENCODING": "ascii:strict"},
     None, "all"),
    ("cwd_plants_tgmon_nagiosplugin_requests_yaml", {}, "PLANT", "all"),
    ("everything_at_once", {"PYTHONPATH": "PLANT", "PYTHONINSPECT": "1",
                            "PYTHONWARNINGS": "error", "PYTHONUSERBASE": "PLANT/userbase"},
     "PLANT", "all"),
]

CASES = [(route[0] + "-" + env[0], route, env) for route in ROUTES for env in ENVIRONMENTS
         if env[3] == "all" or env[3] == route[2]]


def run(argv, env_extra, cwd, plant, stdout=subprocess.PIPE):
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    env.update({key: value.replace("PLANT", plant) for key, value in env_extra.items()})
    started = time.monotonic()
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=stdout,
                          stderr=subprocess.PIPE, env=env, timeout=60,
                          cwd=cwd.replace("PLANT", plant) if cwd else None)
    return done, time.monotonic() - started


@pytest.mark.parametrize("name, route, environment", CASES, ids=[c[0] for c in CASES])
def test_the_callers_environment_changes_nothing(hostile, venv_route, name, route,
                                                 environment):
    state, plant = hostile
    argv = route[1](venv_route) + ["--state-dir", state]
    done, took = run(argv, environment[1], environment[2], plant)
    out, err = done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    assert PWNED not in out + err
    assert done.returncode == EXPECTED_CODE, (done.returncode, out, err)
    assert out.startswith("VERSIONS WARNING - Update download failed")
    assert FIRST_LINE.match(out.splitlines()[0]) and err == "", (out, err)
    assert took < HANG_GUARD


SCENARIO = os.path.join(ROOT, "scenarios", "hotfix-day.yml")
# (id, the command, a line its output starts with) - tgmon and tgmon-sim of each route
TOOLS = [
    ("venv_tgmon", lambda v, state: [os.path.join(VENV_BIN, "tgmon"), "validate", state,
                                     "--max-age", "100d"], "%s: valid tgmon/1 state"),
    ("venv_tgmon_sim", lambda v, state: [os.path.join(VENV_BIN, "tgmon-sim"), "timeline",
                                         SCENARIO], "# "),
    ("make_install_tgmon", lambda v, state: [os.path.join(v[0], "bin", "tgmon"), "validate",
                                             state, "--max-age", "100d"],
     "%s: valid tgmon/1 state"),
    ("make_install_tgmon_sim", lambda v, state: [os.path.join(v[0], "bin", "tgmon-sim"),
                                                 "timeline", SCENARIO], "# "),
]
if PLUGIN_DIR != VENV_BIN:    # CI: the installed package's
    TOOLS.append(("installed_tgmon", lambda v, state: [TGMON, "validate", state, "--max-age",
                                                       "100d"], "%s: valid tgmon/1 state"))


@pytest.mark.parametrize("name, command, starts", TOOLS, ids=[t[0] for t in TOOLS])
def test_the_tools_import_nothing_planted(hostile, venv_route, name, command, starts):
    state, plant = hostile
    done, took = run(command(venv_route, state), {"PYTHONPATH": "PLANT", "PYTHONINSPECT": "1",
                                                   "PYTHONUSERBASE": "PLANT/userbase"},
                     "PLANT", plant)
    out, err = done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    assert PWNED not in out + err
    assert (done.returncode, err) == (0, ""), (out, err)
    assert out.startswith(starts.replace("%s", state)), out[:200]
    assert took < HANG_GUARD


# ---------------------------------------------------------------- stdout

def closed(path):
    return None, "/bin/sh", ["-c", 'exec "$0" "$@" >&-']


def broken_pipe(path):
    read_end, write_end = os.pipe()
    os.close(read_end)          # the reader went away (| head -c0)
    return write_end, None, []


def full_device(path):
    return os.open("/dev/full", os.O_WRONLY), None, []


def read_only(path):
    return os.open(path, os.O_RDONLY), None, []


# (id, what stdout is)
STDOUTS = [("closed", closed), ("reader_gone_epipe", broken_pipe), ("dev_full", full_device),
           ("read_only_file", read_only)]

# (id, command, its exit code with a working stdout, whether that code stands)
COMMANDS = [
    ("plugin", lambda state: [os.path.join(PLUGIN_DIR, "check_versions"), "--state-dir", state],
     EXPECTED_CODE),
    ("plugin_help", lambda state: [os.path.join(PLUGIN_DIR, "check_versions"), "--help"], 3),
    ("plugin_unknown", lambda state: [os.path.join(PLUGIN_DIR, "check_versions"), "--state-dir",
                                      state + "/nowhere"], 3),
    ("all_in_one_plugin", lambda state: [os.path.join(PLUGIN_DIR, "check_tightgate"),
                                         "--state-dir", state], 1),
    ("tgmon_validate", lambda state: [TGMON, "validate", state, "--max-age", "100d"], 0),
]


@pytest.mark.parametrize("command_name, command, code", COMMANDS, ids=[c[0] for c in COMMANDS])
@pytest.mark.parametrize("stdout_name, stdout", STDOUTS, ids=[s[0] for s in STDOUTS])
def test_a_stdout_that_takes_nothing_changes_no_exit_code(hostile, tmp_path, stdout_name,
                                                          stdout, command_name, command, code):
    state, _ = hostile
    target = tmp_path / "out"
    target.write_text("")
    fd, shell, shell_args = stdout(str(target))
    argv = command(state)
    if shell:
        argv = [shell] + shell_args + argv
    started = time.monotonic()
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=fd,
                              stderr=subprocess.PIPE, timeout=60)
    finally:
        if fd is not None:
            os.close(fd)
    assert done.returncode == code, (done.returncode, done.stderr)
    assert done.stderr == b"", done.stderr
    assert target.read_text() == ""         # nothing written where it must not be
    assert time.monotonic() - started < HANG_GUARD


def count_by_class():
    return {"10": len(CASES) + len(TOOLS) + len(STDOUTS) * len(COMMANDS)}

"""Hostile command lines and files given as options: --config, --cluster-file,
--token-file, --ca-file, -t, durations, ranges, URLs.

Classes (issue 10): 1 nothing blocks, 2 bounded parsing, 4 secrets, 6 every
error names its cause, 8 config semantics.
"""

import os

import pytest

from .common import sparse, state_dir, write
from .harness import SECRETS, assert_clean, assert_unknown_line, run_plugin

# the corpus runs every case as a real process: make test, not test-quick
pytestmark = pytest.mark.slow

TIMEOUT = 2
CONFIG_SECRET, CLUSTER_SECRET, TOKEN_SECRET, CA_SECRET = (SECRETS[1], SECRETS[2], SECRETS[0],
                                                          SECRETS[4])
BILLION_LAUGHS = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x]"] +
    ["a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]"
     % ((i, i) + (i - 1,) * 9) for i in range(1, 10)] + ["max_age: *a9"]) + "\n"


def config(text, with_dir=True):
    """--config FILE holding ``text`` (str/bytes), with a healthy state dir."""
    def setup(tmp, stack):
        argv = ["--state-dir", str(state_dir(tmp))] if with_dir else []
        return argv + ["--config", write(tmp / "tgmon.yml", text)]
    return setup


def config_path(kind):
    def setup(tmp, stack):
        path = tmp / "tgmon.yml"
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "dir":
            path.mkdir()
        elif kind == "device":
            os.symlink("/dev/zero", path)
        elif kind == "huge":
            sparse(path, 10 * 1024 * 1024)
        elif kind == "missing":
            pass
        return ["--state-dir", str(state_dir(tmp)), "--config", str(path)]
    return setup


def url_option(*extra, token=None, ca=None):
    """--url at a closed port plus files; the read must fail before any connection."""
    def setup(tmp, stack):
        argv = ["--url", "http://127.0.0.1:9/v1/status"] + list(extra)
        if token is not None:
            argv += ["--token-file", _file(tmp / "token", token)]
        if ca is not None:
            argv += ["--ca-file", _file(tmp / "ca.pem", ca)]
        return argv
    return setup


def _file(path, content):
    if content == "fifo":
        os.mkfifo(path)
        return str(path)
    if content == "dir":
        path.mkdir()
        return str(path)
    if content == "missing":
        return str(path)
    if content == "huge":
        sparse(path, 8 * 1024 * 1024)
        return str(path)
    return write(path, content)


def options(*argv):
    return lambda tmp, stack: list(argv)


def with_dir(*argv):
    return lambda tmp, stack: ["--state-dir", str(state_dir(tmp))] + list(argv)


# (id, classes, plugin, setup, cause)
CASES = [
    # --config: what the file is
    ("config_fifo", "1", "check_versions", config_path("fifo"),
     "--config %s is a FIFO, not a regular file"),
    ("config_dir", "1", "check_versions", config_path("dir"), "is a directory, not a regular file"),
    ("config_device", "1", "check_versions", config_path("device"),
     "is a character device, not a regular file"),
    ("config_huge", "2", "check_versions", config_path("huge"),
     "is 10485760 bytes, more than the 262144 allowed"),
    ("config_missing", "6", "check_versions", config_path("missing"), "does not exist"),
    # --config: what the file holds
    ("config_billion_laughs", "2", "check_versions", config(BILLION_LAUGHS),
     "aliases (*name) are not supported here"),
    ("config_nested", "2", "check_versions", config("a: " + "[" * 100 + "]" * 100 + "\n"),
     "nested more than 20 levels deep"),
    ("config_deep_python_nesting", "2", "check_versions",
     config("a: " + "[" * 5000 + "]" * 5000 + "\n"), "nested more than 20 levels deep"),
    ("config_binary", "6", "check_versions", config(bytes(range(256)) * 10), "is not valid YAML"),
    ("config_utf16", "6", "check_versions", config("max_age: 1h\n".encode("utf-16")[:7]),
     "not valid YAML"),
    ("config_not_yaml", "6", "check_versions", config("max_age: [unclosed\n"),
     "line 2 is not valid YAML"),
    ("config_list_top", "6", "check_versions", config("- a\n- b\n"),
     "must be a mapping of option: value"),
    ("config_int_5000_digits", "2", "check_versions", config("max_age: %s\n" % ("9" * 5000)),
     "is not usable: a number is thousands of digits long"),
    ("config_float_inf", "2", "check_versions", config("max_age: .inf\n"),
     "line 1: max_age is not a valid value"),
    ("config_duration_400_digits", "2", "check_versions",
     config("check_versions:\n  critical_age: %s\n" % ("1" * 400)),
     "line 2: critical_age is not a valid value"),
    ("config_duration_too_long", "2", "check_versions", config("max_age: 100000d\n"),
     "line 1: max_age is not a valid value"),
    ("config_secret_value", "4", "check_versions", config("state_dir: [%s]\n" % CONFIG_SECRET),
     "line 1: state_dir must be a single value"),
    ("config_secret_key", "4", "check_versions", config("%s: 1\n" % CONFIG_SECRET),
     "line 1: unknown option"),
    ("config_secret_bad_duration", "4", "check_versions",
     config("max_age: %s\n" % CONFIG_SECRET), "line 1: max_age is not a valid value"),
    ("config_secret_yaml_error", "4", "check_versions",
     config("x: 1\n%s: [\n" % CONFIG_SECRET), "is not valid YAML"),
    ("config_undefined_alias", "4", "check_versions", config("max_age: *%s\n" % CONFIG_SECRET),
     "aliases (*name) are not supported"),
    ("config_misspelled_section", "8", "check_versions",
     config("check_hotfix:\n  warning: 2\n"), "line 1: unknown section"),
    ("config_unknown_key_in_section", "8", "check_versions",
     config("check_versions:\n  warnnig_age: 2d\n"), "line 2: unknown option for check_versions"),
    ("config_section_not_mapping", "8", "check_versions", config("check_versions: 5\n"),
     "line 1: section check_versions must be a mapping"),
    ("config_flag_not_bool", "8", "check_versions", config("insecure: yes please\n"),
     "line 1: insecure must be true or false"),
    ("config_list_too_long", "8", "check_cluster_updates",
     config("node: [%s]\n" % ", ".join(["/x"] * 1001), with_dir=False),
     "must be a list of 1 to 1000 values"),
    ("config_files_unknown_key", "8", "check_versions", config("files:\n  lock: /x\n"),
     "line 2: unknown file key"),
    ("config_files_not_path", "8", "check_versions", config("files:\n  status: [1]\n"),
     "line 2: files.status must be a path"),
    ("config_timeout_bad", "8", "check_versions", config("timeout: 0\n"),
     "line 1: timeout is not a valid value"),
    ("config_severity_bad", "8", "check_versions",
     config("check_versions:\n  warn_flag_severity: panic\n"),
     "line 2: warn_flag_severity is not a valid value"),
    # --cluster-file
    ("cluster_file_fifo", "1", "check_cluster_updates",
     lambda tmp, stack: ["--cluster-file", _file(tmp / "nodes", "fifo")], "is a FIFO"),
    ("cluster_file_dir", "1", "check_cluster_updates",
     lambda tmp, stack: ["--cluster-file", _file(tmp / "nodes", "dir")], "is a directory"),
    ("cluster_file_huge", "2", "check_cluster_updates",
     lambda tmp, stack: ["--cluster-file", _file(tmp / "nodes", "huge")],
     "more than the 1048576 allowed"),
    ("cluster_file_binary", "6", "check_cluster_updates",
     lambda tmp, stack: ["--cluster-file", _file(tmp / "nodes", bytes(range(128, 256)))],
     "is not UTF-8 text"),
    ("cluster_file_secret_line", "4", "check_cluster_updates",
     lambda tmp, stack: ["--cluster-file", _file(tmp / "nodes", "/var/lib/tg1\nroot:%s:0\n"
                                                  % CLUSTER_SECRET)],
     "line 2 is no URL or absolute path"),
    ("cluster_file_too_many", "2", "check_cluster_updates",
     lambda tmp, stack: ["--cluster-file", _file(tmp / "nodes", "".join(
         "/n/%d\n" % i for i in range(1001)))], "1001 nodes given, at most 1000 are read"),
    ("cluster_file_missing", "6", "check_cluster_updates",
     lambda tmp, stack: ["--cluster-file", _file(tmp / "nodes", "missing")], "does not exist"),
    ("node_relative", "6", "check_cluster_updates", options("--node", "tg1"),
     "--node tg1 is neither a URL nor an absolute state dir path"),
    ("node_password", "4", "check_cluster_updates",
     options("--node", "https://admin:%s@tg1:9740/v1/status" % SECRETS[3], "-t", "1"),
     "carries a user or password"),
    # --token-file
    ("token_fifo", "1", "check_versions", url_option(token="fifo"), "is a FIFO"),
    ("token_dir", "1", "check_versions", url_option(token="dir"), "is a directory"),
    ("token_missing", "6", "check_versions", url_option(token="missing"),
     "--token-file %s does not exist"),
    ("token_huge", "2", "check_versions", url_option(token="huge"),
     "more than the 4096 allowed"),
    ("token_non_ascii", "4", "check_versions",
     url_option(token=("t\u00f6ken-%s" % TOKEN_SECRET).encode("utf-8")), "is not ASCII text"),
    ("token_latin1", "4", "check_versions",
     url_option(token=("t\xf6ken-%s" % TOKEN_SECRET).encode("latin-1")), "is not ASCII text"),
    ("token_two_lines", "4", "check_versions", url_option(token="%s\nsecond\n" % TOKEN_SECRET),
     "must hold one token on one line"),
    ("token_empty", "6", "check_versions", url_option(token="\n"),
     "must hold one token on one line"),
    ("token_control", "4", "check_versions", url_option(token="%s\x07\n" % TOKEN_SECRET),
     "must hold one token on one line"),
    # --ca-file
    ("ca_fifo", "1", "check_versions", url_option(ca="fifo"), "is a FIFO"),
    ("ca_dir", "1", "check_versions", url_option(ca="dir"), "is a directory"),
    ("ca_missing", "6", "check_versions", url_option(ca="missing"), "does not exist"),
    ("ca_not_pem", "6", "check_versions", url_option(ca="%s not a certificate\n" % CA_SECRET),
     "holds no PEM certificate"),
    ("ca_huge", "2", "check_versions", url_option(ca="huge"), "more than the 1048576 allowed"),
    # values on the command line
    ("t_zero", "6", "check_versions", options("-t", "0"),
     "must be more than 0 and at most 3600 seconds"),
    ("t_negative", "6", "check_versions", options("-t", "-1"), "must be more than 0 and at most 3600"),
    ("t_nan", "6", "check_versions", options("-t", "nan"), "must be more than 0 and at most 3600"),
    ("t_inf", "6", "check_versions", options("-t", "inf"), "must be more than 0 and at most 3600"),
    ("t_huge", "2", "check_versions", options("-t", "1e999"), "must be more than 0 and at most 3600"),
    ("max_age_400_digits", "2", "check_versions", options("--max-age", "1" * 400),
     "is not a duration"),
    ("max_age_too_long", "2", "check_versions", options("--max-age", "100000d"),
     "more than 3650d"),
    ("critical_age_400_digits", "2", "check_reboot_required",
     options("--critical-age", "9" * 400), "is not a duration"),
    ("duration_words", "6", "check_versions", options("--max-age", "a while"),
     "is not a duration"),
    ("range_huge", "2", "check_hotfixes", options("-w", "9" * 400),
     "numbers must lie within"),
    ("range_float_overflow", "2", "check_hotfixes", options("-c", "1e400"),
     "is not a Nagios range"),
    ("range_garbage", "6", "check_hotfixes", options("-w", "@:x:"), "is not a Nagios range"),
    ("severity_bad", "6", "check_versions", options("--warn-flag-severity", "panic"),
     "is not a state"),
    ("unknown_option", "6", "check_versions", options("--frobnicate"),
     "unrecognized arguments: --frobnicate"),
    ("url_and_dir", "6", "check_versions", options("--url", "http://x/", "--state-dir", "/x"),
     "not allowed with"),
    ("url_password", "4", "check_versions",
     options("--url", "https://admin:%s@tg1:9740/v1/status" % SECRETS[3]),
     "https://***@tg1:9740/v1/status carries a user or password"),
    ("url_ftp", "6", "check_versions", options("--url", "ftp://tg1/v1/status"),
     "needs http:// or https:// and a host"),
    ("url_no_host", "6", "check_versions", options("--url", "http:///v1/status"),
     "needs http:// or https:// and a host"),
    ("url_bad_port", "6", "check_versions", options("--url", "http://tg1:99999/v1/status"),
     "bad URL"),
    ("url_spaces", "6", "check_versions", options("--url", "http://tg1/v1 status"),
     "not printable ASCII"),
    ("url_control", "6", "check_versions", options("--url", "http://tg1/\x1b[2J"),
     "not printable ASCII"),
    ("url_5000_chars", "2", "check_versions", options("--url", "http://tg1/" + "a" * 5000),
     "longer than 2048 characters"),
    ("url_unbalanced", "6", "check_versions", options("--url", "http://[::1/v1/status"),
     "bad URL"),
    # credentials percent-encoded into the host: no '@', but a secret all the same
    ("url_percent_encoded_credentials", "4", "check_versions",
     options("--url", "https://admin%%3A%s%%40tg1:9740/v1/status" % SECRETS[3]),
     "bad URL (no plain host, not shown): its host is no plain name or IP address"),
    ("url_underscore_host", "6", "check_versions",
     options("--url", "http://tg_1:9740/v1/status"),
     "bad URL (no plain host, not shown): its host is no plain name or IP address"),
    ("url_ipv6_zone_accepted", "6", "check_versions",
     options("--url", "http://[fe80::1%25lo]:1/v1/status", "-t", "1"), "[fe80::1%25lo]:1"),
    ("url_secret_after_a_tab", "4", "check_versions",
     options("--url", "https://tg1\t%s/v1/status" % SECRETS[3]),
     "bad URL (not printable ASCII, not shown)"),
    ("url_secret_as_the_path_without_host", "4", "check_versions",
     options("--url", "https:///admin:%s" % SECRETS[3]),
     "bad URL (no plain host, not shown)"),
    ("cache_ttl_bad", "6", "check_versions", options("--cache-ttl", "-5"),
     "must be between 0 and 3600"),
]


@pytest.mark.parametrize("name, classes, plugin, setup, cause", CASES,
                         ids=[c[0] for c in CASES])
def test_bad_option_is_unknown_with_its_cause(short_tmp, name, classes, plugin, setup, cause):
    stack = []
    try:
        argv = setup(short_tmp, stack)
        if "%s" in cause:
            cause = cause % [a for a in argv if a.startswith(str(short_tmp))][-1]
        run = run_plugin(plugin, ["-t", str(TIMEOUT)] + argv)
    finally:
        for cleanup in stack:
            cleanup()
    names = {"check_versions": "VERSIONS", "check_cluster_updates": "CLUSTER",
             "check_reboot_required": "REBOOT", "check_hotfixes": "HOTFIXES"}
    assert_unknown_line(run, names[plugin], cause, TIMEOUT)


# ------------------------------------------------------------------ config that works
SHARED = """\
state_dir: %(dir)s
max_age: 1h
warning_age: 3d              # check_versions and check_hotfixes both have it
check_hotfixes:
  warning: 2                 # a section wins over the common part
check_cluster_updates:
  node: [%(dir)s]
"""


def test_one_shared_config_serves_every_plugin(tmp_path):
    from tgmon.state import examples
    from tgmon.checks.registry import all_checks
    from tgmon.state.model import Hotfix
    from .common import now
    state = examples.build("healthy-cluster-node", now())
    state = state._replace(hotfixes=state.hotfixes._replace(available=(
        Hotfix("HF-1", "fix", now() - examples.DAY),)))
    path = state_dir(tmp_path, state=state)
    conf = write(tmp_path / "tgmon.yml", SHARED % {"dir": path})
    codes = {}
    for definition in all_checks():
        run = run_plugin(definition.prog, ["-t", str(TIMEOUT), "--config", conf])
        assert_clean(run, TIMEOUT)
        codes[definition.prog] = run.code
    # one pending hotfix: -w 2 from the section tolerates it, in check_tightgate too
    assert codes == {d.prog: 0 for d in all_checks()}, codes
    run = run_plugin("check_hotfixes", ["--config", conf, "-w", "0"])
    assert run.code == 1   # the command line wins over the file


def test_tightgate_takes_each_aspects_section(tmp_path):
    from tgmon.state import examples
    path = state_dir(tmp_path, "reboot-required-single")
    strict = write(tmp_path / "strict.yml", "state_dir: %s\ncheck_reboot_required:\n  "
                   "critical_age: 1h\n" % path)
    run = run_plugin("check_tightgate", ["--config", strict])
    assert run.code == 2 and "REBOOT: reboot required for" in run.lines[0], run
    relaxed = write(tmp_path / "relaxed.yml", "state_dir: %s\ncheck_tightgate:\n  "
                    "reboot_required_reboot_required_severity: ok\n" % path)
    run = run_plugin("check_tightgate", ["--config", relaxed])
    assert run.code == 0, run
    assert examples   # the example states are what the dirs hold


def test_config_timeout_applies_from_then_on(tmp_path):
    conf = write(tmp_path / "tgmon.yml", "timeout: 1\n")
    hole = tmp_path / "hole"
    os.mkfifo(hole)
    # the state file is a FIFO: refused at once, not waited for, whatever -t says
    path = state_dir(tmp_path)
    os.unlink(path / "status.json")
    os.mkfifo(path / "status.json")
    run = run_plugin("check_versions", ["--config", conf, "--state-dir", str(path)])
    assert_unknown_line(run, "VERSIONS", "is a FIFO", 1)


def count_by_class():
    counts = {}
    for case in CASES:
        for digit in case[1]:
            counts[digit] = counts.get(digit, 0) + 1
    for digit in "88":   # the two config tests that must work
        counts[digit] = counts.get(digit, 0) + 1
    return counts

"""Command-line options: the shared ones (one help text each), the types, and
the parser of a plugin built from its declaration.

Every option is data (``Arg``): the parser and ``--config`` (config.py) read
the same records, and a judge gets a ``Settings`` record of its own options,
never the argparse namespace. Every value is validated at parse time so a bad
option is exit 3 with one line, before anything is read.
"""

import argparse
import functools
import os
import sys

from . import __version__
from .errors import UsageError
from .safeio.args import SafeArgumentParser
from .state.layout import DEFAULT_STATE_DIR
from .optiontypes import (cache_seconds, duration, nagios_range, nonempty_path,
                          optional_file, output_format, positive_seconds, runbook_base,
                          severity)
from .render import DEFAULT_FORMAT
from .timeutil import DURATION_HELP
from .checks.definition import dest, severity_dest
from .checks.runbook import DEFAULT_RUNBOOK_URL
from .state.model import record
from .verdict import status_name

DEFAULT_TIMEOUT = 10
DEFAULT_MAX_AGE = "30m"
# Where the rendered docs are served: the package's Apache snippet (tgmon.conf)
# on the monitoring host itself. Set the real host's name: the person paged follows it.

# --help names the installed docs: the Debian package puts them into
# /usr/share/doc/tgmon (its Python's prefix is /usr), the venv route (make
# install PREFIX=...) into PREFIX/share/doc/tgmon (its venv's prefix). A source
# checkout's venv has none: there --help names the package's place, and docs/
# in the tree holds the same files.
PACKAGE_DOCS = "/usr/share/doc/tgmon"


@functools.lru_cache(maxsize=1)
def docs_dir():
    beside = os.path.join(sys.prefix, "share", "doc", "tgmon")
    return beside if os.path.isdir(beside) else PACKAGE_DOCS


def doc_path(*parts):
    """'/usr/share/doc/tgmon/checks/check_versions.rst' for ('checks', 'check_versions.rst')."""
    return os.path.join(docs_dir(), *parts)


SHARED_HELP = {
    "verbose": "more output: -v lists every finding, OK ones too, -vv adds where the "
               "state came from, -vvv adds tracebacks of internal errors",
    "timeout": "give up after this many seconds with UNKNOWN, covering the "
               "whole read and evaluation (default: %d)" % DEFAULT_TIMEOUT,
    "state_dir": "state directory holding status.json and the marker files "
                 "(default: %s)" % DEFAULT_STATE_DIR,
    "config": "YAML file with defaults for any long option and the paths of "
              "the state files (see %s)" % doc_path("configuration.rst"),
    "url": "read the state over HTTP(S) from a tgmon exporter instead of a state dir, "
           "e.g. https://tg1.example.net:9740/v1/status",
    "token_file": "file holding the exporter's bearer token (never give a secret on the "
                  "command line; empty: none)",
    "ca_file": "CA certificate(s) to verify the exporter's TLS certificate with (empty: the "
               "system's CAs)",
    "insecure": "do not verify the exporter's TLS certificate (not recommended)",
    "no_proxy": "ignore the http(s)_proxy environment variables",
    "cache_ttl": "reuse a fetched answer for this many seconds, so the checks of one host "
                 "share one fetch (private per-user cache; default: 0, off)",
    "node": "one cluster node: its state dir or its exporter URL, NAME=SOURCE to name "
            "it (repeatable)",
    "cluster_file": "file listing the cluster's nodes, one per line: [NAME] SOURCE "
                    "[TIMEZONE] (state dir or URL), '#' starts a comment",
    "runbook_url": "base URL of the rendered docs: a problem's long output ends with "
                   "Runbook: URL/checks/<check>.html#<finding> (Icinga 2: the constant "
                   "TgmonDocsUrl; empty: the default; default: %s)" % DEFAULT_RUNBOOK_URL,
    "output_format": "how the result is printed: nagios (text and perfdata), json (one "
                     "document, schema tgmon-result/1: %s) or checkmk-local (Checkmk "
                     "local-check lines: %s); the exit code is the same in every format "
                     "(empty: the default; default: %s)" % (
                         doc_path("output-json.rst"), doc_path("checkmk.rst"), DEFAULT_FORMAT),
    "max_age": "UNKNOWN when status.json was generated longer ago than this: "
               "the writer has stopped (%s; default: %s)"
               % (DURATION_HELP, DEFAULT_MAX_AGE),
}


class HelpOrVersion(Exception):
    """-h / -V: text to print, then exit 3 (the plugin did not check anything)."""


class _HelpFormatter(argparse.HelpFormatter):
    """Wraps between words only: a path (the docs under a long PREFIX) stays whole."""

    def _split_lines(self, text, width):
        import textwrap
        return textwrap.wrap(" ".join(text.split()), width, break_long_words=False,
                             break_on_hyphens=False)

    def _fill_text(self, text, width, indent):
        import textwrap
        return textwrap.fill(" ".join(text.split()), width, initial_indent=indent,
                             subsequent_indent=indent, break_long_words=False,
                             break_on_hyphens=False)


class CommandParser(SafeArgumentParser):
    """A tgmon command's parser: an option error is one UsageError line naming the
    command's --help, whatever prints it."""

    def usage_error(self, message):
        raise UsageError("bad option: %s" % message,
                         "see %s --help" % self.prog)


class PluginArgumentParser(CommandParser):
    def __init__(self, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(**kwargs)

    def exit(self, status=0, message=None):
        raise HelpOrVersion(message or "")

    def print_help(self, file=None):
        raise HelpOrVersion(self.format_help())

    def _print_message(self, message, file=None):
        raise HelpOrVersion(message)


# ----------------------------------------------------------------- options as data
# One option as the parser and --config see it. form: value | flag (store_true) |
# count (-v) | list (repeatable); exclusive: options sharing it exclude each other.
Arg = record("Arg", "flags dest form type default metavar help exclusive")


def arg(*flags, form="value", type=None, default=None, metavar=None, help="", dest=None,
        exclusive=None):
    """An ``Arg``; its dest is the long flag's name, as argparse would make it."""
    long_flag = max(flags, key=len)
    return Arg(flags, dest or long_flag[2:].replace("-", "_"), form, type, default, metavar,
               help, exclusive)


def add_args(container, args):
    """Add ``args`` to an argparse parser or argument group."""
    exclusive = {}
    for option in args:
        target = container
        if option.exclusive:
            if option.exclusive not in exclusive:
                exclusive[option.exclusive] = container.add_mutually_exclusive_group()
            target = exclusive[option.exclusive]
        kwargs = {"dest": option.dest, "default": option.default, "help": option.help}
        if option.form == "flag":
            kwargs["action"] = "store_true"
        elif option.form == "count":
            kwargs["action"] = "count"
        else:
            kwargs.update(type=option.type, metavar=option.metavar)
            if option.form == "list":
                kwargs["action"] = "append"
        target.add_argument(*option.flags, **kwargs)


def given_dests(build_parser, argv):
    """The dests ``argv`` sets, by public argparse only: the parser once more with every
    default None, so what is not None was given. An empty file option (a Nagios macro
    without a value) parses as None: not given, so --config's value applies."""
    parser = build_parser()
    parser.set_defaults(**dict.fromkeys(vars(parser.parse_args([])), None))
    return {name for name, value in vars(parser.parse_args(argv)).items() if value is not None}


HTTP_ARGS = (
    arg("--token-file", metavar="FILE", type=optional_file, help=SHARED_HELP["token_file"]),
    arg("--ca-file", metavar="FILE", type=optional_file, help=SHARED_HELP["ca_file"]),
    arg("--insecure", form="flag", default=False, help=SHARED_HELP["insecure"]),
    arg("--no-proxy", form="flag", default=False, help=SHARED_HELP["no_proxy"]),
)
COMMON_ARGS = (
    arg("-v", "--verbose", form="count", default=0, help=SHARED_HELP["verbose"]),
    arg("-t", "--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
        help=SHARED_HELP["timeout"]),
    arg("--config", metavar="FILE", type=optional_file, help=SHARED_HELP["config"]),
    arg("--max-age", type=duration, default=DEFAULT_MAX_AGE, metavar="DURATION",
        help=SHARED_HELP["max_age"]),
    arg("--runbook-url", metavar="URL", type=runbook_base, default=DEFAULT_RUNBOOK_URL,
        help=SHARED_HELP["runbook_url"]),
    # None: not given, so --config's value (else the default) applies
    arg("--output-format", metavar="FORMAT", type=output_format, default=None,
        help=SHARED_HELP["output_format"]),
)
# Where a single-node check reads its state: a state dir or an exporter URL.
STATE_SOURCE_ARGS = (
    arg("--state-dir", metavar="DIR", default=DEFAULT_STATE_DIR, type=nonempty_path,
        help=SHARED_HELP["state_dir"], exclusive="source"),
    arg("--url", metavar="URL", help=SHARED_HELP["url"], exclusive="source"),
) + HTTP_ARGS + (
    arg("--cache-ttl", type=cache_seconds, default=0, metavar="SECONDS",
        help=SHARED_HELP["cache_ttl"]),
)
# Where the cluster check (and tgmon downtimes sync) reads its nodes.
CLUSTER_SOURCE_ARGS = (
    arg("--node", form="list", metavar="DIR|URL", help=SHARED_HELP["node"]),
    arg("--cluster-file", metavar="FILE", type=optional_file, help=SHARED_HELP["cluster_file"]),
) + HTTP_ARGS

# A declared option's kind: its type, its metavar, and its help after the check's words.
KINDS = {
    "age": (duration, "DURATION", "%%s longer than this (%s; default: %%s)" % DURATION_HELP),
    "duration": (duration, "DURATION", "%%s (%s; default: %%s)" % DURATION_HELP),
    "range": (nagios_range, "RANGE", "%s (default: %s)"),
}


def own_args(definition):
    """A check's own options: the declared ones, then one --<condition>-severity per
    discrete condition; the all-in-one check's are its aspects', under their prefix."""
    args = []
    for option in definition.options:
        kind_type, metavar, help_form = KINDS[option.kind]
        args.append(arg(*filter(None, (option.short, option.flag)), type=kind_type,
                        default=option.default, metavar=metavar,
                        help=help_form % (option.help, option.default or "none")))
    for condition in definition.conditions:
        args.append(arg("--%s-severity" % condition.name, dest=severity_dest(condition),
                        type=severity, default=condition.default, metavar="STATE",
                        help="state when %s: ok|warning|critical|unknown (default: %s)"
                             % (condition.when, status_name(condition.default).lower())))
    for aspect in definition.aspects:
        prefix = aspect_prefix(aspect)
        args.extend(option._replace(flags=("--%s-%s" % (prefix, max(option.flags, key=len)[2:]),),
                                    dest=dest(prefix) + "_" + option.dest)
                    for option in own_args(aspect))
    return args


def common_args(definition):
    """The options every plugin has, and where this one reads."""
    return COMMON_ARGS + (CLUSTER_SOURCE_ARGS if definition.scope == "cluster"
                          else STATE_SOURCE_ARGS)


def plugin_args(definition):
    """{dest: Arg} of every option of a plugin but -h and -V: what --config may set."""
    return {option.dest: option for option in common_args(definition) + tuple(own_args(definition))}


def aspect_prefix(definition):
    """'hotfixes', 'reboot-required': the prefix of an aspect's options in check_tightgate."""
    return definition.short_name.replace("_", "-")


def epilog(definition):
    """The --help's last words: the exit codes and where the installed page is."""
    return ("Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for -h, -V and bad "
            "options). Docs: %s" % doc_path("checks", definition.prog + ".rst"))


def build_parser(definition):
    """The plugin's command line, from its declaration."""
    parser = PluginArgumentParser(prog=definition.prog, description=definition.description,
                                  epilog=epilog(definition), add_help=False)
    common = parser.add_argument_group("common options")
    common.add_argument("-h", "--help", action="help",
                        help="show this help and exit (exit code 3)")
    common.add_argument("-V", "--version", action="version",
                        version="%s (tgmon) %s" % (definition.prog, __version__),
                        help="show the version and exit (exit code 3)")
    add_args(common, common_args(definition))
    add_args(parser.add_argument_group("%s options" % definition.prog), own_args(definition))
    return parser


def parse_command_line(definition, argv):
    """The options as given (no file is read yet); UsageError or HelpOrVersion."""
    opts = build_parser(definition).parse_args(argv)
    opts.files = {}     # the state files' paths: --config may map them
    return opts


def settings_of(definition, values):
    """The judge's ``Settings`` record from the parsed options ({dest: value})."""
    if definition.aspects:
        return definition.Settings(**{
            aspect.short_name: settings_of(aspect, _unprefixed(values, aspect))
            for aspect in definition.aspects})
    return definition.Settings(**{name: values[name] for name in definition.Settings._fields})


def default_settings(definition):
    """The settings as if given nothing (the simulator's timeline, the docs' tests)."""
    return settings_of(definition, vars(build_parser(definition).parse_args([])))


def _unprefixed(values, aspect):
    head = dest(aspect_prefix(aspect)) + "_"
    return {name[len(head):]: value for name, value in values.items() if name.startswith(head)}


def http_settings(opts):
    """The HTTP reader's settings from the options (and the deadline run() set)."""
    from .sources import HttpSettings
    return HttpSettings(opts.token_file, opts.ca_file, opts.insecure, opts.no_proxy,
                        getattr(opts, "cache_ttl", 0), getattr(opts, "deadline", None),
                        opts.timeout)


def single_source(opts):
    """Where a single-node check reads: the state dir (and --config's files) or --url."""
    from .sources import SingleSource
    return SingleSource(opts.state_dir, opts.url, getattr(opts, "files", {}), opts.max_age,
                        http_settings(opts))

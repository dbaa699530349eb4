"""tgmon downtimes sync: the command line (its options: options.py), the output, the exit code.

Exit 0: every node read and synced in every core (and nothing on stderr).
1: something was skipped, each with one line on stderr - a node not read, a
node whose configured name its state does not bear, a plan that cannot be a
downtime, a host a core lacks, an object name no command can carry, a
downtime the core refused - and the rest synced. 2: a usage error, a core
that cannot be used (access, API, its pipe), or -t ran out. Every line is
one line of safe text, whatever the nodes, files and cores held. The run
prints one line per change and a summary; --dry-run prints the same plan and
changes nothing. -t covers everything: the nodes, DNS, TLS, the API.
"""

import sys
import time

from ..safeio import bounded
from ..errors import TgmonError, UsageError
from ..options import given_dests
from ..safeio.text import sanitize
from ..safeio.stdio import say_stderr, write_stdout
from ..timeutil import utcnow
from .options import SECTION, build_parser
from .sync import sync, words

MARGIN = 0.5


def parse(argv):
    opts = build_parser().parse_args(argv)
    if opts.config:
        from ..config import apply_config
        from ..runtime.configure import catalogue
        apply_config(opts.config, catalogue(), SECTION, opts, given_dests(build_parser, argv))
    if not (opts.icinga_url or opts.nagios_command_file or opts.alertmanager_url):
        raise UsageError("no monitoring core given",
                         "give --icinga-url (with --icinga-user, --icinga-password-file), "
                         "--nagios-command-file with --nagios-status-file, and/or "
                         "--alertmanager-url")
    return opts


# ----------------------------------------------------------------- the run
class Report:
    """What the run prints: changes to stdout, what was skipped and what failed to
    stderr, then a summary; every line sanitised (it holds names from nodes, files
    and cores). The exit code follows from what was said, not from whether anybody
    read it: the process's own streams go through safeio.stdio, so a closed stdout
    or a reader gone never stops a sync halfway. ``out``, ``err``: other streams
    to write to instead (a test's)."""

    def __init__(self, out=None, err=None):
        self.out, self.err = out, err
        self.errors = 0      # exit 2
        self.skipped = 0     # exit 1

    def line(self, text):
        line = sanitize(text)
        if self.out is None:
            write_stdout(line + "\n")
        else:
            self.out.write(line + "\n")

    def skip(self, text):
        self.skipped += 1
        self._say(text)

    def problem(self, text):
        self.errors += 1
        self._say(text)

    def _say(self, text):
        line = sanitize("tgmon downtimes: " + text)
        if self.err is None:
            say_stderr(line)
        else:
            self.err.write(line + "\n")

    def code(self):
        return 2 if self.errors else 1 if self.skipped else 0


def main(argv=None, out=None, err=None):
    report = Report(out, err)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "sync":
        if argv and argv[0] in ("-h", "--help"):
            report.line("usage: tgmon downtimes sync [options]   (tgmon downtimes sync --help)")
            return 0
        report.problem("usage: tgmon downtimes sync [options] - see tgmon downtimes sync --help")
        return 2
    started = time.monotonic()
    try:
        opts = parse(argv[1:])
    except TgmonError as exc:
        report.problem(words(exc))
        return 2
    deadline = started + opts.timeout
    opts.deadline = deadline - MARGIN
    try:
        return bounded.call(lambda: sync(opts, report, utcnow()), deadline - MARGIN / 2)
    except bounded.Overdue:
        report.problem("did not finish within -t %g s - check the nodes and the cores' "
                       "reachability, or raise -t" % opts.timeout)
        return 2
    except TgmonError as exc:
        report.problem(words(exc))
        return 2
    except Exception as exc:     # unforeseen: one line all the same, never a traceback
        report.problem("stopped by an internal %s, nothing more changed - please report it"
                       % type(exc).__name__)
        return 2

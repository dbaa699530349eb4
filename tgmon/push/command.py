"""tgmon push: the command line (its options: options.py), the cores, the rounds.

--once: one round; exit 0 every node read and every result sent, 1 something
skipped or refused (a line each on stderr), 2 a usage error or a core that
failed. As a daemon: a round every --round seconds until SIGTERM or SIGINT,
which stop it within a second (the rounds run in a worker thread the main
thread does not wait for); SIGHUP makes the next round read the secrets (the
ApiUser's password file, send_nsca's config) and list the services afresh,
never stopping it; one summary line per round on stdout, problems on
stderr - every line one line of safe text, never a secret.
"""

import signal
import sys
import threading
import time

from ..errors import TgmonError, UsageError
from ..options import given_dests, http_settings
from ..safeio.stdio import say_stderr, write_stdout
from ..safeio.text import sanitize
from .options import SECTION, build_parser

TICK = 0.1


class Report:
    """Lines out: summaries and what was sent to stdout, problems and skips to stderr."""

    def __init__(self, out=None, err=None):
        self.out, self.err = out, err
        self.skipped = self.errors = 0

    def line(self, text):
        self._write(self.out, sanitize(text), write_stdout)

    def skip(self, text):
        self.skipped += 1
        self._write(self.err, sanitize("tgmon push: " + text), None)

    def problem(self, text):
        self.errors += 1
        self._write(self.err, sanitize("tgmon push: " + text), None)

    @staticmethod
    def _write(stream, line, fallback):
        if stream is not None:
            stream.write(line + "\n")
            stream.flush()
        elif fallback is not None:
            fallback(line + "\n")
        else:
            say_stderr(line)


def parse(argv):
    opts = build_parser().parse_args(argv)
    # what the pusher was told itself (its command line, its section of --config)
    opts.given = given_dests(build_parser, argv)
    if opts.config:
        from ..config import ConfigFile, apply_config
        from ..runtime.configure import catalogue
        apply_config(opts.config, catalogue(), SECTION, opts, opts.given)
        opts.given |= set(ConfigFile(opts.config, catalogue()).section(SECTION))
    if not (opts.icinga_url or opts.nagios_command_file or opts.nsca_config):
        raise UsageError("no monitoring core given",
                         "give --icinga-url (with --icinga-user, --icinga-password-file), "
                         "--nagios-command-file with --nagios-status-file, and/or "
                         "--nsca-config")
    return opts


def make_targets(opts, report, check_source):
    from . import targets
    made = []
    if opts.icinga_url:
        from ..cores.icinga_client import IcingaSettings
        from ..cores.icinga_results import IcingaResults
        settings = IcingaSettings(opts.icinga_url, opts.icinga_user, opts.icinga_password_file,
                                  opts.icinga_ca_file, opts.icinga_insecure, http_settings(opts))
        made.append(targets.IcingaTarget(lambda: IcingaResults(
            settings, lambda text: report.skip("Icinga 2: " + text)), check_source))
    if opts.nagios_command_file:
        made.append(targets.NagiosPipeTarget(opts.nagios_command_file, opts.nagios_status_file,
                                             opts.timeout))
    if opts.nsca_config:
        made.append(targets.NscaTarget(opts.nsca_config, opts.timeout, opts.nsca_all_in_one,
                                       opts.cluster_host))
    return made


def main(argv=None, out=None, err=None):
    report = Report(out, err)
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        opts = parse(argv)
        from .daemon import Pusher
        pusher = Pusher(opts, report)
        pusher.use(make_targets(opts, report, pusher.check_source))
    except TgmonError as exc:
        report.problem("%s - %s" % (exc.cause, exc.fix) if exc.fix else exc.cause)
        return 2
    if opts.once:
        return once(pusher, report)
    return serve(pusher, opts, report)


def once(pusher, report):
    try:
        skipped, failed = pusher.round()
    except TgmonError as exc:
        report.problem("%s - %s" % (exc.cause, exc.fix) if exc.fix else exc.cause)
        return 2
    return 2 if failed or report.errors else 1 if skipped or report.skipped else 0


class _Stop:
    """Set by SIGTERM/SIGINT (signal) and SIGHUP (reload): plain flags (a handler runs
    between two bytecodes; the rounds' thread acts on them)."""
    signal = None
    reload = False


def serve(pusher, opts, report):
    stop = _Stop()

    def handler(signum, frame):
        stop.signal = signum

    def reload(signum, frame):
        stop.reload = True
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)
    signal.signal(signal.SIGHUP, reload)
    worker = threading.Thread(target=_rounds, args=(pusher, opts, report, stop), daemon=True,
                              name="tgmon-push-rounds")
    worker.start()
    while stop.signal is None and worker.is_alive():
        time.sleep(TICK)
    if stop.signal is None:
        return 2          # the rounds stopped on their own: said on stderr
    report.line("tgmon push: stopped by %s after %d rounds, %d results not sent"
                % (signal.Signals(stop.signal).name, pusher.rounds, pusher.waiting_count()))
    return 0


def _rounds(pusher, opts, report, stop):
    next_round = time.monotonic()
    while stop.signal is None:
        try:
            if stop.reload:
                stop.reload = False
                pusher.reload()
            pusher.round()
        except TgmonError as exc:
            report.problem("%s - %s" % (exc.cause, exc.fix) if exc.fix else exc.cause)
        except Exception as exc:    # unforeseen: said, and the next round tries again
            report.problem("a round stopped by an internal %s - please report it"
                           % type(exc).__name__)
        next_round += opts.round
        now = time.monotonic()
        if next_round < now:      # a round longer than --round: the next one starts now
            next_round = now
        while stop.signal is None and time.monotonic() < next_round:
            if time.monotonic() >= pusher.next_retry():
                pusher.retry()
            time.sleep(TICK)

"""Nagios: what exists comes from status.dat, changes go to the external
command file (the pipe Nagios reads with check_external_commands=1).

Nagios applies the commands on its own time and writes status.dat every
status_update_interval seconds, so after sending them the sync waits, within
-t, until status.dat shows them: a second sync right after the first then
sees what the first did and changes nothing.

Nagios mutes every service notification of a host while the host is in a
downtime (Icinga 2 does not). A host downtime would so silence an update
lock inside the window; host downtimes are therefore only scheduled on
request (--nagios-host-downtime) - see docs/downtimes.rst.
"""

import errno
import os
import stat
import time

from ..errors import TgmonError, UsageError
from ..model import record
from ..safefile import FileProblem, check_regular
from .wanted import Downtime, Found

MAX_STATUS_LINE = 65536
POLL = 0.25

NagiosSettings = record("NagiosSettings", "command_file status_file host_downtime deadline")


class NagiosError(TgmonError):
    """Nagios' files cannot be used: the sync stops for this core."""


class NagiosCore:
    name = "Nagios"
    separator = "/"

    def __init__(self, settings):
        if not settings.status_file:
            raise UsageError("--nagios-command-file needs --nagios-status-file",
                             "give Nagios' status.dat (status_file in nagios.cfg)")
        self.settings = settings
        self.host_downtime = settings.host_downtime
        self._check_pipe()
        self.pending = []

    # ------------------------------------------------------------ queries
    def hosts(self, names):
        return {b["host_name"] for b in self._blocks({"hoststatus"}) if b.get("host_name") in names}

    def services(self, hosts, commands):
        services = {}
        for block in self._blocks({"servicestatus"}):
            host = block.get("host_name")
            command = block.get("check_command", "").split("!", 1)[0]
            if host in hosts and command in commands and block.get("service_description"):
                services.setdefault(host, []).append(block["service_description"])
        return {host: sorted(names) for host, names in services.items()}

    def downtimes(self, author, hosts):
        found = []
        for block in self._blocks({"hostdowntime", "servicedowntime"}):
            if block.get("author") != author or block.get("host_name") not in hosts:
                continue
            try:
                downtime = Downtime(block["host_name"], block.get("service_description"),
                                    int(block["start_time"]), int(block["end_time"]),
                                    block.get("comment", ""))
                ident = (block["_kind"], int(block["downtime_id"]))
            except (KeyError, ValueError):
                raise NagiosError("status file %s has a downtime without its fields"
                                  % self.settings.status_file,
                                  "point --nagios-status-file at Nagios' status.dat") from None
            found.append(Found(downtime, ident))
        return found

    # ------------------------------------------------------------ actions
    def schedule(self, downtime, author):
        fields = [downtime.host] + ([downtime.service] if downtime.service else [])
        command = "SCHEDULE_SVC_DOWNTIME" if downtime.service else "SCHEDULE_HOST_DOWNTIME"
        # fixed (1), not triggered (0), the duration, who and why
        self.pending.append(";".join([command] + fields + [
            str(downtime.start), str(downtime.end), "1", "0",
            str(downtime.end - downtime.start), author, downtime.comment]))

    def remove(self, found):
        kind, number = found.ident
        command = "DEL_SVC_DOWNTIME" if kind == "servicedowntime" else "DEL_HOST_DOWNTIME"
        self.pending.append("%s;%d" % (command, number))

    def finish(self, expected_adds, expected_removes):
        """Send the commands, then wait (within -t) until status.dat shows them."""
        if not self.pending:
            return
        self._send(self.pending)
        self.pending = []
        hosts = {d.host for d in expected_adds} | {f.downtime.host for f in expected_removes}
        while True:
            present = self._present(hosts)
            if (all(d in present for d in expected_adds)
                    and not any(f.ident in present.get("_ids", ()) for f in expected_removes)):
                return
            if time.monotonic() > self.settings.deadline:
                raise NagiosError(
                    "Nagios did not apply the downtime commands within -t (status file %s "
                    "unchanged)" % self.settings.status_file,
                    "check that Nagios runs with check_external_commands=1 and reads %s"
                    % self.settings.command_file)
            time.sleep(POLL)

    # ------------------------------------------------------------ files
    def _check_pipe(self):
        path = self.settings.command_file
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise UsageError("--nagios-command-file %s does not exist" % path,
                             "Nagios creates it when it runs with check_external_commands=1 "
                             "(command_file in nagios.cfg)") from None
        except OSError as exc:
            raise UsageError("--nagios-command-file %s cannot be used: %s"
                             % (path, (exc.strerror or "").lower()),
                             "let this user write to it (group nagios)") from None
        if not stat.S_ISFIFO(mode):
            raise UsageError("--nagios-command-file %s is not a pipe" % path,
                             "give Nagios' command_file (e.g. /var/lib/nagios4/rw/nagios.cmd)")

    def _send(self, commands):
        now = int(time.time())
        try:
            fd = os.open(self.settings.command_file, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                raise NagiosError("Nagios does not read its command file %s"
                                  % self.settings.command_file,
                                  "start Nagios (check_external_commands=1)") from None
            raise NagiosError("cannot write to %s: %s" % (self.settings.command_file,
                                                          (exc.strerror or "").lower()),
                              "let this user write to it (group nagios)") from None
        try:
            for command in commands:
                # one write per command: up to PIPE_BUF bytes a write is never interleaved
                line = ("[%d] %s\n" % (now, command)).encode("utf-8")
                self._write_all(fd, line)
        finally:
            os.close(fd)

    def _write_all(self, fd, data):
        while data:
            try:
                written = os.write(fd, data)
            except BlockingIOError:
                if time.monotonic() > self.settings.deadline:
                    raise NagiosError("Nagios' command pipe stayed full until -t",
                                      "check that Nagios processes its commands") from None
                time.sleep(0.05)
                continue
            except BrokenPipeError:
                raise NagiosError("Nagios closed its command file while tgmon wrote to it",
                                  "check that Nagios runs") from None
            data = data[written:]

    def _present(self, hosts):
        present = {"_ids": set()}
        for block in self._blocks({"hostdowntime", "servicedowntime"}):
            if block.get("host_name") not in hosts:
                continue
            try:
                present[Downtime(block["host_name"], block.get("service_description"),
                                 int(block["start_time"]), int(block["end_time"]),
                                 block.get("comment", ""))] = True
                present["_ids"].add((block["_kind"], int(block["downtime_id"])))
            except (KeyError, ValueError):
                continue
        return present

    def _blocks(self, kinds):
        """The status.dat blocks of these kinds, as dicts (read line by line: the file
        of a large installation is big, only these blocks are kept)."""
        path = self.settings.status_file
        try:
            check_regular(path)
            handle = open(path, "rb")
        except FileProblem as exc:
            raise UsageError("--nagios-status-file %s %s" % (path, exc.words),
                             "give Nagios' status.dat (status_file in nagios.cfg)") from None
        except OSError as exc:
            raise UsageError("--nagios-status-file %s cannot be read: %s"
                             % (path, (exc.strerror or "").lower()),
                             "let this user read it") from None
        blocks, current = [], None
        with handle:
            for raw in _lines(handle):
                line = raw.strip()
                if current is None:
                    if line.endswith("{"):
                        kind = line[:-1].strip()
                        current = {"_kind": kind} if kind in kinds else False
                    continue
                if line == "}":
                    if current:
                        blocks.append(current)
                    current = None
                elif current is not False and "=" in line:
                    key, _, value = line.partition("=")
                    current[key] = value
        return blocks


def _lines(handle):
    """Lines of at most MAX_STATUS_LINE bytes, decoded (a longer one is cut)."""
    while True:
        raw = handle.readline(MAX_STATUS_LINE)
        if not raw:
            return
        if not raw.endswith(b"\n") and len(raw) == MAX_STATUS_LINE:
            while True:
                rest = handle.readline(MAX_STATUS_LINE)
                if not rest or rest.endswith(b"\n"):
                    break
        yield raw.decode("utf-8", "replace")

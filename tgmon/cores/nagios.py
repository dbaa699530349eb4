"""Nagios: changes go to the external command file (the pipe Nagios reads with
check_external_commands=1), what exists comes from status.dat.

One encoder writes every command: a name (host, service, author) that holds
';' (Nagios' field separator), a line break of any kind, NUL or another
control character is refused, so no field can shift and no second command
can follow; free text (a comment) is cleaned to one such line instead. A
passive check result's output (``check_result``, for the command pipe and
NSCA-ng alike) keeps its ';' and '|' (perfdata), its lines joined by the
``\n`` Nagios unescapes, each line cleaned, cut to what a pipe writes at once. The
pipe is checked at the moment of writing, on the descriptor that is written
to: not a symlink (O_NOFOLLOW), opened without blocking, and fstat must say it
is the FIFO that lstat saw, the one there when the run began - a file or
another pipe put in its place meanwhile gets nothing.

Nagios applies the commands on its own time and writes status.dat every
status_update_interval seconds, so after sending them the sync waits, within
-t, until status.dat shows them: a second sync right after the first then
sees what the first did and changes nothing. A command Nagios ignores (its
object went with a reload) is named as not applied; the others count.

status.dat is read as Nagios writes it: a tab of indentation, then key=value
as the object has it (a value's own spaces are part of it), in the bytes of
the Nagios configuration. A name that is not UTF-8 cannot be written back
as Nagios spells it, so its object is skipped, named; a block that lost its
closing '}' is dropped, never merged into the next one.

Nagios mutes every service notification of a host while the host is in a
downtime (Icinga 2 does not): host downtimes are only scheduled on request
(``host_downtime``).
"""

import errno
import os
import re
import stat
import time

from ..errors import UsageError
from ..state.model import record
from ..render.nagios import NOTIFICATION_SAFE
from ..safeio.text import sanitize
from ..safeio.files import file_type
from . import MAX_NAME, CoreError, Downtime, Found, Refused, owned, unsafe_character

PIPE_BUF = 4096            # POSIX: a write up to this size is never interleaved
MAX_TEXT = 512             # a comment, cut
MAX_STATUS = 1 << 30       # status.dat of a very large installation
MAX_STATUS_LINE = 65536
MAX_BLOCK_FIELDS = 512
POLL = 0.25
_COMMAND = re.compile(r"^[A-Z][A-Z_]{1,63}$")
_WRITE = os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NOCTTY
_READ = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
FIX_NAME = "rename it in the Nagios configuration (no ';', line breaks or controls)"
FIX_BYTES = "save the Nagios configuration as UTF-8 (Nagios writes its names as they are)"

NagiosSettings = record("NagiosSettings", "command_file status_file host_downtime deadline")


# ----------------------------------------------------------------- the encoder
def check_name(value, what, of=None):
    """``value`` if it can be a field of a command; Refused naming it (sanitised) if not."""
    why = ("is empty" if not value else "is longer than %d characters" % MAX_NAME
           if len(value) > MAX_NAME else None)
    bad = unsafe_character(value, ";")
    if why or bad:
        raise Refused("%s %s%s %s" % (what, sanitize(value)[:80] or "''",
                                      " of %s" % sanitize(of)[:80] if of else "",
                                      why or "holds " + bad),
                      FIX_BYTES if bad and "not UTF-8" in bad else FIX_NAME)
    return value


def clean_text(text, limit=MAX_TEXT):
    """Free text as a command's last field: one printable line without ';' or the
    characters Nagios strips from macros."""
    text = sanitize(text).translate(NOTIFICATION_SAFE)
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def encode(command, fields, text=None, now=None, output=None):
    """One command line, ``[now] COMMAND;field;...;text``: every name checked, every
    number an integer, the free text (if any) cleaned and last - or a plugin's
    ``output``, already made one line by ``passive_output``."""
    if not _COMMAND.match(command):
        raise ValueError("not an external command: %r" % (command,))
    parts = [command]
    for value in fields:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise TypeError("a command field is a name or an integer: %r" % (value,))
        parts.append("%d" % value if isinstance(value, int) else check_name(value, "name"))
    if text is not None:
        parts.append(clean_text(text))
    if output is not None:
        if unsafe_character(output):
            raise ValueError("a plugin output goes through passive_output first")
        parts.append(output)
    line = ("[%d] %s\n" % (int(time.time() if now is None else now), ";".join(parts)))
    data = line.encode("utf-8")
    if len(data) > PIPE_BUF:
        raise Refused("a %s command of %d bytes is over the %d a pipe writes at once"
                      % (command, len(data), PIPE_BUF), "shorten the names")
    return data


def passive_output(output, limit):
    """A plugin's output as one line: a backslash doubled, the lines joined by a literal
    \\n (Nagios unescapes both); long output lines dropped from the end, marked
    '...', until it fits ``limit`` bytes; the first line is cut only if alone too long."""
    lines = [(line if line.isprintable() else sanitize(line)).replace("\\", "\\\\")
             for line in output.rstrip("\n").split("\n")]

    def size(kept):
        return len("\\n".join(kept).encode("utf-8"))
    if size(lines) > limit:
        while len(lines) > 1 and size(lines + ["..."]) > limit:
            lines.pop()
        lines.append("...")
    text = "\\n".join(lines)
    while len(text.encode("utf-8")) > limit:
        text = text[:max(0, len(text) - 64)].rstrip("\\")
    return text


def check_result(host, service, code, output, now=None):
    """PROCESS_SERVICE_CHECK_RESULT;host;service;code;output, whole within PIPE_BUF."""
    if code not in (0, 1, 2, 3):
        raise ValueError("an exit code is 0-3: %r" % (code,))
    fields = [check_name(host, "host"), check_name(service, "service", host), code]
    head = len(encode("PROCESS_SERVICE_CHECK_RESULT", fields, now=now or 0)) + 16
    return encode("PROCESS_SERVICE_CHECK_RESULT", fields, now=now,
                  output=passive_output(output, PIPE_BUF - head))


def schedule_downtime(downtime, author, now=None):
    """SCHEDULE_HOST_DOWNTIME / SCHEDULE_SVC_DOWNTIME, fixed, never with a zero or
    negative duration."""
    if not isinstance(downtime.start, int) or not isinstance(downtime.end, int) \
            or downtime.end <= downtime.start:
        raise Refused("a downtime of %s that ends (%s) before it starts (%s)"
                      % (sanitize(downtime.host)[:80], downtime.end, downtime.start),
                      "fix the window it came from")
    check_name(downtime.host, "host")
    target = [downtime.host]
    if downtime.service is not None:
        target.append(check_name(downtime.service, "service"))
    command = "SCHEDULE_SVC_DOWNTIME" if downtime.service is not None else "SCHEDULE_HOST_DOWNTIME"
    # fixed (1), not triggered (0), the duration, who and why
    return encode(command, target + [downtime.start, downtime.end, 1, 0,
                                     downtime.end - downtime.start, check_name(author, "author")],
                  downtime.comment, now)


def delete_downtime(kind, number, now=None):
    command = "DEL_SVC_DOWNTIME" if kind == "servicedowntime" else "DEL_HOST_DOWNTIME"
    return encode(command, [number], now=now)


# ----------------------------------------------------------------- the pipe
def check_pipe(path, error=UsageError):
    """lstat: the command file exists and is a FIFO, not a symlink; the stat of it."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise error("Nagios' command file %s does not exist" % path,
                    "Nagios creates it when it runs with check_external_commands=1 "
                    "(command_file in nagios.cfg)") from None
    except OSError as exc:
        raise error("Nagios' command file %s cannot be used: %s"
                    % (path, (exc.strerror or "").lower()),
                    "let this user write to it (group nagios)") from None
    if stat.S_ISLNK(info.st_mode):
        raise error("Nagios' command file %s is a symlink, tgmon writes through none" % path,
                    "give the pipe itself (command_file in nagios.cfg)")
    if not stat.S_ISFIFO(info.st_mode):
        raise error("Nagios' command file %s is %s, not a pipe" % (path, file_type(info.st_mode)),
                    "give Nagios' command_file (e.g. /var/lib/nagios4/rw/nagios.cmd)")
    return info


def write_commands(path, lines, deadline, first_seen):
    """Write the encoded ``lines`` into the pipe at ``path``: checked now, on the very
    descriptor written to, against the pipe ``first_seen`` there when the run began.
    CoreError if it is no longer that pipe."""
    seen = check_pipe(path, CoreError)
    if (seen.st_dev, seen.st_ino) != (first_seen.st_dev, first_seen.st_ino):
        raise CoreError("Nagios' command file %s is another pipe than when the run began, "
                        "nothing written" % path,
                        "if Nagios restarted meanwhile, run the sync again; else check who "
                        "replaced it")
    try:
        fd = os.open(path, _WRITE)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise CoreError("Nagios does not read its command file %s" % path,
                            "start Nagios (check_external_commands=1)") from None
        if exc.errno == errno.ELOOP:
            raise CoreError("Nagios' command file %s became a symlink, nothing written" % path,
                            "give the pipe itself (command_file in nagios.cfg)") from None
        raise CoreError("cannot write to %s: %s" % (path, (exc.strerror or "").lower()),
                        "let this user write to it (group nagios)") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISFIFO(info.st_mode) or (info.st_dev, info.st_ino) != (seen.st_dev,
                                                                            seen.st_ino):
            raise CoreError("Nagios' command file %s was replaced while tgmon opened it, "
                            "nothing written" % path, "check who else writes there")
        for line in lines:
            _write_line(fd, line, deadline)
    finally:
        os.close(fd)


def _write_line(fd, data, deadline):
    """One write per line: a line up to PIPE_BUF is written whole or not at all."""
    while True:
        try:
            os.write(fd, data)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise CoreError("Nagios' command pipe stayed full until -t",
                                "check that Nagios processes its commands") from None
            time.sleep(0.05)
        except BrokenPipeError:
            raise CoreError("Nagios closed its command file while tgmon wrote to it",
                            "check that Nagios runs") from None


# ----------------------------------------------------------------- status.dat
def read_status(path, kinds, keep, deadline):
    """The blocks of ``kinds`` in status.dat that ``keep(block)`` wants, as dicts with
    their kind in ``_kind``. Bounded: a regular file (opened without blocking) of at
    most MAX_STATUS bytes, lines and blocks cut, the deadline checked as it reads."""
    try:
        fd = os.open(path, _READ)
    except OSError as exc:
        raise CoreError("Nagios' status file %s cannot be read: %s"
                        % (path, (exc.strerror or "").lower()),
                        "give status_file of nagios.cfg, readable by this user") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CoreError("Nagios' status file %s is %s, not a regular file"
                            % (path, file_type(info.st_mode)),
                            "give status_file of nagios.cfg (e.g. /var/lib/nagios4/status.dat)")
        if info.st_size > MAX_STATUS:
            raise CoreError("Nagios' status file %s is over %d bytes" % (path, MAX_STATUS),
                            "give status_file of nagios.cfg")
        return _blocks(handle, kinds, keep, deadline)


def _blocks(handle, kinds, keep, deadline):
    blocks, current, budget = [], None, MAX_STATUS
    for number, raw in enumerate(_lines(handle)):
        budget -= len(raw)
        if budget < 0:
            raise CoreError("Nagios' status file grew over %d bytes while read" % MAX_STATUS,
                            "give status_file of nagios.cfg")
        if number % 4096 == 0 and time.monotonic() > deadline:
            raise CoreError("reading Nagios' status file took until -t", "raise -t")
        line = raw.lstrip(" \t").rstrip("\r\n")     # the indentation and the line end only
        if "=" not in line and line.rstrip().endswith("{"):
            # a block opens: one still open lost its '}' and is dropped
            kind = line.rstrip()[:-1].strip()
            current = {"_kind": kind} if kind in kinds else False
            continue
        if current is None:
            continue
        if line.rstrip() == "}":
            if current and keep(current):
                blocks.append(current)
            current = None
        elif current is not False and "=" in line and len(current) < MAX_BLOCK_FIELDS:
            key, _, value = line.partition("=")
            current[key] = value
    return blocks


def _lines(handle):
    """Lines of at most MAX_STATUS_LINE bytes (a longer one is cut), decoded: a byte
    that is not UTF-8 stays a lone surrogate, which no name check lets through."""
    while True:
        raw = handle.readline(MAX_STATUS_LINE)
        if not raw:
            return
        if not raw.endswith(b"\n") and len(raw) == MAX_STATUS_LINE:
            while True:
                rest = handle.readline(MAX_STATUS_LINE)
                if not rest or rest.endswith(b"\n"):
                    break
        yield raw.decode("utf-8", "surrogateescape")


# ----------------------------------------------------------------- the core
class NagiosCore:
    """Hosts, services and downtimes of one Nagios: read from status.dat, changed by
    commands that are queued, then sent at once by ``finish``."""

    name = "Nagios"
    separator = "/"
    applies_at_once = False   # commands are queued, sent by finish, applied by Nagios later

    def __init__(self, settings, warn):
        if not settings.status_file:
            raise UsageError("--nagios-command-file needs --nagios-status-file",
                             "give Nagios' status.dat (status_file in nagios.cfg)")
        # a usage error early; checked again when written, against this one
        self.pipe = check_pipe(settings.command_file)
        self.settings = settings
        self.warn = warn
        self.host_downtime = settings.host_downtime
        self.pending = []

    def _read(self, kinds, keep):
        return read_status(self.settings.status_file, kinds, keep, self.settings.deadline)

    # ------------------------------------------------------------ queries
    def hosts(self, names):
        return {b["host_name"] for b in self._read(
            {"hoststatus"}, lambda b: b.get("host_name") in names)}

    def services(self, hosts, commands):
        """{host: sorted service names} whose check command is one of ``commands``; a
        name no command can carry is skipped with a warning."""
        services = {}
        for block in self._read({"servicestatus"}, lambda b: b.get("host_name") in hosts and (
                b.get("check_command", "").split("!", 1)[0] in commands)):
            name = block.get("service_description", "")
            try:
                check_name(name, "service", block["host_name"])
            except Refused as exc:
                self.warn("%s - it gets no downtime; %s" % (exc.cause, exc.fix))
                continue
            services.setdefault(block["host_name"], []).append(name)
        return {host: sorted(names) for host, names in services.items()}

    def downtimes(self, owner):
        """The downtimes ``owner`` may change, each re-checked as read."""
        found = []
        for block in self._read({"hostdowntime", "servicedowntime"},
                                lambda b: b.get("host_name") in owner.hosts):
            item = _found(block)
            if item is not None and owned(item.downtime, owner, block.get("author")):
                found.append(item)
        return found

    # ------------------------------------------------------------ actions
    def schedule(self, downtime, author):
        self.pending.append(schedule_downtime(downtime, author))

    def remove(self, found, owner):
        """DEL_*_DOWNTIME by its id; ``downtimes`` found it ``owner``'s in status.dat."""
        self.pending.append(delete_downtime(*found.ident))

    def finish(self, expected_adds, expected_removes):
        """Send the commands, then wait (within -t) until status.dat shows them. The
        ones it does not show by then, as (adds, removes): Nagios ignored them (an
        object gone with a reload) or did not get to them."""
        if not self.pending:
            return (), ()
        write_commands(self.settings.command_file, self.pending, self.settings.deadline,
                       self.pipe)
        sent, self.pending = len(self.pending), []
        hosts = {d.host for d in expected_adds} | {f.downtime.host for f in expected_removes}
        while True:
            try:
                present = [f for f in map(_found, self._read(
                    {"hostdowntime", "servicedowntime"},
                    lambda b: b.get("host_name") in hosts)) if f]
            except CoreError as exc:
                raise CoreError("%s, after %d commands were sent" % (exc.cause, sent),
                                exc.fix) from None
            downtimes = {f.downtime for f in present}
            idents = {f.ident for f in present}
            late = ([d for d in expected_adds if d not in downtimes],
                    [f for f in expected_removes if f.ident in idents])
            if not any(late) or time.monotonic() + POLL > self.settings.deadline:
                return late
            time.sleep(POLL)


def _found(block):
    """A status.dat downtime block as Found, or None when a field is missing or bad."""
    try:
        downtime = Downtime(block["host_name"], block.get("service_description"),
                            int(block["start_time"]), int(block["end_time"]),
                            block.get("comment", ""))
        return Found(downtime, (block["_kind"], int(block["downtime_id"])))
    except (KeyError, ValueError):
        return None

"""Talking to monitoring cores, written once for every tool that writes into them.

    nagios.py   Nagios' external commands (the one encoder), the command pipe
                checked at the moment of writing, the bounded status.dat reader
    httpjson.py  a core's JSON API over HTTP, for Icinga 2's and Alertmanager's
                clients: one keep-alive session, under -t, no redirect, bounded
                answers, every failure in the core's words
    icinga_client.py  Icinga 2's REST API: auth, TLS, its answers' meaning
    icinga.py   the downtimes through it, and the client-side re-check of
                everything it answers
    icinga_results.py  passive check results through it (tgmon push)
    nsca.py     NSCA-ng: Debian's send_nsca, fed the one encoder's commands
    alertmanager.py  Alertmanager's API v2: tgmon's silences, their ownership
                re-checked the same way

A core's answers are input like any other: every object it names is checked
here before tgmon acts on it or prints it, and only what is tgmon's (its
author, its comment prefix, on a host this run read) is ever removed. Nothing
here knows the command line or what a downtime is for.
"""

from ..errors import TgmonError
from ..state.model import record

# A downtime as a core holds it: host, service (None for the host's own),
# start and end (whole seconds since the epoch) and the comment.
Downtime = record("Downtime", "host service start end comment")
# A downtime found in a core: what it is, and the core's own id for removing it.
Found = record("Found", "downtime ident")
# What tgmon may remove: its author, its comment prefix, on these hosts only.
Ownership = record("Ownership", "author prefix hosts")

MAX_NAME = 1024   # a host or service name: a Nagios command line stays below PIPE_BUF
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"   # what str.splitlines() splits on


class CoreError(TgmonError):
    """The core cannot be used (unreachable, refused access, lies): this core's sync stops."""


class Refused(TgmonError):
    """One object is not sent or the core refused it: that one is skipped, the rest go on."""


def unsafe_character(text, separators=""):
    """Why ``text`` cannot be a name in a core's command, or None: a line break, a
    control or format character (bidi, zero-width), or one of ``separators``."""
    for char in text:
        if "\udc80" <= char <= "\udcff":    # status.dat read with surrogateescape
            return "a byte that is not UTF-8 (0x%02X)" % (ord(char) - 0xdc00)
        if char in LINE_BREAKS:
            return "a line break"
        if char in separators:
            return "'%s'" % char
        if char != " " and not char.isprintable():
            return "the control character U+%04X" % ord(char)
    return None


def owned(downtime, owner, author):
    """Whether a downtime a core answered is tgmon's to change: by its author, with its
    comment prefix, on a host this run read. Checked on every object, whatever the
    core was asked for, whatever type its fields came in as."""
    return (isinstance(author, str) and author == owner.author
            and isinstance(downtime.host, str) and downtime.host in owner.hosts
            and isinstance(downtime.comment, str) and downtime.comment.startswith(owner.prefix))

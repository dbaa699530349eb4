"""The exporter's TLS certificate and key: read like every other file, loaded without a prompt.

``ssl`` loads a certificate chain only from a path, and OpenSSL reads all of
whatever it is given, in the serving thread (at start and at SIGHUP): a file
of hundreds of MB stalls every client and fills the memory, a file replaced
by a FIFO after it was checked blocks for good, and an encrypted key makes
OpenSSL ask for its passphrase on the controlling terminal - the exporter
stops answering, and OpenSSL's own signal handlers swallow SIGTERM while it
waits. So each file is read with ``safeio.files`` (a regular file, at most
``MAX_TLS_FILE`` bytes, never blocking), handed to OpenSSL as an anonymous
in-memory file, and an encrypted key is refused instead of prompting.
"""

import os
import ssl

from ..errors import TgmonError, UsageError
from ..safeio.files import read_option_file

MAX_TLS_FILE = 256 * 1024   # a certificate chain is a few KB


class _Encrypted(Exception):
    """OpenSSL asked for the key's passphrase."""


def _no_passphrase():
    raise _Encrypted()


def tls_context(cert, key):
    """The server's SSLContext for ``--tls-cert``/``--tls-key`` (None without TLS)."""
    if not cert and not key:
        return None
    if not (cert and key):
        raise TgmonError("TLS needs both --tls-cert and --tls-key", "give both files")
    contents = [read_option_file(path, option, MAX_TLS_FILE, UsageError)
                for option, path in (("--tls-cert", cert), ("--tls-key", key))]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    fds = []
    try:
        for data in contents:
            fds.append(_in_memory(data))
        context.load_cert_chain(*["/proc/self/fd/%d" % fd for fd in fds],
                                password=_no_passphrase)
    except _Encrypted:
        raise TgmonError("--tls-key %s is encrypted (it needs a passphrase)" % key,
                         "give the key without a passphrase, readable only by the "
                         "exporter's user") from None
    except (OSError, ssl.SSLError) as exc:
        raise TgmonError("cannot load the TLS certificate/key: %s"
                         % (getattr(exc, "reason", None) or getattr(exc, "strerror", None)
                            or type(exc).__name__),
                         "check --tls-cert and --tls-key") from None
    finally:
        for fd in fds:
            os.close(fd)
    return context


def _in_memory(data):
    """A file descriptor of an anonymous file that holds ``data`` (never on a disk)."""
    fd = os.memfd_create("tgmon-tls", os.MFD_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        os.close(fd)
        raise
    return fd

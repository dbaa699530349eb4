"""Secrets read from files, never from a command line: the exporter's bearer token (on
both sides), a core's password."""

from ..errors import UsageError
from .files import read_option_file

MAX_TOKEN = 4096


def read_token(path, option="--token-file"):
    """The token: one line of printable ASCII. Errors name the file, never its content."""
    data = read_option_file(path, option, MAX_TOKEN, UsageError)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise UsageError("%s %s is not ASCII text" % (option, path),
                         "write just the token into it") from None
    token = text.strip()
    if not token or any(not 0x21 <= ord(c) <= 0x7e for c in token):
        raise UsageError("%s %s must hold one token on one line" % (option, path),
                         "write just the token into it")
    return token


def read_password(path, option, what="the password"):
    """A password: one line of printable UTF-8 (spaces allowed). Errors name the file,
    never its content; their fix names ``what`` it holds."""
    data = read_option_file(path, option, MAX_TOKEN, UsageError)
    try:
        password = data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise UsageError("%s %s is not UTF-8 text" % (option, path),
                         "write just %s into it" % what) from None
    if not password or not password.isprintable():
        raise UsageError("%s %s must hold the password on one line" % (option, path),
                         "write just %s into it" % what)
    return password

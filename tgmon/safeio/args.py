"""argparse whose errors never quote what was given, for every tgmon command line.

A value on a command line may be a secret typed into the wrong place: a
password after an option that does not exist (--icinga-password), after one
that takes no value (--icinga-insecure=...), or after a misplaced NAME=.
argparse would echo it. Here an error names the option and what it
expects; a token nothing took is shown only if it looks like an option's
name (lowercase ``--name``, cut at '='), otherwise only counted. Options
are never abbreviated: --icinga-password is not --icinga-password-file.

The option types word their errors without the value too; should one not,
an error that holds the value is replaced by what the type ``expects``.
"""

import argparse
import re

_OPTION_NAME = re.compile(r"^(-[A-Za-z]|--[a-z][a-z0-9-]{0,40})$")
# argparse's own messages that quote a value (Python 3.11 - 3.13)
_QUOTING = ((re.compile(r"ignored explicit argument .*$"), "takes no value"),
            (re.compile(r"^ambiguous option: \S+"), "ambiguous option"))


def given_names(tokens):
    """What may be shown of tokens nothing took: option names, and how many values."""
    names = [token.split("=", 1)[0] for token in tokens
             if _OPTION_NAME.match(token.split("=", 1)[0])]
    values = len(tokens) - len(names)
    counted = ["%d value%s (not shown)" % (values, "" if values == 1 else "s")] if values else []
    return ", ".join(names + counted)


class SafeArgumentParser(argparse.ArgumentParser):
    """Override ``usage_error(message)`` (not ``error``) to say it your way."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):
        namespace, extras = self.parse_known_args(args, namespace)
        if extras:
            self.error("unrecognized arguments: %s" % given_names(extras))
        return namespace

    def error(self, message):
        for pattern, words in _QUOTING:
            message = pattern.sub(words, message)
        self.usage_error(message)

    def usage_error(self, message):
        super().error(message)      # argparse's: the usage, the message, exit 2

    def _get_value(self, action, arg_string):
        convert = self._registry_get("type", action.type, action.type)
        if not callable(convert):
            raise argparse.ArgumentError(action, "%r is not callable" % (convert,))
        try:
            return convert(arg_string)
        except argparse.ArgumentTypeError as exc:
            words = str(exc)
        except (TypeError, ValueError):
            words = ""
        if not words or (len(arg_string) >= 4 and arg_string[:8] in words):
            expects = getattr(convert, "expects", None)
            words = "expects %s" % expects if expects else "the value is not valid"
        raise argparse.ArgumentError(action, words)

    def _check_value(self, action, value):
        if action.choices is not None and value not in action.choices:
            raise argparse.ArgumentError(action, "must be one of %s" % ", ".join(
                map(str, action.choices)))

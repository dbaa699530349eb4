"""Presentation: a check's Result as text a monitoring core or a program reads.

A renderer is any object with ``render(definition, result) -> str``; the exit
code is always the result's own. Renderers are found by format name; Nagios
text + perfdata (``nagios.py``) is the default. Another format registers
itself here and no check changes.
"""

DEFAULT_FORMAT = "nagios"


def _nagios():
    from . import nagios
    return nagios


# format name -> a function that loads its renderer (loaded only when chosen)
_LOADERS = {"nagios": _nagios}


def register(name, load):
    """Make a renderer choosable as ``name``; ``load()`` returns it."""
    _LOADERS[name] = load


def formats():
    """The format names, the default first."""
    return sorted(_LOADERS, key=lambda name: (name != DEFAULT_FORMAT, name))


def renderer(name=DEFAULT_FORMAT):
    """The renderer of a format; KeyError naming the known ones if there is none."""
    try:
        load = _LOADERS[name]
    except KeyError:
        raise KeyError("no output format %r (known: %s)" % (name, ", ".join(formats()))) from None
    return load()

"""Presentation: a check's Result as text a monitoring core or a program reads.

A renderer is any object with ``render(definition, result) -> str``; the exit
code is always the result's own. Renderers are found by format name; Nagios
text + perfdata (``nagios.py``) is the default. Another format registers
itself here and no check changes. A renderer whose ``WANTS_PARTS`` is true
gets an all-in-one check's Result with each aspect's own Result in ``parts``.

    nagios.py         nagios: first line, perfdata, long output; the sanitising
    jsonresult.py     json: one document, schema tgmon-result/1 (its JSON Schema
                      beside it: tgmon-result-1.schema.json)
    checkmk.py        checkmk-local: Checkmk local-check lines, and the section
                      and piggyback framing of the datasource (tgmon checkmk)
"""

DEFAULT_FORMAT = "nagios"


def _nagios():
    from . import nagios
    return nagios


def _json():
    from . import jsonresult
    return jsonresult


def _checkmk():
    from . import checkmk
    return checkmk


# format name -> a function that loads its renderer (loaded only when chosen)
_LOADERS = {"nagios": _nagios, "json": _json, "checkmk-local": _checkmk}


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

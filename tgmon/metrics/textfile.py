"""``tgmon textfile``: the metrics of ``/metrics`` as a file for node_exporter's
textfile collector, on hosts that run node_exporter instead of ``tgmon serve``.

One run reads the state dir once (within ``timeout`` seconds: a hung mount is a
cause, not a hang), judges it as /metrics does and replaces the output file
atomically (``safeio.atomic``: a temp file renamed in, never a link followed,
never a dir other users may write), so the collector never reads half a file.
A state that cannot be read is written too, as ``tgmon_up 0`` with its cause:
the file says so instead of going stale. A systemd timer runs it every minute
(examples/systemd/tgmon-textfile.timer).
"""

from ..errors import UsageError
from . import collect

SUFFIX = ".prom"        # the only files node_exporter's textfile collector reads
DEFAULT_TIMEOUT = 10


def check_output_name(path):
    """UsageError unless ``path`` names a file the collector reads."""
    import os
    name = os.path.basename(path)
    if not name.endswith(SUFFIX) or name.startswith(".") or len(name) == len(SUFFIX):
        raise UsageError("--output must name a file ending in %s (not a dot file)" % SUFFIX,
                         "node_exporter's textfile collector reads only *%s files" % SUFFIX)


def write_textfile(state_dir, output, now, timeout=DEFAULT_TIMEOUT):
    """Write the metrics of ``state_dir`` at ``now`` into ``output``; the Judged view
    written (its ``cause`` says why the state could not be read). WriteError when the
    file cannot be written, UsageError for an output name the collector ignores."""
    from ..safeio.atomic import atomic_write
    from ..safeio.writeerror import explain
    from ..sources.statedir import read_state
    from ..state.layout import paths_for
    check_output_name(output)
    view = collect.view_of(lambda: collect.within(lambda: read_state(paths_for(state_dir)),
                                                  timeout, state_dir), now, state_dir)
    try:
        atomic_write(output, collect.metrics_text(view).encode("utf-8"))
    except OSError as exc:
        import os
        raise explain(exc, os.path.dirname(os.path.abspath(output))) from None
    return view

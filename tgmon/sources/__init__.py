"""Acquisition: a state dir or an exporter's answer becomes a ``State``.

Readers take small settings records, never the command line's namespace;
``tgmon.options`` builds them from the options.
"""

from ..state.model import record

# What reading over HTTP needs: the bearer token's file, TLS, proxies, the
# shared cache, and the check's deadline (time.monotonic()) and -t.
HttpSettings = record(
    "HttpSettings", "token_file ca_file insecure no_proxy cache_ttl deadline timeout",
    (None, None, False, False, 0, None, 10))

# Where one node's state is: a state dir (with per-file overrides) or a URL.
SingleSource = record("SingleSource", "state_dir url files max_age http")

# A node whose state could not be read: where (shown without secrets), the
# reader's cause and fix; generated and origin as a State has them (none).
Unreadable = record("Unreadable", "source cause fix generated origin", (None, None, None))


def read_single_state(source, now):
    """The node's state, refused (SourceError) when it is stale or from the future."""
    if source.url:
        from .http import read_url_state
        state = read_url_state(source.url, source.http)
    else:
        from ..state.layout import paths_for
        from .statedir import read_state
        state = read_state(paths_for(source.state_dir, source.files))
    from ..state.freshness import check_freshness
    check_freshness(state, now, source.max_age)
    return state


def read_or_unreadable(source, now):
    """The node's state, or the ``Unreadable`` that says what kept it from being read
    (a check that judges reachability words that itself)."""
    from ..errors import TgmonError
    try:
        return read_single_state(source, now)
    except TgmonError as exc:
        from ..safeio.urls import redact_url
        return Unreadable(redact_url(source.url or source.state_dir), exc.cause, exc.fix)

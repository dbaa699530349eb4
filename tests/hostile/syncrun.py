"""tgmon downtimes sync as a process, for the hostile corpus: nodes to read, the
cores' stand-ins to write into, and what every run must hold - one safe line
per message, no secret, no traceback, within -t."""

import json
from datetime import timedelta

from tgmon.state import examples
from tgmon.state.model import PlannedMaintenance
from tgmon.state.schema import to_document
from tgmon.state.layout import write_state

from .common import now, write
from .fakecores import FakeIcinga, FakeNagios
from .harness import MAX_RSS_KB, SECRETS, TGMON, run_plugin

TIMEOUT = 5
PASSWORD = SECRETS[3]
HOUR = timedelta(hours=1)
NAGIOS_SERVICE = "TightGate maintenance"
ICINGA_SERVICE = "tightgate-maintenance"
# what may never reach a terminal from a run: controls, line separators, bidi and
# zero-width characters
UNSAFE = set("\x00\x1b\x07\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\u202a\u202b\u202c\u202d"
             "\u202e\u2066\u2067\u2068\u2069\u200b\u200e\u200f\ufeff")


_BASE = [now()]


def fresh_base():
    """Every case starts here: the windows it plans count from this minute on."""
    _BASE[0] = now().replace(second=0, microsecond=0)


def start_of_plan(offset=0):
    """When node number ``offset``'s planned maintenance starts: its window tells whose
    plan a downtime came from."""
    return _BASE[0] + (offset + 1) * HOUR


def node_state(claim="tg-node1", offset=0, end=None, reason="disk swap", age=None):
    """A cluster node's state calling itself ``claim``, with a maintenance planned an hour
    from ``offset`` hours on (end: its end, default an hour later)."""
    at = now() - (age or timedelta(0))
    state = examples.build("healthy-cluster-node", at)
    start = start_of_plan(offset)
    planned = PlannedMaintenance(start, start + HOUR if end is None else end, reason)
    return state._replace(
        node=state.node._replace(name=claim),
        maintenance=state.maintenance._replace(planned=planned),
        schedule=state.schedule._replace(update=state.schedule.update._replace(active=False)))


def node(tmp, path, **changes):
    """A state dir at tmp/path holding ``node_state(**changes)``; its path."""
    target = tmp / path
    target.parent.mkdir(parents=True, exist_ok=True)
    write_state(str(target), node_state(**changes))
    return str(target)


def remote_document(**changes):
    """The state as an exporter serves it (status.json plus the flags)."""
    doc = to_document(node_state(**changes))
    doc["flags"] = {name: {"set": False, "since": None, "lines": []}
                    for name in ("warn_flag", "update_lock", "reboot_required")}
    return json.dumps(doc).encode()


def window(offset=0):
    start = int(start_of_plan(offset).timestamp())
    return start, start + 3600


def expected(nagios_hosts, icinga_hosts):
    """{host: offset} -> the downtimes each core holds: Nagios the maintenance service's,
    Icinga 2 the host's and the service's."""
    return ({(h, NAGIOS_SERVICE) + window(o) for h, o in nagios_hosts.items()},
            {(h, s) + window(o) for h, o in icinga_hosts.items()
             for s in (None, ICINGA_SERVICE)})


def cores(tmp, hosts=("tg-node1", "tg-node2"), nagios_services=None, icinga_services=None,
          nagios=None, **icinga):
    """Both stand-ins with ``hosts`` and their maintenance services; ``nagios`` and the
    other options are FakeNagios' and FakeIcinga's own."""
    nagios = FakeNagios(tmp, hosts, nagios_services if nagios_services is not None else
                        [(h, NAGIOS_SERVICE) for h in hosts], **(nagios or {}))
    api = FakeIcinga(tmp, hosts, icinga_services if icinga_services is not None else
                     [(h, ICINGA_SERVICE, "tgmon_maintenance") for h in hosts], **icinga)
    return nagios, api


def password_file(tmp):
    path = tmp / "icinga.password"
    if not path.exists():
        write(path, PASSWORD + "\n", 0o600)
    return str(path)


def sync(argv, timeout=TIMEOUT):
    return run_plugin(TGMON, ["downtimes", "sync", "-t", str(timeout)] + list(argv))


def assert_safe(run, timeout=TIMEOUT, secrets=SECRETS):
    """What holds for every run: each line one line of safe text, problems prefixed
    on stderr, no traceback, no secret, within -t, bounded memory."""
    everything = run.stdout + run.stderr
    assert "Traceback" not in everything, run
    for line in run.stdout.splitlines() + run.stderr.splitlines():
        assert line.isprintable() and not set(line) & UNSAFE, (line, run)
    assert run.stdout.count("\n") == len(run.stdout.splitlines()), run   # no \r, \v, ...
    assert run.stderr.count("\n") == len(run.stderr.splitlines()), run
    for line in run.stderr.splitlines():
        assert line.startswith("tgmon downtimes: "), run
    for secret in secrets:
        assert secret not in everything, (secret, run)
    assert run.elapsed < timeout + 1, run
    assert run.max_rss_kb < MAX_RSS_KB, run


def assert_lines(run, words):
    """One line on stderr for each entry of ``words`` (a string, or a tuple of strings
    that one line holds together), and no other line."""
    lines = run.stderr.splitlines()
    assert len(lines) == len(words), run
    for fragments in words:
        fragments = (fragments,) if isinstance(fragments, str) else fragments
        assert len([line for line in lines if all(f in line for f in fragments)]) == 1, (
            fragments, run)


def cluster_file(tmp, text):
    path = tmp / "cluster"
    write(path, text)
    return str(path)


def garbage_node(tmp, path, content):
    target = tmp / path
    target.mkdir(parents=True)
    (target / "status.json").write_bytes(content)
    return str(target)


def never_changed(path, content):
    with open(path, "rb") as handle:
        assert handle.read() == content


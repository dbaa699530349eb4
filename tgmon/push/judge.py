"""One round's judging: each node read once, every check judged on that read and
rendered exactly as its plugin prints it (``runtime.evaluate`` and the Nagios
renderer, the plugin's own path; a node that could not be read gives what the
plugin prints then: check_reachable its CRITICAL finding, the others UNKNOWN
with the cause and the fix).

Freshness is judged here, per check, as each plugin judges it: the node's
checks name the node in a stale state's cause, the cluster check does not.
"""

from ..errors import SourceError
from ..options import settings_of
from ..render import DEFAULT_FORMAT, renderer
from ..runtime import evaluate, failure_result
from ..runtime.configure import options_from
from ..sources import Unreadable
from ..sources.nodes import cluster_view
from ..state.freshness import check_freshness
from ..state.model import NodeFailure, record
from .services import BY_NAME, CLUSTER_CHECK

# what goes to a core: its host and service names, the check's short name, the
# exit code and the plugin's whole output (first line | perfdata, long output)
Pushed = record("Pushed", "host service check code output")


# how a check's plugin judges and prints: its settings record, --max-age,
# --runbook-url, -v and the renderer of its --output-format
Plugin = record("Plugin", "settings max_age runbook_url verbose presenter")
# distinct command lines kept: one per check, more only where services' vars differ
MAX_PLUGINS = 4096


class Judge:
    """Each check as its plugin runs with ``config`` (the common part and its section,
    None: the defaults) and a service's own command line (``plugin``'s ``argv``);
    ``pinned`` {dest: value} (the pusher's own --max-age, --runbook-url) wins over the
    file, a service's command line over both."""

    def __init__(self, config=None, pinned=None):
        self.config, self.pinned = config, dict(pinned or {})
        self.plugins = {}                      # (check, argv) -> Plugin

    def plugin(self, check, argv=()):
        """The Plugin of ``check`` given ``argv`` (services.plugin_argv's pairs);
        UsageError when the plugin refuses that command line."""
        key = (check, argv)
        if key not in self.plugins:
            if len(self.plugins) >= MAX_PLUGINS:     # vars changed often: start afresh
                self.plugins.clear()
            definition = BY_NAME[check]
            words = [word for _dest, pair in argv for word in pair]
            opts = options_from(definition, words + (["--config", self.config]
                                                     if self.config else []))
            given = {dest for dest, _pair in argv}
            vars(opts).update({dest: value for dest, value in self.pinned.items()
                               if dest not in given})
            self.plugins[key] = Plugin(settings_of(definition, vars(opts)), opts.max_age,
                                       opts.runbook_url, opts.verbose,
                                       renderer(opts.output_format or DEFAULT_FORMAT))
        return self.plugins[key]

    def fresh(self, shown, value, now, plugin, named=True):
        """The state, or a NodeFailure when it is stale or from the future for ``plugin``."""
        if isinstance(value, NodeFailure):
            return value
        try:
            check_freshness(value, now, plugin.max_age, named=named)
        except SourceError as exc:
            return NodeFailure(shown, exc.cause, exc.fix)
        return value

    @staticmethod
    def output(definition, plugin, subject, now):
        """(exit code, output) of ``definition``'s plugin on ``subject``: a State, a
        ClusterView or the NodeFailure of a node that was not read."""
        presenter = plugin.presenter
        if isinstance(subject, NodeFailure):
            if definition.scope != "reachability":
                result = failure_result(definition, subject.cause, subject.fix)
                return result.code, presenter.render(definition, result)
            subject = Unreadable(subject.source, subject.cause, subject.fix)
        result = evaluate(definition, subject, plugin.settings, now, plugin.verbose,
                          plugin.runbook_url, parts=getattr(presenter, "WANTS_PARTS", False))
        return result.code, presenter.render(definition, result)

    def node(self, host, outcome, services, now, argv=()):
        """Pushed for each (service, check) of ``services`` on ``host`` from one read
        (``outcome``: read_each's (shown, State or NodeFailure))."""
        pushed = []
        for service, check in services:
            plugin = self.plugin(check, argv)
            pushed.append(Pushed(host, service, check, *self.output(
                BY_NAME[check], plugin, self.fresh(*outcome, now, plugin), now)))
        return pushed

    def cluster(self, host, outcomes, services, now, argv=()):
        """Pushed for the cluster check's services on ``host``, on the same reads."""
        plugin = self.plugin(CLUSTER_CHECK.short_name, argv)
        view = cluster_view(((shown, self.fresh(shown, value, now, plugin, named=False))
                             for shown, value in outcomes), require_one=False)
        return [Pushed(host, service, CLUSTER_CHECK.short_name,
                       *self.output(CLUSTER_CHECK, plugin, view, now)) for service in services]


"""One round's judging: each node read once, every check judged on that read and
rendered exactly as its plugin prints it (``runtime.evaluate`` and the Nagios
renderer, the plugin's own path; a node that could not be read gives what the
plugin prints then: check_reachable its CRITICAL finding, the others UNKNOWN
with the cause and the fix).

Freshness is judged here, per check, as each plugin judges it: the node's
checks name the node in a stale state's cause, the cluster check does not.
"""

from ..errors import SourceError
from ..options import default_settings, settings_of
from ..render import renderer
from ..runtime import evaluate, failure_result
from ..sources import Unreadable
from ..sources.nodes import cluster_view
from ..state.freshness import check_freshness
from ..state.model import NodeFailure, record
from .services import BY_NAME, CLUSTER_CHECK

# what goes to a core: its host and service names, the check's short name, the
# exit code and the plugin's whole output (first line | perfdata, long output)
Pushed = record("Pushed", "host service check code output")


class Judge:
    """The checks with their default settings; ``runbook_url`` and ``max_age`` as the
    plugins' options; ``configure`` gives each check what its plugin takes instead."""

    def __init__(self, runbook_url=None, max_age=30 * 60):
        self.runbook_urls = dict.fromkeys(BY_NAME, runbook_url)
        self.max_ages = dict.fromkeys(BY_NAME, max_age)
        self.settings = {name: default_settings(d) for name, d in BY_NAME.items()}
        self.presenter = renderer()

    def configure(self, plugin_options):
        """Each check's settings, --max-age and --runbook-url as its plugin has them
        (``plugin_options``: {check: the plugin's parsed options})."""
        for name, opts in plugin_options.items():
            self.settings[name] = settings_of(BY_NAME[name], vars(opts))
            self.max_ages[name], self.runbook_urls[name] = opts.max_age, opts.runbook_url

    def fresh(self, shown, value, now, check, named=True):
        """The state, or a NodeFailure when it is stale or from the future for ``check``."""
        if isinstance(value, NodeFailure):
            return value
        try:
            check_freshness(value, now, self.max_ages[check], named=named)
        except SourceError as exc:
            return NodeFailure(shown, exc.cause, exc.fix)
        return value

    def output(self, definition, subject, now):
        """(exit code, output) of ``definition``'s plugin on ``subject``: a State, a
        ClusterView or the NodeFailure of a node that was not read."""
        if isinstance(subject, NodeFailure):
            if definition.scope != "reachability":
                result = failure_result(definition, subject.cause, subject.fix)
                return result.code, self.presenter.render(definition, result)
            subject = Unreadable(subject.source, subject.cause, subject.fix)
        name = definition.short_name
        result = evaluate(definition, subject, self.settings[name], now, 0,
                          self.runbook_urls[name])
        return result.code, self.presenter.render(definition, result)

    def node(self, host, outcome, services, now):
        """Pushed for each (service, check) of ``services`` on ``host`` from one read
        (``outcome``: read_each's (shown, State or NodeFailure))."""
        return [Pushed(host, service, check, *self.output(
                    BY_NAME[check], self.fresh(*outcome, now, check), now))
                for service, check in services]

    def cluster(self, host, outcomes, services, now):
        """Pushed for the cluster check's services on ``host``, on the same reads."""
        view = cluster_view(((shown, self.fresh(shown, value, now, CLUSTER_CHECK.short_name,
                                                named=False))
                             for shown, value in outcomes), require_one=False)
        return [Pushed(host, service, CLUSTER_CHECK.short_name,
                       *self.output(CLUSTER_CHECK, view, now)) for service in services]


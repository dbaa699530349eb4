"""The vendor's simulated update server: releases, hotfixes, outages.

(Not the model's ``UpdateServer``, which is what a node knows of it.)
"""

from bisect import bisect_right, insort

from ..state.model import Hotfix, Release, version_key


class SimUpdateServer:
    def __init__(self, releases=(), hotfixes=(), outages=()):
        self.releases = sorted(releases, key=lambda r: version_key(r.version))
        self._hotfixes = []          # (released, sequence, Hotfix): kept sorted by time
        self.outages = list(outages)  # (start, end) pairs
        for hotfix in hotfixes:
            self.publish_hotfix(hotfix.id, hotfix.title, hotfix.released)

    @property
    def hotfixes(self):
        return [entry[2] for entry in self._hotfixes]

    def publish_release(self, version, released, kernel_update=False):
        self.releases.append(Release(version, released, kernel_update))
        self.releases.sort(key=lambda r: version_key(r.version))

    def publish_hotfix(self, hotfix_id, title, released):
        insort(self._hotfixes, (released, len(self._hotfixes), Hotfix(hotfix_id, title, released)))

    def add_outage(self, start, end):
        self.outages.append((start, end))

    def reachable(self, at):
        return not any(start <= at < end for start, end in self.outages)

    def outage_during(self, start, end):
        """First instant in [start, end) at which the server is down, or None."""
        hits = [max(o_start, start) for o_start, o_end in self.outages
                if o_start < end and o_end > start]
        return min(hits) if hits else None

    def releases_at(self, at):
        return tuple(r for r in self.releases if r.released <= at)

    def hotfixes_at(self, at):
        # bisect: a year of daily checks on many nodes must not rescan every hotfix
        count = bisect_right(self._hotfixes, (at, float("inf")))
        return tuple(entry[2] for entry in self._hotfixes[:count])

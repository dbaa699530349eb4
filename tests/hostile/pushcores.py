"""Stand-ins for the cores tgmon push sends to: Icinga 2's API taking passive results
(every process-check-result body kept), and a send_nsca that records its argv and
the commands on its stdin - the real cores are in tests/e2e."""

import os

from .fakecores import FakeIcinga

# the services of one node as the shipped apply rules make them
NODE_SERVICES = (("tightgate-versions", "tgmon_versions"),
                 ("tightgate-update_lock", "tgmon_update_lock"),
                 ("tightgate-hotfixes", "tgmon_hotfixes"),
                 ("tightgate-reboot_required", "tgmon_reboot_required"),
                 ("tightgate-maintenance", "tgmon_maintenance"),
                 ("tightgate-update_schedule", "tgmon_update_schedule"),
                 ("tightgate-reachable", "tgmon_reachable"))


def node_services(*hosts):
    return [(h, s, c) for h in hosts for s, c in NODE_SERVICES]


class PushIcinga(FakeIcinga):
    """The API's services by tgmon_* command; a result for a service it lacks is 404.
    ``push_answer(api, path, body)``: another answer to a push request, or None."""

    def __init__(self, tmp, services, push_answer=None, **options):
        self.results = []
        self.push_answer = push_answer
        super().__init__(tmp, sorted({h for h, _, _ in services}), services,
                         answer=self._answer, **options)
        for service in self.services:        # as the template tgmon-pushed makes them
            service.update(enable_passive_checks=True, vars={"tgmon_pushed": True})

    def _answer(self, api, path, body):
        if path.startswith("/v1/actions/"):
            self.actions.append((path, body))
        said = self.push_answer and self.push_answer(self, path, body)
        if said:
            return said
        variables = body.get("filter_vars") or {}
        if path == "/v1/objects/services" and "pattern" in variables:
            found = [s for s in self.services if not self.honest or (
                s["host_name"] in variables["hosts"] and s["check_command"].startswith(
                    "tgmon_"))]
            return 200, {"results": [{"name": "%s!%s" % (s["host_name"], s["name"]),
                                      "attrs": s} for s in found]}
        if path == "/v1/actions/process-check-result":
            host, _, name = body.get("service", "").partition("!")
            if not any((s["host_name"], s["name"]) == (host, name) for s in self.services):
                return 404, {"error": 404, "status": "No objects found."}
            self.results.append(body)
            return 200, {"results": [{"code": 200, "status": "Successfully processed"}]}
        if path.startswith("/v1/actions/"):
            self.actions.pop()         # FakeIcinga's own route keeps it
        return None

    def by_service(self):
        """{host!service: the last result's body}."""
        return {body["service"]: body for body in self.results}


def fake_send_nsca(tmp, exit_code=0, said=""):
    """An executable that records its arguments and stdin, says ``said`` on stderr and
    exits ``exit_code``: (path, record file)."""
    record = tmp / "nsca-received"
    script = tmp / "send_nsca"
    (tmp / "nsca-says").write_text(said + "\n")     # any quote in it stays as it is
    script.write_text("#!/bin/sh\necho \"$@\" > %s.argv\ncat >> %s\ncat %s >&2\nexit %d\n"
                      % (record, record, tmp / "nsca-says", exit_code))
    script.chmod(0o755)
    return str(script), record


def nsca_config(tmp, mode=0o600):
    path = tmp / "send_nsca.cfg"
    path.write_text('identity = "tgmon"\npassword = "nsca-secret-%d"\nserver = "127.0.0.1"\n'
                    % os.getpid())
    path.chmod(mode)
    return str(path)

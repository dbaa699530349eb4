"""A real Nagios 4 on Debian's stock nagios.cfg, for the end-to-end tests.

Every stock setting that touches what users see is kept (the nagios user,
illegal_object_name_chars, illegal_macro_output_chars, the stock objects and
cfg_dir=/etc/nagios-plugins/config with the package's commands); only paths
move to a temporary dir, and results are reaped and status.dat written every
second instead of every 10 s, so that the tests do not wait.
"""

import os
import re
import subprocess
import time

from .cores import chown_to_daemon_user, daemon_user, need, stop, wait_for

STOCK_NAGIOS = "/etc/nagios4/nagios.cfg"


def rewrite(stock, settings, add=None):
    """A stock main config file with ``settings`` replaced (None drops the line);
    every key must be there, so that a changed stock file fails loudly."""
    with open(stock) as handle:
        lines = handle.read().splitlines()
    seen = set()
    out = []
    for line in lines:
        key = line.split("=", 1)[0] if "=" in line and not line.startswith("#") else None
        if key in settings:
            seen.add(key)
            if settings[key] is not None:
                out.append("%s=%s" % (key, settings[key]))
            continue
        out.append(line)
    missing = set(settings) - seen
    assert not missing, "%s has no %s any more" % (stock, ", ".join(sorted(missing)))
    out.extend("%s=%s" % item for item in (add or {}).items())
    return "\n".join(out) + "\n"


def nagios_config(work, var):
    """Debian's stock nagios.cfg, its paths moved into ``var``."""
    user, group = daemon_user()
    with open(STOCK_NAGIOS) as handle:
        stock = handle.read()
    # the stock settings this test relies on being what users have
    for setting in ("cfg_dir=/etc/nagios-plugins/config", "cfg_dir=/etc/nagios4/conf.d",
                    "illegal_macro_output_chars=`~$&|'\"<>",
                    "illegal_object_name_chars=`~!$%^&*|'\"<>?,()=",
                    "resource_file=/etc/nagios4/resource.cfg", "nagios_user=nagios"):
        assert setting in stock.splitlines(), "stock nagios.cfg lacks " + setting
    config = rewrite(STOCK_NAGIOS, {
        "log_file": var + "/nagios.log",
        "object_cache_file": var + "/objects.cache",
        "precached_object_file": var + "/objects.precache",
        "status_file": var + "/status.dat",
        "command_file": var + "/nagios.cmd",
        "lock_file": var + "/nagios.pid",
        "temp_file": var + "/nagios.tmp",
        "state_retention_file": var + "/retention.dat",
        "check_result_path": var + "/checkresults",
        "log_archive_path": var + "/archives",
        "debug_file": var + "/nagios.debug",
        "nagios_user": user,
        "nagios_group": group,
        "use_syslog": "0",
        "check_for_updates": "0",
        # timing only: results reaped and status written every second, not every 10 s
        "status_update_interval": "1",
        "check_result_reaper_frequency": "1",
    }, add={"query_socket": var + "/nagios.qh"})
    config = config.replace("cfg_dir=/etc/nagios4/conf.d", "cfg_dir=" + work.sub("conf.d"))
    # the stock localhost.cfg monitors this machine with the stock checks: not ours to run
    config = config.replace("cfg_file=/etc/nagios4/objects/localhost.cfg\n", "")
    return work.write("nagios.cfg", config)


def parse_status(path, kind="servicestatus"):
    """status.dat -> the blocks of ``kind``: {"host;service": fields} for services,
    a list of fields for the others (downtimes)."""
    with open(path) as handle:
        text = handle.read()
    blocks = [dict(line.strip().split("=", 1) for line in block.splitlines() if "=" in line)
              for block in re.findall(r"^%s \{\n(.*?)\n\s*\}" % kind, text, re.S | re.M)]
    if kind != "servicestatus":
        return blocks
    return {"%s;%s" % (f["host_name"], f["service_description"]): f for f in blocks}




class Nagios:
    """nagios4 on the stock nagios.cfg with its files in ``work``; conf.d holds
    the objects the test writes there."""

    def __init__(self, work):
        self.binary = need("nagios4", "nagios4-core")
        self.work = work
        self.var = work.sub("var", owned=True)
        work.sub("var", "checkresults", owned=True)
        self.conf_dir = work.sub("conf.d")
        self.config = nagios_config(work, self.var)
        self.command_file = os.path.join(self.var, "nagios.cmd")
        self.status_file = os.path.join(self.var, "status.dat")
        self.process = None

    def verify(self):
        """nagios4 -v: the output; asserts no error and no warning."""
        self.work.readable()
        chown_to_daemon_user(self.var)
        done = subprocess.run([self.binary, "-v", self.config], capture_output=True, text=True,
                              timeout=60)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-3000:]
        assert re.search(r"Total Warnings:\s+0\b", output), output[-3000:]
        assert re.search(r"Total Errors:\s+0\b", output), output[-3000:]
        return output

    def start(self):
        self.verify()
        self.console = open(os.path.join(self.work.path, "nagios.console"), "w")
        self.process = subprocess.Popen([self.binary, self.config], stdout=self.console,
                                        stderr=subprocess.STDOUT)

        def ready():
            assert self.process.poll() is None, open(self.console.name).read()[-3000:]
            return os.path.exists(self.command_file) and os.path.exists(self.status_file)
        wait_for(ready, 60, "Nagios' command file and status.dat")

    def command(self, *lines):
        """External commands, each ``NAME;args`` (the time stamp is added)."""
        now = int(time.time())
        fd = os.open(self.command_file, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, "".join("[%d] %s\n" % (now, line) for line in lines).encode())
        finally:
            os.close(fd)

    def services(self):
        return parse_status(self.status_file)

    def downtimes(self):
        return (parse_status(self.status_file, "hostdowntime")
                + parse_status(self.status_file, "servicedowntime"))

    def log(self):
        with open(os.path.join(self.var, "nagios.log")) as handle:
            return handle.read()

    def stop(self):
        if self.process is not None:
            stop(self.process)
            self.console.close()

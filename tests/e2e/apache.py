"""A real Apache (Debian's apache2) for the end-to-end tests: its own ServerRoot,
config, pid file and port on 127.0.0.1, the package's conf-available snippet
included as an administrator enables it, run in the foreground and stopped by
PID. As root it serves as the daemon user (the runbooks must be readable by
whoever a web server runs as)."""

import os
import subprocess

import requests

from .cores import daemon_user, free_port, need, stop, wait_for

MODULES = "/usr/lib/apache2/modules"
SNIPPET = "/etc/apache2/conf-available/tgmon.conf"   # installed by the package


class Apache:
    def __init__(self, work, include=SNIPPET):
        self.binary = need("apache2", "apache2")
        self.root = work.sub("apache")
        self.port = free_port()
        user, group = daemon_user()
        lines = ['ServerRoot "%s"' % self.root,
                 "ServerName 127.0.0.1",
                 "Listen 127.0.0.1:%d" % self.port,
                 "PidFile %s/apache2.pid" % self.root,
                 "DefaultRuntimeDir %s" % self.root,
                 "ErrorLog %s/error.log" % self.root,
                 "TypesConfig /etc/mime.types"]
        lines += ["LoadModule %s_module %s/mod_%s.so" % (name, MODULES, name)
                  for name in ("mpm_event", "authz_core", "alias", "mime", "dir")]
        if os.geteuid() == 0:
            lines += ["User %s" % user, "Group %s" % group]
        lines += ['DocumentRoot "%s"' % work.sub("apache", "htdocs"),
                  "Include %s" % include]
        self.config = work.write(os.path.join("apache", "apache2.conf"), "\n".join(lines) + "\n")
        checked = subprocess.run([self.binary, "-t", "-f", self.config], capture_output=True,
                                 text=True, timeout=30)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        self.process = subprocess.Popen([self.binary, "-f", self.config, "-DFOREGROUND"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for(self._answers, 20, "apache2 on port %d" % self.port)

    def _answers(self):
        assert self.process.poll() is None, self.error_log()
        try:
            requests.get(self.url("/"), timeout=2)
            return True
        except requests.RequestException:
            return False

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def error_log(self):
        try:
            with open(os.path.join(self.root, "error.log")) as handle:
                return handle.read()[-3000:]
        except OSError:
            return ""

    def stop(self):
        return stop(self.process)

"""The Icinga Director of Debian 12 for the end-to-end tests: icingaweb2-module-director
run through icingacli on its own Icinga Web 2 config dir (ICINGAWEB_CONFIGDIR), with
its own PostgreSQL - a data dir and a Unix socket of the test's own, no TCP port,
run as the invoking user (as root: as postgres, Debian's system user for it), started
and stopped by PID. Nothing of the machine's Icinga Web 2, PostgreSQL or systemd is
used or touched.
"""

import glob
import os
import pwd
import subprocess

from .cores import need, stop, wait_for

DIRECTOR_MODULES = "/usr/share/icingaweb2/modules"
# the modules the Director needs, in the order they are enabled
MODULES = ("incubator", "reactbundle", "director")


def _pg_binary(name):
    """Debian's versioned server binaries (initdb, postgres) are not on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name))
    return found[-1] if found else need(name, "postgresql")


def _db_user():
    """Who runs the database: the invoking user; PostgreSQL refuses root, so as root
    its own system user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        need("postgres-system-user", "postgresql")
    return "postgres"


class Postgres:
    """A PostgreSQL cluster in ``root`` listening on a Unix socket only (trust
    authentication, reachable through the socket dir only: mode 0700)."""

    def __init__(self, root):
        self.root = root
        self.data = os.path.join(root, "data")
        self.socket_dir = os.path.join(root, "socket")
        self.user = _db_user()
        os.makedirs(self.socket_dir, mode=0o700)
        if self.user:
            entry = pwd.getpwnam(self.user)
            for path in (root, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self.process = None
        self.log = None

    def _run(self, *command):
        done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                              user=self.user, group=self.user, extra_groups=[] if self.user
                              else None, cwd=self.root)
        assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
        return done

    def start(self):
        self._run(_pg_binary("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync")
        self.log = open(os.path.join(self.root, "postgres.log"), "w")
        self.process = subprocess.Popen(
            [_pg_binary("postgres"), "-D", self.data, "-k", self.socket_dir,
             "-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off"],
            stdout=self.log, stderr=subprocess.STDOUT, user=self.user, group=self.user,
            extra_groups=[] if self.user else None, cwd=self.root)
        wait_for(self._ready, 60, "PostgreSQL's socket")

    def _ready(self):
        assert self.process.poll() is None, self.read_log()
        return subprocess.run([need("pg_isready", "postgresql-client"), "-q", "-h",
                               self.socket_dir], timeout=10).returncode == 0

    def sql(self, statement, database="postgres"):
        """Run ``statement`` as the superuser; its rows, one string per row."""
        done = subprocess.run([need("psql", "postgresql-client"), "-h", self.socket_dir,
                               "-U", "postgres", "-d", database, "-At", "-v", "ON_ERROR_STOP=1",
                               "-c", statement], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (statement, done.stderr[-2000:])
        return done.stdout.splitlines()

    def read_log(self):
        with open(os.path.join(self.root, "postgres.log")) as handle:
            return handle.read()[-3000:]

    def stop(self):
        """Fast shutdown (SIGINT) by PID: the test's data is thrown away anyway."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(2)
            stop(self.process)
            self.log.close()


class Director:
    """icingacli with the Director, on an Icinga Web 2 config dir of its own."""

    def __init__(self, root, database, api):
        """``api``: (endpoint name, port, user, password) of the Icinga 2 master."""
        self.icingacli = need("icingacli", "icingacli")
        if not os.path.isdir(os.path.join(DIRECTOR_MODULES, "director")):
            need("director-module", "icingaweb2-module-director")
        self.config = os.path.join(root, "icingaweb2")
        self.database = database
        os.makedirs(os.path.join(self.config, "modules", "director"), mode=0o700)
        os.chmod(self.config, 0o700)       # the API password is in kickstart.ini
        endpoint, port, user, password = api
        self._write("config.ini", "[logging]\nlog = \"none\"\n")
        self._write("resources.ini", "\n".join([
            "[director_db]", 'type = "db"', 'db = "pgsql"', 'host = "%s"' % database.socket_dir,
            'dbname = "director"', 'username = "director"', 'password = ""',
            'charset = "utf8"', ""]))
        self._write("modules/director/config.ini", '[db]\nresource = "director_db"\n')
        self._write("modules/director/kickstart.ini", "\n".join([
            "[config]", 'endpoint = "%s"' % endpoint, 'host = "127.0.0.1"', 'port = "%d"' % port,
            'username = "%s"' % user, 'password = "%s"' % password, ""]))

    def _write(self, name, text):
        path = os.path.join(self.config, name)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(text)

    def setup(self):
        """What an administrator does once: the database, the modules, the schema and
        the kickstart that imports the Icinga 2 master's endpoint, zones and commands."""
        self.database.sql("CREATE ROLE director LOGIN")
        self.database.sql("CREATE DATABASE director OWNER director ENCODING 'UTF8' "
                          "TEMPLATE template0")
        for module in MODULES:
            self.run("module", "enable", module)
        self.run("director", "migration", "run")
        self.run("director", "kickstart", "run")

    def run(self, *args, stdin=None):
        """icingacli ARGS; its stdout. An error (exit code, or a PHP error on stderr)
        fails the test with what icingacli said."""
        done = subprocess.run([self.icingacli] + list(args), input=stdin, capture_output=True,
                              text=True, timeout=120,
                              env=dict(os.environ, ICINGAWEB_CONFIGDIR=self.config))
        assert done.returncode == 0 and "ERROR" not in done.stderr, (
            args, done.stdout[-3000:], done.stderr[-3000:])
        return done.stdout

    def count(self, table):
        return int(self.database.sql("SELECT count(*) FROM %s" % table, "director")[0])

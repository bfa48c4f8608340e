"""A throwaway PostgreSQL cluster for the cluster tests and benchmarks: `initdb` in a temporary
directory, `pg_ctl start` on a free loopback port, trust authentication on 127.0.0.1 only, and a
unix socket inside that directory (never /var/run/postgresql). Stopped and deleted by `stop()`.

initdb refuses to run as root: as root the server runs as the `postgres` system user Debian's
package creates (through `runuser`), and the tests connect as that database superuser over TCP.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

REQUIRE_ENV = "BATCHCALLS_REQUIRE_POSTGRES"
HOW_TO_ENABLE = (
    "PostgreSQL not found: apt-get install postgresql (or set BATCHCALLS_REQUIRE_POSTGRES=1 in CI)"
)
SUPERUSER = "postgres"
# A test cluster: nothing must survive a crash of the machine, so nothing waits for the disk
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "64MB",
}


def bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: $PG_BINDIR, else Debian's newest /usr/lib/postgresql/<ver>/bin,
    else the PATH (other systems put them there; Debian only puts psql's wrappers there)."""
    if os.environ.get("PG_BINDIR"):
        chosen = Path(os.environ["PG_BINDIR"])
        return chosen if (chosen / "initdb").exists() else None
    debian = sorted(
        (d for d in Path("/usr/lib/postgresql").glob("*/bin") if (d / "initdb").exists()),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1]
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found and shutil.which("pg_ctl") else None


def required() -> bool:
    """CI sets BATCHCALLS_REQUIRE_POSTGRES=1: the cluster tests then fail instead of skipping."""
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Postgres:
    """One running throwaway cluster; `url(name)` is a database's connection string."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.as_root = os.geteuid() == 0
        self.home = Path(tempfile.mkdtemp(prefix="batchcalls-pg-"))
        self.data = self.home / "data"
        self.sockets = self.home / "sockets"
        self.port = 0
        self._names = itertools.count(1)
        self.sockets.mkdir()
        if self.as_root:
            try:
                owner = pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise RuntimeError("running as root needs the 'postgres' system user (apt-get install "
                                   "postgresql creates it): initdb refuses to run as root") from None
            for path in (self.home, self.sockets):
                os.chown(path, owner.pw_uid, owner.pw_gid)

    @classmethod
    def attach(cls, bin_dir: Path, port: int) -> Postgres:
        """A cluster another process started (the parent test run's): used only to create databases."""
        cluster = cls.__new__(cls)
        cluster.bin_dir, cluster.port, cluster._names = bin_dir, port, itertools.count(1)
        return cluster

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in SETTINGS.items())
            conf.write(f"unix_socket_directories = '{self.sockets}'\n")

    def _run(self, tool: str, *args: str, timeout: float = 60) -> str:
        command = [str(self.bin_dir / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.home)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
        return done.stdout

    def start(self) -> None:
        """Start on a free port (the one of the last start when there was one: a restart keeps it)."""
        for attempt in range(5):
            port = self.port or free_port()
            try:
                self._run("pg_ctl", "start", "-w", "-t", "30", "-D", str(self.data), "-l",
                          str(self.home / "server.log"), "-o", f"-p {port}")
            except RuntimeError:
                if self.port or attempt == 4:  # a taken port is retried only when it was a guess
                    raise RuntimeError(self.log_tail()) from None
                continue
            self.port = port
            return

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-w", "-t", "30", "-m", mode, "-D", str(self.data))

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except RuntimeError:
            pass  # not running
        shutil.rmtree(self.home, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join((self.home / "server.log").read_text().splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over TCP; answers psql's unaligned output."""
        done = subprocess.run(
            [str(self.bin_dir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(self.port), "-U", SUPERUSER, "-d", database, "-c", sql],
            capture_output=True, text=True, timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql: {done.stderr.strip()}")
        return done.stdout.strip()

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database; answers its connection string."""
        name = f"sandbox_{os.getpid()}_{next(self._names)}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)


def start() -> Postgres:
    """A started throwaway cluster; raises RuntimeError with the reason when PostgreSQL cannot run."""
    found = bin_dir()
    if found is None:
        raise RuntimeError(HOW_TO_ENABLE)
    cluster = Postgres(found)
    try:
        cluster.init()
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster

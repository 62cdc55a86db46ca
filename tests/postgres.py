"""A throwaway PostgreSQL server for tests: initdb into a temporary directory, start it on a
free 127.0.0.1 port with fsync off, stop it and delete everything at the end.

    server = PostgresServer.find()        # PostgresUnavailable (with the reason) if it can't
    server.start()
    url = await server.create_database()  # a fresh, empty database; Alembic builds the schema
    ...
    server.restart()                      # pg_ctl restart: connections are cut
    server.pause(); server.resume()       # down for a while, back on the same port
    server.stop()                         # and the directory is gone

`initdb` refuses to run as root, so as root everything runs as the `postgres` user (runuser);
as anyone else it runs as that user. Binaries are looked up in $JUNXIU_PG_BINDIR (if set, only
there), else `pg_config --bindir`, /usr/lib/postgresql/<newest>/bin, then $PATH.

The `postgres_server` fixture (tests/conftest.py) skips PostgreSQL tests when the server
cannot run here, except under CI=true, where that is an error: CI must not skip silently.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVICE_USER = "postgres"
_names = itertools.count(1)


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl, or None."""
    if os.environ.get("JUNXIU_PG_BINDIR"):  # given: that one only
        bindir = Path(os.environ["JUNXIU_PG_BINDIR"])
        return bindir if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file() \
            else None
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 timeout=10, check=True).stdout.strip()
            if out:
                candidates.append(Path(out))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key,
                         reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be run here; the message says why."""


class PostgresServer:
    def __init__(self, bindir: Path, *, run_as: str | None) -> None:
        self.bindir = bindir
        self.run_as = run_as  # None: the current user
        self.dir: Path | None = None
        self.port: int | None = None

    # -- finding -------------------------------------------------------------------------------

    @staticmethod
    def why_unavailable() -> str | None:
        """None if a server can be started here, else the reason it cannot."""
        if find_bindir() is None:
            return ("PostgreSQL binaries (initdb, pg_ctl) not found: `make system-deps` "
                    "installs the Debian package `postgresql`")
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(SERVICE_USER)
            except KeyError:
                return f"running as root and there is no `{SERVICE_USER}` user to run initdb"
            if shutil.which("runuser") is None:
                return "running as root and `runuser` is missing"
        return None

    @classmethod
    def find(cls) -> PostgresServer:
        reason = cls.why_unavailable()
        if reason is not None:
            raise PostgresUnavailable(reason)
        bindir = find_bindir()
        assert bindir is not None
        return cls(bindir, run_as=SERVICE_USER if os.geteuid() == 0 else None)

    # -- running -------------------------------------------------------------------------------

    def _run(self, tool: str, *args: str, timeout: float = 60) -> str:
        cmd = [str(self.bindir / tool), *args]
        if self.run_as is not None:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=self.dir or "/")
        if done.returncode != 0:
            log = self._log_tail()
            raise PostgresUnavailable(
                f"{tool} {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n"
                f"{done.stderr}\n{log}")
        return done.stdout

    def _log_tail(self, lines: int = 20) -> str:
        if self.dir is None or not (self.dir / "log").is_file():
            return ""
        return "\n".join((self.dir / "log").read_text(errors="replace").splitlines()[-lines:])

    @property
    def data(self) -> Path:
        assert self.dir is not None, "not started"
        return self.dir / "data"

    def start(self) -> None:
        """initdb into a new temporary directory and start the server (about a second)."""
        assert self.dir is None, "already started"
        self.dir = Path(tempfile.mkdtemp(prefix="junxiu-pg-"))
        try:
            if self.run_as is not None:
                entry = pwd.getpwnam(self.run_as)
                os.chown(self.dir, entry.pw_uid, entry.pw_gid)
            self.dir.chmod(0o700)
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
            for attempt in range(3):  # a free port can be taken between the check and use
                self.port = free_port()
                try:
                    self._pg_ctl_start()
                    break
                except PostgresUnavailable:
                    if attempt == 2:
                        raise
        except BaseException:
            self._remove()
            raise

    def _pg_ctl_start(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} "
                   f"-c unix_socket_directories={self.dir} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w",
                  "-t", "30", "-o", options, "start")

    def restart(self, mode: str = "fast") -> None:
        """Restart under the clients' feet: every open connection is cut."""
        # -l: the new server must not inherit our pipes (run() would wait for them to close)
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-m", mode, "-w",
                  "-t", "30", "restart")

    def pause(self, mode: str = "fast") -> None:
        """Stop the server but keep its data: `resume()` starts it again on the same port."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def resume(self) -> None:
        self._pg_ctl_start()

    def stop(self) -> None:
        """Stop the server and delete its directory."""
        if self.dir is None:
            return
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            self._remove()

    def _remove(self) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    # -- databases -----------------------------------------------------------------------------

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        assert self.port is not None, "not started"
        return f"postgresql+{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        assert self.port is not None, "not started"
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    async def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL (asyncpg driver)."""
        import asyncpg

        name = f"t{os.getpid()}_{next(_names)}"
        conn = await asyncpg.connect(self.dsn())
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)

    async def drop_database(self, url: str) -> None:
        """Drop a database made by create_database, cutting any connection left open."""
        import asyncpg

        name = url.rsplit("/", 1)[1]
        conn = await asyncpg.connect(self.dsn())
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

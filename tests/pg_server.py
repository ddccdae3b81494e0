"""A PostgreSQL cluster of the test's own: initdb in a temporary directory, a free port.

Tests never touch a PostgreSQL they did not start (the machine may run one
on 5432). initdb and postgres refuse to run as root: as root the cluster
belongs to the unprivileged ``postgres`` user and every server command runs
as that user. The cluster is made once per test process and copied for every
further server, since initdb takes seconds and a copy a fraction of one.

The cluster's default collation is ICU's English one, unlike byte order, so
that a query which forgets the rooms' "C" collation is caught by the tests.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from .pg_schemas import SchemaPool
from .support import free_port, require_program

INSTALL_HINT = "apt-get install postgresql"
SUPERUSER = "postgres"
# The tests' stores live in this database, one schema each: a schema takes
# milliseconds, a database the better part of a second with fsync on.
DATABASE = "postgres"


def program(name: str) -> str:
    """A PostgreSQL server program from PATH or Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found is None:
        versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version)
        found = versions[-1] if versions else None
    return require_program(found or name, INSTALL_HINT)


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in Path(path).parent.parent.name.split(".") if part.isdigit())


def _owner() -> str | None:
    """The user that runs the cluster: None for the current one, ``postgres`` for root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        pytest.fail("running as root needs the postgres user for the test cluster: " + INSTALL_HINT)
    return SUPERUSER


def _run(*command: str, cwd: Path) -> None:
    """Run a server command as the cluster's owner; its output goes into the failure."""
    owner = _owner()
    prefix = ["runuser", "-u", owner, "--"] if owner else []
    result = subprocess.run(
        [*prefix, *command], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}")


def _private_directory(prefix: str) -> Path:
    """A new temporary directory that the cluster's owner may write."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    owner = _owner()
    if owner:
        shutil.chown(directory, owner, owner)
    return directory


@functools.cache
def _pristine_cluster() -> Path:
    """A data directory fresh from initdb, made once per process and copied by each server."""
    directory = _private_directory("chatroom-pg-initdb-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    data = directory / "data"
    _run(
        program("initdb"),
        "--pgdata", str(data),
        "--username", SUPERUSER,
        "--auth", "trust",
        "--encoding", "UTF8",
        "--locale", "C.UTF-8",
        "--locale-provider", "icu",
        "--icu-locale", "en-US",
        "--no-sync",
        "--no-instructions",
        cwd=directory,
    )  # fmt: skip
    return data


class PostgresServer:
    """A cluster that the test starts, stops, restarts and finally removes."""

    def __init__(self) -> None:
        self.directory = _private_directory("chatroom-pg-")
        self.data = self.directory / "data"
        self.port = free_port()
        self.running = False
        self.schemas = SchemaPool(self.connect, self.new_schema)

    def url(self, database: str = DATABASE, schema: str | None = None) -> str:
        """A URL for chatroom; with ``schema``, that schema is where its tables go."""
        url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"
        return url + (f"?options=-csearch_path%3D{schema}" if schema else "")

    def start(self, timeout: float = 30.0) -> PostgresServer:
        """Start the cluster (a copy of the pristine one the first time) and wait until it answers."""
        if not self.data.exists():
            self._copy_cluster()
        _run(
            program("pg_ctl"),
            "--pgdata", str(self.data),
            "--log", str(self.directory / "postgres.log"),
            "--wait", "--timeout", str(int(timeout)),
            "start",
            cwd=self.directory,
        )  # fmt: skip
        self.running = True
        return self

    def _copy_cluster(self) -> None:
        # cp -a keeps the owner (postgres, when running as root).
        subprocess.run(["cp", "-a", str(_pristine_cluster()), str(self.data)], check=True)
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.directory}'\n"
                "fsync = on\n"
            )

    def stop(self, mode: str = "fast") -> None:
        """Shut the cluster down: ``fast`` ends every session, ``immediate`` is a crash."""
        if not self.running:
            return
        _run(
            program("pg_ctl"),
            "--pgdata",
            str(self.data),
            "--mode",
            mode,
            "--wait",
            "stop",
            cwd=self.directory,
        )
        self.running = False

    def restart(self) -> PostgresServer:
        """Stop and start again on the same port and data."""
        self.stop()
        return self.start()

    def pause(self) -> None:
        """Stop the server's processes (SIGSTOP): connections stay open and nothing answers."""
        for pid in self._processes():
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let paused processes run again (SIGCONT)."""
        for pid in self._processes():
            os.kill(pid, signal.SIGCONT)

    def _processes(self) -> list[int]:
        """The postmaster and its children, found through /proc."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                # The fields after the command's closing parenthesis: state, ppid...
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                    children.append(int(stat.parent.name))
        return [postmaster, *children]

    def remove(self) -> None:
        """Stop the cluster and delete its directory."""
        with contextlib.suppress(OSError, ValueError):
            self.resume()
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def connect(self, database: str = DATABASE) -> psycopg.Connection[tuple[object, ...]]:
        """A synchronous autocommit connection, for the test to look at or poke the data."""
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            dbname=database,
            autocommit=True,
            connect_timeout=5,
        )

    def new_schema(self) -> str:
        """The URL of an empty schema of its own in the tests' database."""
        schema = "t_" + secrets.token_hex(6)
        with self.connect() as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        return self.url(schema=schema)

    def lend_schema(self, request: pytest.FixtureRequest) -> str:
        """The URL of a schema as chatroom makes a new database, every step applied, and empty.

        When the test (or fixture) that ``request`` belongs to ends, the schema is
        emptied and lent to a later one (tests/pg_schemas.py).
        """
        schema = self.schemas.lend()
        request.addfinalizer(lambda: self.schemas.take_back(schema))
        return schema.url


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A started PostgresServer, removed afterwards."""
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.remove()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One cluster for the whole test session (per xdist worker), removed at exit."""
    with running_postgres() as server:
        yield server

"""A PostgreSQL cluster and a redis-server of the benchmark's own, on free ports.

The benchmark never uses a PostgreSQL or Redis it did not start (the machine
may run its own on 5432 and 6379). Both live in temporary directories and are
stopped and removed on exit. initdb and postgres refuse to run as root: as
root the cluster belongs to the unprivileged ``postgres`` user and every
server command runs as that user (as tests/pg_server.py does for the tests).

PostgreSQL runs with its defaults for durability (``fsync`` and
``synchronous_commit`` on: a commit returns once its WAL is flushed), so an
ack means what it means in production. Redis runs without persistence: it
holds nothing durable.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

SUPERUSER = "postgres"
DATABASE = "postgres"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds; 0 once it is gone."""
    return stat_cpu_seconds(Path(f"/proc/{pid}/stat")) or 0.0


def stat_cpu_seconds(stat: Path) -> float | None:
    """utime + stime from a /proc stat file (a process's, or one thread's under ``task/``), in
    seconds; None once it is gone."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def switches(pid: int) -> int:
    """Context switches of a process so far, every thread's, voluntary (it waited) and not; 0 once
    it is gone."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            status = (task / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                total += int(line.split()[1])
    return total


def children(pid: int) -> list[int]:
    """The direct children of a process (the workers of --processes, PostgreSQL's backends)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def family(pid: int) -> list[int]:
    """A process and its direct children (the postmaster and every process it forked)."""
    return [pid, *children(pid)]


def program(name: str) -> str:
    """A PostgreSQL server program from PATH or Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found is None:
        versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
        found = versions[-1] if versions else None
    if found is None:
        raise SystemExit(f"{name} is missing: apt-get install postgresql")
    return found


def _owner() -> str | None:
    """Who runs the cluster: None for the current user, ``postgres`` for root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise SystemExit(
            "as root, the benchmark's cluster needs the postgres user: apt-get install postgresql"
        ) from None
    return SUPERUSER


def _run(*command: str, cwd: Path) -> str:
    owner = _owner()
    prefix = ["runuser", "-u", owner, "--"] if owner else []
    done = subprocess.run(
        [*prefix, *command], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}")
    return done.stdout


class Postgres:
    """initdb in a temporary directory, a free port; ``psql`` for the benchmark's own statements."""

    def __init__(
        self, cpu: str | None = None, directory: Path | None = None, settings: tuple[str, ...] = ()
    ) -> None:
        # A directory given is kept, cluster and data, for the next run to start again.
        self.kept = directory is not None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="chatroom-bench-pg-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        owner = _owner()
        if owner:
            shutil.chown(self.directory, owner, owner)
        self.data = self.directory / "data"
        self.port = free_port()
        self.cpu = cpu
        # Server settings for this start, as "name=value" (postgres -c).
        self.settings = settings

    def start(self) -> Postgres:
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        pg_ctl = [program("pg_ctl"), "--pgdata", str(self.data), "--log", str(self.directory / "pg.log")]
        pg_ctl += ["-o", " ".join([f"-p {self.port}", *(f"-c {setting}" for setting in self.settings)])]
        if self.cpu is not None:
            # Every backend the postmaster forks inherits its CPU affinity.
            pg_ctl = ["taskset", "-c", self.cpu, *pg_ctl]
        _run(*pg_ctl, "--wait", "start", cwd=self.directory)
        return self

    def _initdb(self) -> None:
        _run(
            program("initdb"),
            "--pgdata", str(self.data), "--username", SUPERUSER, "--auth", "trust",
            "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-instructions",
            cwd=self.directory,
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.directory}'\n"
                "fsync = on\n"
                "synchronous_commit = on\n"
            )

    @property
    def pid(self) -> int:
        """The postmaster's pid."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def pids(self) -> list[int]:
        """The postmaster and every process it forked (backends, WAL writer, checkpointer...)."""
        return family(self.pid)

    def url(self, schema: str | None = None) -> str:
        url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"
        return url + (f"?options=-csearch_path%3D{schema}" if schema else "")

    def sql(self, statement: str) -> str:
        """Run one statement with psql over the cluster's socket."""
        return _run(
            program("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", str(self.directory), "-p", str(self.port), "-U", SUPERUSER, "-d", DATABASE,
            "-c", statement,
            cwd=self.directory,
        )  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, FileNotFoundError):
            _run(
                program("pg_ctl"),
                "--pgdata",
                str(self.data),
                "--mode",
                "fast",
                "--wait",
                "stop",
                cwd=self.directory,
            )
        if not self.kept:
            shutil.rmtree(self.directory, ignore_errors=True)


class Redis:
    """redis-server on a free port, without persistence."""

    def __init__(self, cpu: str | None = None) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="chatroom-bench-redis-"))
        self.port = free_port()
        self.cpu = cpu
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Redis:
        program = shutil.which("redis-server")
        if program is None:
            raise SystemExit("redis-server is missing: apt-get install redis-server")
        command = [
            program, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
            "--save", "", "--appendonly", "no", "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        if self.cpu is not None:
            command = ["taskset", "-c", self.cpu, *command]
        self.process = subprocess.Popen(command)
        for _ in range(200):
            if self.command(b"PING") == b"+PONG":
                return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self, line: bytes) -> bytes:
        """One inline command; the first line of the answer ('' when Redis does not answer)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
                conn.sendall(line + b"\r\n")
                return conn.recv(256).split(b"\r\n", 1)[0]
        except OSError:
            return b""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def running(
    postgres: bool, redis: bool, cpu: str | None = None
) -> Iterator[tuple[Postgres | None, Redis | None]]:
    """The servers asked for, started (pinned to ``cpu``) and removed afterwards."""
    pg = Postgres(cpu) if postgres else None
    rd = Redis(cpu) if redis else None
    try:
        if pg is not None:
            pg.start()
        if rd is not None:
            rd.start()
        yield pg, rd
    finally:
        if rd is not None:
            rd.stop()
        if pg is not None:
            pg.stop()

"""A redis-server of the test's own, on a free port, in a temporary directory.

Tests never touch a Redis they did not start. The server keeps an
append-only file with ``appendfsync always`` (the documented durable setup),
so a restart on the same directory brings the data back.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from .support import free_port, require_program


class RedisServer:
    """``redis-server`` as a subprocess that the test starts, restarts and stops."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        # The database that the chatroom nodes of a test on this Redis share.
        self.database = ""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start the server and wait until it answers PING."""
        program = require_program("redis-server", "apt-get install redis-server")
        command = [
            program,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--protected-mode", "no",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited {self.process.returncode}")
            if self.answers():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server not ready in {timeout}s")

    def answers(self) -> bool:
        """Whether the server answers PING right now."""
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def client(self) -> redis.Redis:
        """A synchronous client, for the test to look at or poke the data."""
        return redis.Redis(port=self.port, socket_timeout=5)

    def stop(self) -> None:
        """Shut the server down (it rewrites nothing: the AOF is already on disk)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> RedisServer:
        """Stop and start again on the same port and directory."""
        self.stop()
        return self.start()


@contextlib.contextmanager
def running_redis(directory: Path) -> Iterator[RedisServer]:
    """A started RedisServer, stopped afterwards."""
    server = RedisServer(directory).start()
    try:
        yield server
    finally:
        server.stop()

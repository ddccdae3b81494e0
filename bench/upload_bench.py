"""Upload benchmark: a 25 MiB file through POST /api/rooms/{room}/files, its speed and the server's memory.

Starts the real server (``python -m chatroom``) on a fresh SQLite database
(files in its files directory) or a PostgreSQL cluster of the benchmark's own
(files in the database, in parts), signs in, and uploads a file of random
bytes (stored byte for byte: no image decoding) ``--uploads`` times on one
keep-alive connection, the body sent in 64 KiB writes. While each upload
runs, a thread samples the server's resident memory (VmRSS in
/proc/<pid>/status) every 5 ms: the figures are RSS before the upload, its
peak during it, and after the answer. The server must stream the body to
its spool file: its memory must not grow by the file's size. A warm-up
upload of 1 MiB comes first, so one-time allocations do not count.

    python bench/upload_bench.py --uploads 5 --store sqlite postgres
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

from argon2 import PasswordHasher, profiles  # noqa: E402
from search_bench import chat_server  # noqa: E402
from services import Postgres, free_port  # noqa: E402

from chatroom.names import nick_key  # noqa: E402
from chatroom.passwords import prepare  # noqa: E402
from chatroom.store import open_store  # noqa: E402
from chatroom.store.records import MEMBER, OPEN, Account, Membership, RoomRecord, avatar_color  # noqa: E402

MIB = 1024 * 1024
NAME, PASSWORD, ROOM = "uploader", "upload-bench-password", "uploads"
CHUNK = 64 * 1024
SAMPLE_SECONDS = 0.005


async def prepare_database(url: str) -> None:
    """An administrator who uploads, and an open room to upload to."""
    store = open_store(url)
    await store.start()
    try:
        hashed = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY).hash(prepare(PASSWORD))
        key = nick_key(NAME)
        await store.accounts.import_accounts(
            [
                Account(
                    1, NAME, key, "person", True, False, hashed, avatar_color(key), int(time.time() * 1000)
                )
            ],
            [],
        )
        await store.accounts.import_rooms([RoomRecord(ROOM, OPEN)], [Membership(ROOM, 1, MEMBER, 0)])
    finally:
        await store.close()


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


@contextmanager
def sampling(pid: int) -> Iterator[list[int]]:
    """The process's RSS every SAMPLE_SECONDS while the block runs."""
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(rss_bytes(pid))
            time.sleep(SAMPLE_SECONDS)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        done.set()
        thread.join()


class Uploader:
    """One keep-alive connection, signed in."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        body = json.dumps({"name": NAME, "password": PASSWORD})
        headers = {"Content-Type": "application/json", "Cookie": "_xsrf=bench", "X-XSRFToken": "bench"}
        self.conn.request("POST", "/api/session", body, headers)
        answer = self.conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise SystemExit(f"signing in answered {answer.status}")
        session = answer.getheader("Set-Cookie", "").split(";", 1)[0]
        self.headers = {"Cookie": f"{session}; _xsrf=bench", "X-XSRFToken": "bench"}

    def upload(self, data: bytes, name: str) -> float:
        """Send the file; the seconds until the server answered it stored."""
        started = time.perf_counter()
        self.conn.putrequest("POST", f"/api/rooms/{ROOM}/files?name={quote(name)}")
        for header, value in {**self.headers, "Content-Length": str(len(data))}.items():
            self.conn.putheader(header, value)
        self.conn.endheaders()
        view = memoryview(data)
        for start in range(0, len(data), CHUNK):
            self.conn.send(view[start : start + CHUNK])
        answer = self.conn.getresponse()
        body = answer.read()
        seconds = time.perf_counter() - started
        if answer.status != 201 and answer.status != 200:
            raise SystemExit(f"the upload answered {answer.status}: {body[:300]!r}")
        stored = json.loads(body)["file"]["size"]
        if stored != len(data):
            raise SystemExit(f"the server stored {stored} bytes of {len(data)}")
        return seconds


@dataclass
class Upload:
    seconds: float
    before: int
    peak: int
    after: int


def measure(store: str, args: argparse.Namespace, directory: Path) -> list[Upload]:
    """Every upload of one store, on a fresh database and server."""
    cluster = None
    if store == "postgres":
        cluster = Postgres().start()
        database = cluster.url()
    else:
        database = str(directory / "upload.db")
    try:
        asyncio.run(prepare_database(database))
        port = free_port()
        flags = ["--uploads-per-minute", "0", "--max-upload-bytes", str(args.mib * MIB)]
        with chat_server(database, port, flags) as server:
            uploader = Uploader(port)
            uploader.upload(os.urandom(MIB), "warm-up.bin")
            data = os.urandom(args.mib * MIB)
            uploads = []
            for n in range(args.uploads):
                before = rss_bytes(server.pid)
                with sampling(server.pid) as samples:
                    seconds = uploader.upload(data, f"big-{n}.bin")
                time.sleep(0.2)
                uploads.append(Upload(seconds, before, max([before, *samples]), rss_bytes(server.pid)))
            return uploads
    finally:
        if cluster is not None:
            cluster.stop()


def report(store: str, uploads: list[Upload], mib: int) -> str:
    def mib_of(value: float) -> str:
        return f"{value / MIB:.1f}"

    rates = [mib / u.seconds for u in uploads]
    growth = [u.peak - u.before for u in uploads]
    each = " ".join(f"{rate:.1f}" for rate in rates)
    lines = [
        f"{store}: {len(uploads)} uploads of {mib} MiB",
        f"  throughput MiB/s: median {statistics.median(rates):.1f}, each {each}",
        f"  seconds: median {statistics.median(u.seconds for u in uploads):.2f}",
        "  server RSS MiB before / peak / after: "
        + ", ".join(f"{mib_of(u.before)} / {mib_of(u.peak)} / {mib_of(u.after)}" for u in uploads),
        f"  peak growth during an upload, MiB: median {mib_of(statistics.median(growth))},"
        f" max {mib_of(max(growth))}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stores = ("sqlite", "postgres")
    parser.add_argument("--store", nargs="+", choices=stores, default=list(stores))
    parser.add_argument("--uploads", type=int, default=5, help="uploads of the big file per store")
    parser.add_argument(
        "--mib", type=int, default=25, help="the file's size in MiB (the server's limit is set to it)"
    )
    args = parser.parse_args()
    for store in args.store:
        with tempfile.TemporaryDirectory(prefix="chatroom-upload-bench-") as directory:
            load = os.getloadavg()
            uploads = measure(store, args, Path(directory))
            print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
            print(report(store, uploads, args.mib), flush=True)


if __name__ == "__main__":
    main()

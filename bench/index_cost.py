"""What storing a message costs the SQLite writer thread, search index included, checkout against checkout.

Each run starts, for every checkout (this one, and each ``--variant``) and
every kind of text in turn, a fresh process that opens a new SQLite store
(``synchronous=full``, WAL, every schema step) and appends ``--messages``
messages to one room through ``Store.append``, ``--window`` of them in
flight, as one sender of the big room does. It reports the CPU of the
store's writer thread (``chatroom-write``, from ``/proc``) per message: the
commit, the rows, the search index. The table gives the medians over the
runs, and the median of each run's ratio of each checkout to this one.

Texts: ``loadgen`` is what ``bench/build/loadgen`` sends (``bench N I S``
padded with ``x`` to 100 characters: its trigrams repeat); ``chat`` are the
English messages of the search benchmark (bench/search_data.py: words drawn
by their frequency, 7 a message in the median).

With ``--refs`` each message carries a ref as the page's do (``m`` and the
time in base 36, then a number): the writer also looks its digest up and
keeps it, to store a resend once. With ``--rooms N`` the messages go to N
rooms in turn, as in many small rooms, where a commit's messages land on
as many of the table's pages; ``--window`` bounds a commit's messages (one
in flight: a commit each).

    python bench/index_cost.py --runs 5 --variant before=CHECKOUT
    python bench/index_cost.py --runs 3 --refs
    python bench/index_cost.py --runs 3 --rooms 1000 --window 1     # then --window 200
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
TEXTS = ("loadgen", "chat")


def texts(kind: str, count: int) -> list[str]:
    """``count`` message texts of this kind."""
    if kind == "loadgen":
        starts = (f"bench {time.time_ns()} 0 {number} " for number in range(count))
        return [start + "x" * (100 - len(start)) for start in starts]
    import search_data  # wordfreq's words: only this kind needs them

    rng, languages = random.Random(search_data.SEED), {"en": search_data.Language.load("en")}
    return [search_data.sentence(rng, languages, "en") for _ in range(count)]


def thread_cpu_seconds(native_id: int) -> float:
    """The CPU (user and system) a thread of this process has used, from /proc."""
    fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def page_refs() -> Iterator[str]:
    """Refs as the page makes them (static/js/composer.js): the time in base 36, then a number."""
    for number in itertools.count(1):
        millis, digits = time.time_ns() // 1_000_000, ""
        while millis:
            millis, digit = divmod(millis, 36)
            digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
        yield f"m{digits}-{number}"


async def measure(kind: str, messages: int, window: int, refs: bool, rooms: int = 1) -> dict[str, float]:
    """Append the messages with ``window`` in flight, to ``rooms`` rooms in turn; the writer's and the
    process's CPU per message."""
    from chatroom.store.sqlite import SQLiteStore

    chosen = texts(kind, messages)
    with tempfile.TemporaryDirectory(prefix="chatroom-index-cost-") as directory:
        store = SQLiteStore(os.path.join(directory, "bench.db"), "full")
        await store.start()
        (writer,) = [t for t in threading.enumerate() if t.name == "chatroom-write"]
        assert writer.native_id is not None
        names = ["lobby"] if rooms == 1 else [f"room{number}" for number in range(rooms)]
        for name in names:  # every room made before the measurement
            await store.append(name, "bench", "first")
        pending = zip(itertools.cycle(names), chosen)
        made = page_refs()

        async def sender() -> None:
            for room, message in pending:
                await store.append(room, "bench", message, ref=next(made) if refs else None)

        writer_before, process_before = thread_cpu_seconds(writer.native_id), time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(window)))
        elapsed = time.perf_counter() - started
        writer_used = thread_cpu_seconds(writer.native_id) - writer_before
        process_used = time.process_time() - process_before
        await store.close()
    return {
        "writer_us": writer_used / messages * 1e6,
        "process_us": process_used / messages * 1e6,
        "per_second": messages / elapsed,
    }


def run_child(code: Path, kind: str, args: argparse.Namespace) -> dict[str, float]:
    """One measurement in a fresh process running the checkout at ``code``."""
    command = [sys.executable, __file__, "--child", kind, "--messages", str(args.messages)]
    command += ["--window", str(args.window), "--rooms", str(args.rooms), *(["--refs"] if args.refs else [])]
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(command, env=env, cwd=code, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=30_000)
    parser.add_argument("--window", type=int, default=20, help="appends in flight")
    parser.add_argument("--refs", action="store_true", help="each message with a ref, as the page sends it")
    parser.add_argument("--rooms", type=int, default=1, help="rooms the messages go to in turn")
    parser.add_argument("--variant", action="append", default=[], help="NAME=CHECKOUT, measured alike")
    parser.add_argument("--child", choices=TEXTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(measure(args.child, args.messages, args.window, args.refs, args.rooms))))
        return
    checkouts = {"this": REPO, **{v.split("=", 1)[0]: Path(v.split("=", 1)[1]) for v in args.variant}}
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    for run in range(args.runs):
        for kind in TEXTS:
            for name, code in checkouts.items():
                result = run_child(code, kind, args)
                results.setdefault((name, kind), []).append(result)
                print(
                    f"run {run + 1} {name:8} {kind:8} writer {result['writer_us']:6.1f} µs a message"
                    f"  process {result['process_us']:6.1f}  {result['per_second']:8,.0f}/s",
                    flush=True,
                )
    print("\n| checkout | text | writer µs a message | process µs a message | messages/s | writer × this |")
    print("|---|---|---:|---:|---:|---:|")
    for (name, kind), rows in results.items():
        ratios = [r["writer_us"] / t["writer_us"] for r, t in zip(rows, results[("this", kind)], strict=True)]
        print(
            f"| {name} | {kind} | {statistics.median(r['writer_us'] for r in rows):.1f}"
            f" | {statistics.median(r['process_us'] for r in rows):.1f}"
            f" | {statistics.median(r['per_second'] for r in rows):,.0f} | ×{statistics.median(ratios):.2f} |"
        )


if __name__ == "__main__":
    main()

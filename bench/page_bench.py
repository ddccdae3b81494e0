"""The chat page in a busy room, in Debian's Chromium: what its main thread spends, and whether it keeps up.

For every checkout given with ``--tree NAME=PATH``, alternating, ``--reps``
times each, a fresh ``python -m chatroom`` (that checkout's page) on a fresh
database, and one page (a guest, "reader", in a fresh browser context) through
the scenarios:

- ``crowd``: ``--members`` members online (raw sockets that only read), one
  leaving and another arriving ``--churn`` times a second, ``--crowd-rate``
  messages a second from five authors, for ``--seconds``, while the reader
  types in the message box;
- ``traffic``: ``--rate`` messages a second in a room of a few, the same way;
- ``scrollback``: a room with ``--history`` messages, scrolled back to its first;
- ``replay``: the page cut off (its socket through a Playwright route) while
  ``--missed`` messages are sent, then back: the ``since`` replay.

Per scenario: the renderer's main-thread time per second (CDP
Performance.getMetrics: task, script, layout, style), layouts and style
recalculations, long tasks (count and total), animation frames later than
50 ms, key-to-next-frame in the message box (median, 95th percentile), the
seconds the page took to show the last message once the load stopped (or to
reach the first message, or to show the replay), and the page's DOM nodes and
JS heap at the end. Prints one JSON line per run, then medians per tree and
the ratio of each tree to the first.

    cd /tmp/wt-speed && git archive BASE | tar -x -C /tmp/speed/base  # the checkout to compare with
    python bench/page_bench.py --tree before=/tmp/speed/base --tree after=. --reps 5
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, WebSocketRoute, sync_playwright
from websockets.asyncio.client import connect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AUTHORS = ["ada", "grace", "linus", "barbara", "ken"]
WORDS = [
    "the",
    "a",
    "chat",
    "room",
    "busy",
    "page",
    "message",
    "scroll",
    "list",
    "frame",
    "time",
    "people",
    "online",
    "late",
    "soon",
]

# What the page records for the bench: long tasks, late frames, key to next frame.
PROBE = """
window.__bench = {on: false, long: [], frames: 0, late: 0, worst: 0, keys: []};
new PerformanceObserver((list) => {
  if (__bench.on) for (const e of list.getEntries()) __bench.long.push(e.duration);
}).observe({type: "longtask", buffered: false});
let __last = performance.now();
const __tick = (t) => {
  const gap = t - __last;
  __last = t;
  if (__bench.on) {
    __bench.frames += 1;
    if (gap > 50) __bench.late += 1;
    __bench.worst = Math.max(__bench.worst, gap);
  }
  requestAnimationFrame(__tick);
};
requestAnimationFrame(__tick);
document.addEventListener("keydown", (e) => {
  const start = e.timeStamp;
  requestAnimationFrame(() => __bench.on && __bench.keys.push(performance.now() - start));
}, true);
"""
METRICS = (
    "TaskDuration",
    "ScriptDuration",
    "LayoutDuration",
    "RecalcStyleDuration",
    "LayoutCount",
    "RecalcStyleCount",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``python -m chatroom`` from one checkout, limits raised for load."""

    def __init__(self, tree: Path, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        db = workdir / f"chat-{self.port}.db"
        command = [
            sys.executable,
            "-m",
            "chatroom",
            "--port",
            str(self.port),
            "--database",
            str(db),
            "--guests",
        ]
        command += ["--rate", "1000", "--burst", "1000", "--join-rate", "0", "--new-rooms-per-minute", "0"]
        command += ["--ping-interval", "0", "--sqlite-synchronous", "off", "--log-level", "warning"]
        env = {**os.environ, "PYTHONPATH": str(tree)}
        self.log = open(workdir / f"server-{self.port}.log", "w")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"server did not start: {self.log.name}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


# --- load, on an event loop in a thread of its own ------------------------------------------


class Load:
    """Members who only read, churn, and authors who send, on one event loop in a thread."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.readers: list[asyncio.StreamWriter] = []
        self.tasks: list[asyncio.Future[Any]] = []
        self.running = False
        self.sent: list[str] = []
        self.last_sent_at = 0.0

    def run(self, coroutine: Any, timeout: float = 300) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def start(self, coroutine: Any) -> None:
        self.tasks.append(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    async def reader(self, room: str, nick: str) -> asyncio.StreamWriter:
        """A member who reads and discards everything (a raw socket: no parsing, no pongs needed)."""
        stream, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /ws?room={room}&nick={nick} HTTP/1.1\r\nHost: 127.0.0.1:{self.server.port}\r\n"
                f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        await stream.readuntil(b"\r\n\r\n")

        async def drain() -> None:
            with contextlib.suppress(OSError):
                while await stream.read(1 << 16):
                    pass

        self.loop.create_task(drain())
        return writer

    async def crowd(self, room: str, members: int) -> None:
        for start in range(0, members, 50):
            batch = [self.reader(room, f"m{n}") for n in range(start, min(members, start + 50))]
            self.readers += await asyncio.gather(*batch)

    async def churn(self, room: str, per_second: float) -> None:
        """One member leaves and another arrives, ``per_second`` times a second."""
        n = len(self.readers)
        while self.running:
            await asyncio.sleep(1 / per_second)
            gone = self.readers.pop(random.randrange(len(self.readers)))
            gone.close()
            n += 1
            self.readers.append(await self.reader(room, f"m{n}"))

    async def send(self, room: str, per_second: float, count: int | None = None) -> None:
        """Messages from the authors in turn at ``per_second`` (or ``count`` of them as fast as stored)."""
        url = f"ws://127.0.0.1:{self.server.port}/ws"
        async with contextlib.AsyncExitStack() as stack:
            sockets = [
                await stack.enter_async_context(
                    connect(f"{url}?room={room}&nick={a}", proxy=None, max_size=None)
                )
                for a in AUTHORS
            ]
            for ws in sockets:
                self.loop.create_task(self._discard(ws))
            sent = 0
            started = time.monotonic()
            while self.running if count is None else sent < count:
                text = self.text(sent)
                await sockets[sent % len(sockets)].send(text)
                self.sent.append(text)
                self.last_sent_at = time.monotonic()
                sent += 1
                if count is None:
                    await asyncio.sleep(max(0.0, started + sent / per_second - time.monotonic()))
                elif sent % 200 == 0:
                    await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)  # the last ones stored before the authors leave

    @staticmethod
    async def _discard(ws: Any) -> None:
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass

    @staticmethod
    def text(n: int) -> str:
        rng = random.Random(n)
        words = [rng.choice(WORDS) for _ in range(rng.choice([3, 6, 12, 30]))]
        if n % 7 == 0:
            words.insert(0, f"@{rng.choice(AUTHORS)}")
        return f"#{n} " + " ".join(words)

    def close(self) -> None:
        self.running = False
        for task in self.tasks:
            with contextlib.suppress(Exception):
                task.result(30)

        async def shut() -> None:
            for writer in self.readers:
                writer.close()

        self.run(shut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


# --- the page ------------------------------------------------------------------------------------


def metrics(cdp: Any) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def open_page(
    browser: Browser, server: Server, room: str, route: Callable[[WebSocketRoute], None] | None = None
):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script("localStorage.setItem('chatroom.nick', 'reader');")
    context.add_init_script(PROBE)
    page = context.new_page()
    if route:
        page.route_web_socket(re.compile(r"/ws\?"), route)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/?room={room}")
    page.wait_for_selector('#status[data-state="online"]', timeout=90000)
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    return page, cdp, errors


def measuring(page: Page, cdp: Any) -> tuple[float, dict[str, float]]:
    page.evaluate(
        "() => { Object.assign(__bench, {on: true, long: [], frames: 0, late: 0, worst: 0, keys: []}); }"
    )
    return time.monotonic(), metrics(cdp)


def measured(page: Page, cdp: Any, started: float, before: dict[str, float]) -> dict[str, Any]:
    seconds = time.monotonic() - started
    after = metrics(cdp)
    probe = page.evaluate("() => { __bench.on = false; return __bench; }")
    keys = sorted(probe["keys"])
    out: dict[str, Any] = {"seconds": round(seconds, 2)}
    for name in METRICS:
        delta = after[name] - before[name]
        out[name] = (
            round(delta * 1000 / seconds, 1) if name.endswith("Duration") else round(delta / seconds, 1)
        )
    out |= {
        "long_tasks": len(probe["long"]),
        "long_ms": round(sum(probe["long"])),
        "frames_per_s": round(probe["frames"] / seconds, 1),
        "late_frames": probe["late"],
        "worst_frame_ms": round(probe["worst"]),
        "key_ms_median": round(statistics.median(keys), 1) if keys else None,
        "key_ms_p95": round(keys[int(len(keys) * 0.95)], 1) if keys else None,
        "nodes": int(after["Nodes"]),
        "heap_mb": round(after["JSHeapUsedSize"] / 2**20, 1),
    }
    return out


def type_for(page: Page, seconds: float) -> None:
    """Someone typing in the message box (never sending), a key every 100 ms or so, mentions included."""
    keys = [*"hi @m1", *["Backspace"] * 6]
    page.locator("#text").focus()
    deadline = time.monotonic() + seconds
    typed = 0
    while time.monotonic() < deadline:
        page.keyboard.press(keys[typed % len(keys)])
        typed += 1
        time.sleep(0.1)


def last_shown(page: Page, text: str, timeout: float = 120) -> float:
    """When (time.monotonic) the page shows the message ``text``."""
    page.wait_for_function(
        "t => [...document.querySelectorAll('#messages .msg .text')].some((n) => n.textContent === t)",
        arg=text,
        timeout=timeout * 1000,
        polling=50,
    )
    return time.monotonic()


def busy_room(
    browser: Browser, server: Server, args: argparse.Namespace, members: int, rate: float, churn: float
):
    room = f"busy{members}x{int(rate)}"
    load = Load(server)
    try:
        load.run(load.crowd(room, members))
        page, cdp, errors = open_page(browser, server, room)
        page.wait_for_function(f"document.querySelectorAll('#users li').length >= {members}", timeout=60000)
        load.running = True
        if churn:
            load.start(load.churn(room, churn))
        load.start(load.send(room, rate))
        time.sleep(2)  # under way
        started, before = measuring(page, cdp)
        type_for(page, args.seconds)
        out = measured(page, cdp, started, before)
        load.running = False
        for task in load.tasks:
            task.result(30)
        out["caught_up_s"] = round(last_shown(page, load.sent[-1]) - load.last_sent_at, 2)
        out["messages"] = len(load.sent)
        out["errors"] = errors
        page.context.close()
        return out
    finally:
        load.close()


def scrollback(browser: Browser, server: Server, args: argparse.Namespace) -> dict[str, Any]:
    room = "history"
    load = Load(server)
    try:
        load.run(load.send(room, 0, count=args.history))
    finally:
        load.close()
    page, cdp, errors = open_page(browser, server, room)
    page.wait_for_selector("#messages .msg")
    started, before = measuring(page, cdp)
    pages = 0
    while not page.locator("#history-start").is_visible():
        first = page.eval_on_selector("#messages .msg", "m => m.dataset.id")
        page.eval_on_selector("#scroller", "s => { s.scrollTop = 0; }")
        page.wait_for_function(
            "f => document.querySelector('#messages .msg').dataset.id !== f "
            "|| !document.querySelector('#history-start').hidden",
            arg=first,
            timeout=60000,
        )
        pages += 1
    out = measured(page, cdp, started, before)
    out["pages"] = pages
    out["first_shown"] = page.eval_on_selector("#messages .msg", "m => m.dataset.id") == "1"
    out["errors"] = errors
    page.context.close()
    return out


def replay(browser: Browser, server: Server, args: argparse.Namespace) -> dict[str, Any]:
    room = "replay"
    line = {"cut": False, "open": []}

    def route(page_side: WebSocketRoute) -> None:
        if line["cut"]:
            page_side.close(code=1011, reason="offline")
            return
        line["open"].append((page_side, page_side.connect_to_server()))

    load = Load(server)
    try:
        load.run(load.send(room, 0, count=50))  # what the page held before
    finally:
        load.close()
    page, cdp, errors = open_page(browser, server, room, route)
    page.wait_for_selector("#messages .msg")
    line["cut"] = True
    for page_side, server_side in line["open"]:
        server_side.close()  # the server sees the member go
        page_side.close(code=1011, reason="offline")
    page.wait_for_selector('#status[data-state="offline"]')
    load = Load(server)
    try:
        load.run(load.send(room, 0, count=args.missed))
    finally:
        load.close()
    started, before = measuring(page, cdp)
    line["cut"] = False
    page.evaluate("window.dispatchEvent(new Event('online'))")
    shown = last_shown(page, load.sent[-1])
    out = measured(page, cdp, started, before)
    out["shown_s"] = round(shown - started, 2)
    out["items"] = page.eval_on_selector("#messages", "l => l.childElementCount")
    out["errors"] = errors
    page.context.close()
    return out


def one_run(browser: Browser, tree: Path, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    server = Server(tree, workdir)
    try:
        results: dict[str, Any] = {}
        for scenario in args.scenarios.split(","):
            if scenario == "crowd":
                results[scenario] = busy_room(
                    browser, server, args, args.members, args.crowd_rate, args.churn
                )
            elif scenario == "traffic":
                results[scenario] = busy_room(browser, server, args, 3, args.rate, 0)
            elif scenario == "scrollback":
                results[scenario] = scrollback(browser, server, args)
            elif scenario == "replay":
                results[scenario] = replay(browser, server, args)
        return results
    finally:
        server.stop()


def summary(runs: list[tuple[str, dict[str, Any]]], names: list[str]) -> dict[str, Any]:
    """Medians per tree and scenario, and each tree's ratio to the first tree's."""
    out: dict[str, Any] = {}
    for name in names:
        mine = [r for n, r in runs if n == name]
        out[name] = {}
        for scenario in mine[0]:
            fields = [
                k
                for k, v in mine[0][scenario].items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            ]
            out[name][scenario] = {
                k: statistics.median([r[scenario][k] for r in mine if r[scenario].get(k) is not None] or [0])
                for k in fields
            }
    first = names[0]
    for name in names[1:]:
        out[f"{name}/{first}"] = {
            scenario: {
                k: round(v / out[first][scenario][k], 3) if out[first][scenario][k] else None
                for k, v in values.items()
            }
            for scenario, values in out[name].items()
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", required=True, help="NAME=PATH of a checkout (repeat)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--scenarios", default="crowd,traffic,scrollback,replay")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--churn", type=float, default=10, help="leaves and arrivals a second (crowd)")
    parser.add_argument("--crowd-rate", type=float, default=10, help="messages a second (crowd)")
    parser.add_argument("--rate", type=float, default=60, help="messages a second (traffic)")
    parser.add_argument("--history", type=int, default=2000)
    parser.add_argument("--missed", type=int, default=1000)
    args = parser.parse_args()
    trees = [(name, Path(path).resolve()) for name, path in (t.split("=", 1) for t in args.tree)]
    runs: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="page-bench-") as workdir, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for rep in range(args.reps):
            for name, tree in trees if rep % 2 == 0 else reversed(trees):
                result = one_run(browser, tree, args, Path(workdir))
                runs.append((name, result))
                print(json.dumps({"tree": name, "rep": rep, **result}), flush=True)
        browser.close()
    print(json.dumps(summary(runs, [name for name, _ in trees]), indent=1))


if __name__ == "__main__":
    main()

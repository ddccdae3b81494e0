"""The plots of docs/benchmarks/plots.md, one per workload, from the runs kept in bench/recorded/.

Every figure shows medians over repetitions with bars from the smallest to the
largest run, names the peers (and which of them store nothing), and carries a
caption with the date, the load average before the runs and the command that
recorded them. bench/plot.py is the command line.
"""

from __future__ import annotations

import json
import shlex
import statistics
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

Run = dict[str, Any]

# The peers store nothing: they relay each frame to the room and forget it.
LABELS = {
    "product": "chatroom (stores every message)",
    "reference": "bare Tornado reference (stores nothing)",
    "node": "Node ws (stores nothing)",
    "fastapi": "FastAPI with rooms (stores nothing)",
    "tornado": "tutorial Tornado (stores nothing)",
}
COLOURS = {
    "product": "tab:blue",
    "reference": "tab:gray",
    "node": "tab:green",
    "fastapi": "tab:orange",
    "tornado": "tab:purple",
    # Deployments (bench/deploy_bench.py): blues for SQLite, greens for PostgreSQL.
    "sqlite:1": "#9ecae1",
    "sqlite+redis:1": "#4292c6",
    "sqlite+redis:2": "#08519c",
    "postgres:1": "#a1d99b",
    "postgres+redis:1": "#41ab5d",
    "postgres+redis:2": "#006d2c",
}
SHORT = {"reference": "reference", "node": "Node ws", "fastapi": "FastAPI", "tornado": "tutorial Tornado"}
# bench/loadgen.c's latency histogram (BUCKETS x BUCKET_NS) clamps longer latencies to its top.
HISTOGRAM_TOP_MS = 5000.0
# The performance goal (docs/benchmarks.md, *The performance goals*): at most 12 KiB of RSS
# a member at 10,000.
IDLE_TARGET_KIB = 12.0
CAPTION_WIDTH = 150  # characters a caption line holds at 7 pt across a 10-inch figure


def load(paths: Iterable[Path]) -> list[Run]:
    """Every run of every file, in order."""
    return [json.loads(line) for path in paths for line in path.read_text().splitlines() if line.strip()]


@dataclass(frozen=True)
class Spread:
    """The median of a figure over repetitions, and its smallest and largest value."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        chosen = list(values)
        return cls(statistics.median(chosen), min(chosen), max(chosen))


def label(server: str) -> str:
    """A server's name in a legend; ``product@NAME`` is another checkout of chatroom."""
    base, _, variant = server.partition("@")
    return f"chatroom {variant}" if variant else LABELS.get(base, base)


def colour(server: str, index: int) -> str:
    return COLOURS.get(server, f"C{index + 5}")


def by_key(runs: Iterable[Run], key: str) -> dict[str, list[Run]]:
    """Runs grouped by one field, in the order the groups first appear."""
    groups: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        groups[str(run[key])].append(run)
    return dict(groups)


def ratios(runs: list[Run], server: str, baseline: str, value: Callable[[Run], float]) -> list[float]:
    """``server`` against ``baseline`` in each repetition they shared (same command, same rep)."""
    base = {(r.get("argv"), r["rep"]): value(r) for r in runs if r["server"] == baseline}
    return [
        value(r) / base[(r.get("argv"), r["rep"])]
        for r in runs
        if r["server"] == server and base.get((r.get("argv"), r["rep"]))
    ]


def command_of(runs: list[Run]) -> str:
    """The recording command; where the invocations differ, each differing word lists its values."""
    commands = list(dict.fromkeys(r["argv"] for r in runs if r.get("argv")))
    if len(commands) <= 1:
        return commands[0] if commands else ""
    words = [shlex.split(c) for c in commands]
    if len({len(w) for w in words}) != 1:
        return "; ".join(commands)
    merged = [
        column[0] if len(set(column)) == 1 else "{" + ",".join(dict.fromkeys(column)) + "}"
        for column in zip(*words, strict=True)
    ]
    return " ".join(merged)


def caption(runs: list[Run], note: str = "") -> str:
    """When the runs were taken, how busy the machine was before them, and the command."""
    # bench/deploy_bench.py keeps the day apart from the time.
    started = sorted(f"{r.get('date', '')} {r['started']}".strip() for r in runs if r.get("started"))
    loads = [float(r["loadavg"]) for r in runs if "loadavg" in r]
    when = f"{started[0]} – {started[-1][-8:]} UTC" if started else "undated"
    busy = f", load average {min(loads):.2f}–{max(loads):.2f} before each run" if loads else ""
    groups = by_key(({**r, "group": (r["server"], r.get("argv"))} for r in runs), "group")
    reps = round(statistics.median(len(g) for g in groups.values()))
    text = f"{when}{busy}; medians of {reps} repetitions, whiskers min..max. {note}{command_of(runs)}"
    return "\n".join(textwrap.wrap(text, CAPTION_WIDTH))


def finish(figure: Figure, text: str, out: Path) -> None:
    """Caption at the bottom, the rest laid out above it, saved as PNG."""
    lines = text.count("\n") + 1
    height = figure.get_figheight()
    bottom = (0.15 + 0.13 * lines) / height
    figure.text(0.01, 0.02 / height, text, fontsize=7, family="monospace", va="bottom", ha="left")
    figure.tight_layout(rect=(0, bottom, 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
    print(f"wrote {out}")


def bars(
    axes: Axes,
    spreads: dict[str, Spread],
    notes: dict[str, str],
    fmt: Callable[[float], str],
    legend: bool = True,
) -> None:
    """One bar per server (median), min..max whiskers, each bar's value and note above it."""
    names = list(spreads)
    for index, name in enumerate(names):
        spread = spreads[name]
        axes.bar(index, spread.median, color=colour(name, index), width=0.6)
        axes.errorbar(
            index,
            spread.median,
            yerr=[[spread.median - spread.low], [spread.high - spread.median]],
            color="black",
            capsize=5,
        )
        text = fmt(spread.median) + (f"\n{notes[name]}" if notes.get(name) else "")
        axes.annotate(
            text,
            (index, spread.high),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    axes.set_xticks(range(len(names)), [textwrap.fill(label(n), 18) for n in names], fontsize=8)
    axes.set_ylim(0, max(s.high for s in spreads.values()) * 1.4)
    axes.grid(True, axis="y", alpha=0.3)
    if legend:
        axes.legend(
            handles=[Patch(color=colour(n, i), label=label(n)) for i, n in enumerate(names)],
            fontsize=7,
            loc="upper right",
        )


def against_peers(runs: list[Run], value: Callable[[Run], float]) -> tuple[dict[str, Spread], dict[str, str]]:
    """Each server's spread of ``value``; chatroom's notes: its ratio to each peer, per repetition."""
    servers = by_key(runs, "server")
    spreads = {name: Spread.of(value(r) for r in mine) for name, mine in servers.items()}
    notes = {}
    peers = [name for name in servers if not name.startswith("product")]
    for name in servers:
        lines = []
        for peer in peers if name.startswith("product") else []:
            shared = ratios(runs, name, peer, value)
            if shared:
                lines.append(f"×{times(statistics.median(shared))} {SHORT.get(peer, peer)}")
        notes[name] = "\n".join(lines)
    return spreads, notes


def millions(value: float) -> str:
    return f"{value / 1e6:.2f}M"


def whole(value: float) -> str:
    return f"{value:,.0f}"


def plot_bigroom(runs: list[Run], out: Path) -> None:
    """Deliveries a second in one room of 1,000, flat out, against the peers."""
    figure, axes = plt.subplots(figsize=(10, 5.2))
    spreads, notes = against_peers(runs, lambda r: float(r["deliveries_per_s"]))
    bars(axes, spreads, notes, millions)
    axes.yaxis.set_major_formatter(lambda value, _: f"{value / 1e6:.1f}M")
    axes.set_ylabel("deliveries per second")
    first = runs[0]
    axes.set_title(
        f"One room of {first['members']:,} members, flat out"
        f" ({first['senders']} sender, {first['window']} messages in flight, {first['size']}-byte texts)"
    )
    finish(figure, caption(runs), out)


def messages_per_s(run: Run) -> float:
    """Messages delivered a second: deliveries over the members of a room (every member gets each)."""
    per_room = int(run["members"]) / int(run["rooms"])
    return float(run["deliveries_per_s"]) / per_room


def plot_rooms(runs: list[Run], out: Path) -> None:
    """Messages a second, stored by chatroom and relayed by the peers, in many small rooms."""
    figure, axes = plt.subplots(figsize=(10, 5.2))
    spreads, notes = against_peers(runs, messages_per_s)
    bars(axes, spreads, notes, whole)
    per_room = int(runs[0]["members"]) // int(runs[0]["rooms"])
    axes.set_ylabel(f"messages per second, each to {per_room} members")
    axes.yaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    axes.set_title(rooms_title(runs[0]) + ", flat out (1 message in flight per room)")
    finish(figure, caption(runs), out)


def rooms_title(run: Run) -> str:
    per_room = int(run["members"]) // int(run["rooms"])
    return f"{run['members']:,} members in {run['rooms']:,} rooms of {per_room}"


def plot_rooms_latency(runs: list[Run], out: Path) -> None:
    """At fixed offered rates: what each server delivered, and its p50 and p99 latency."""
    figure, (delivered, latency) = plt.subplots(1, 2, figsize=(11, 5.2))
    rates = sorted({float(r["rate"]) for r in runs})
    for index, (server, mine) in enumerate(by_key(runs, "server").items()):
        at_rate = by_key(mine, "rate")
        offered = [rate for rate in rates if str(rate) in at_rate]
        line_colour = colour(server, index)
        got = [Spread.of(messages_per_s(r) for r in at_rate[str(rate)]) for rate in offered]
        errorbars(delivered, offered, got, line_colour, "-", label(server))
        lines = [("p50_ms", "--", "p50"), ("p99_ms", "-", "p99")]
        if all(float(r.get("acks_per_s", 0)) > 0 for r in mine):
            # Messages sent with refs (--refs): the product acks each; the peers do not.
            lines.append(("ack_p99_ms", ":", "ack p99"))
        for key, style, what in lines:
            spreads = [Spread.of(float(r[key]) for r in at_rate[str(rate)]) for rate in offered]
            errorbars(latency, offered, spreads, line_colour, style, f"{label(server)}, {what}")
    top = max(rates) * 1.05
    delivered.plot([0, top], [0, top], color="black", linewidth=0.8, linestyle=":", label="offered")
    delivered.set_xlabel("offered rate (messages per second, in total)")
    delivered.set_ylabel("delivered (messages per second)")
    delivered.yaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    delivered.set_title("Throughput: a server that cannot keep up falls below the dotted line", fontsize=9)
    if any(float(r["p50_ms"]) >= HISTOGRAM_TOP_MS or float(r["p99_ms"]) >= HISTOGRAM_TOP_MS for r in runs):
        latency.axhline(HISTOGRAM_TOP_MS, color="red", linewidth=0.8, linestyle=":")
        latency.annotate(
            "the load generator counts up to 5 s: a point on this line means 5 s or more",
            (0.02, HISTOGRAM_TOP_MS),
            xycoords=("axes fraction", "data"),
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=7,
            color="red",
        )
    latency.set_yscale("log")
    latency.set_ylim(top=HISTOGRAM_TOP_MS * 4)
    latency.set_xlabel("offered rate (messages per second, in total)")
    latency.set_ylabel("delivery latency from the scheduled send (ms, log scale)")
    latency.set_title("Latency: p50 dashed, p99 solid, the ack's p99 dotted", fontsize=9)
    # Where the lines are not: throughput rises from the lower left, and latency
    # stays far below the 5 s top until a server falls behind at the highest rates.
    delivered.legend(fontsize=7, loc="upper left")
    latency.legend(fontsize=7, loc="upper left")
    for axes in (delivered, latency):
        axes.grid(True, which="both", alpha=0.3)
        axes.set_xticks(rates, [f"{rate:,.0f}" for rate in rates])
    figure.suptitle(rooms_title(runs[0]) + ": latency against offered load")
    finish(figure, caption(runs), out)


def errorbars(
    axes: Axes, xs: list[float], spreads: list[Spread], line_colour: str, style: str, name: str
) -> None:
    """One line through the medians, whiskers from the smallest to the largest run."""
    medians = [s.median for s in spreads]
    axes.errorbar(
        xs,
        medians,
        yerr=[[s.median - s.low for s in spreads], [s.high - s.median for s in spreads]],
        color=line_colour,
        linestyle=style,
        marker="o",
        markersize=4,
        capsize=3,
        label=name,
    )


def kib_per_member(run: Run) -> float:
    """What joining added to the server's RSS, per member."""
    added = int(run["server_rss_kib_joined"]) - int(run["server_rss_kib_before_join"])
    return added / int(run["members"])


def plot_idle(runs: list[Run], out: Path) -> None:
    """Server memory per idle member, against the peers."""
    figure, axes = plt.subplots(figsize=(10, 5.2))
    spreads, notes = against_peers(runs, kib_per_member)
    bars(axes, spreads, notes, lambda v: f"{v:.1f} KiB")
    axes.set_ylabel("server RSS per member (KiB)")
    axes.axhline(IDLE_TARGET_KIB, color="red", linewidth=0.8, linestyle="--")
    axes.annotate(
        f"target for chatroom: ≤ {IDLE_TARGET_KIB:.0f} KiB a member",
        # Above the lowest bar, where no bar or note is in the way.
        (min(range(len(spreads)), key=lambda i: list(spreads.values())[i].high), IDLE_TARGET_KIB),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        fontsize=7,
        color="red",
    )
    first = runs[0]
    per_room = int(first["members"]) // int(first["rooms"])
    axes.set_title(
        f"Idle members: {first['members']:,} joined in {first['rooms']} rooms of {per_room}, nothing sent"
    )
    note = "Per member: (RSS once all have joined − RSS before the first join) / members. "
    finish(figure, caption(runs, note), out)


def plot_deploy(runs: list[Run], out: Path) -> None:
    """Deliveries per server CPU-second for each deployment, flat out; two processes against one."""
    flat = [dict(r, server=r["config"]) for r in runs if r["mode"] == "flat-out"]
    figure, axes = plt.subplots(figsize=(10, 5.2))
    spreads = {
        name: Spread.of(float(r["deliveries_per_cpu_s"]) for r in mine)
        for name, mine in by_key(flat, "server").items()
    }
    notes = {}
    for name in spreads:
        store, _, processes = name.partition(":")
        single = f"{store}:1"
        shared = ratios(flat, name, single, lambda r: float(r["deliveries_per_cpu_s"]))
        if processes != "1" and shared:
            notes[name] = f"×{times(statistics.median(shared))} {single}"
    bars(axes, spreads, notes, lambda v: f"{v / 1e3:.0f}k", legend=False)
    axes.yaxis.set_major_formatter(lambda value, _: f"{value / 1e3:.0f}k")
    axes.set_ylabel("deliveries per server CPU-second\n(chatroom + PostgreSQL + Redis, one core)")
    first = flat[0]
    axes.set_title(
        f"Deployments, flat out: {first['members']:,} members in {first['rooms']} rooms,"
        f" {first['senders']} senders, {first['window']} messages in flight each"
    )
    note = (
        "Configurations are store[+redis]:processes; the server side is pinned to one core;"
        " the target is two processes at ×0.90 of one or better. "
    )
    finish(figure, caption(flat, note), out)


def times(ratio: float) -> str:
    """A ratio with two significant digits (0.59, 12)."""
    return f"{ratio:.2f}" if ratio < 1 else f"{ratio:.3g}"

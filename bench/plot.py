"""Plot recorded benchmark runs: one PNG per workload for docs/benchmarks/plots.md.

    python bench/plot.py all                      # every workload recorded in bench/recorded/
    python bench/plot.py rooms-latency            # one workload
    python bench/plot.py bigroom bench/results/20261202-140000.jsonl --out /tmp/bigroom.png
    python bench/plot.py flat bench/results/flat.jsonl --prefix docs/bench-flat

Workloads and what they read (bench/recorded/<workload>.jsonl unless files are given;
several files are read together):

- bigroom: one room of 1,000, flat out (bench/run.py): deliveries/s against the peers;
- rooms: 10,000 members in rooms of 10, flat out (bench/run.py): messages/s against the peers;
- rooms-latency: the same rooms at fixed rates (bench/run.py --rate): delivered messages/s and
  p50/p99 latency against the offered rate;
- idle: idle members (bench/run.py --idle): server RSS per member against the peers;
- deploy: bench/deploy_bench.py, flat out: deliveries per server CPU-second per configuration;
- flat: the November series (bench/run.py at several --members): <prefix>-deliveries.png and
  <prefix>-p99.png against members.

Each writes docs/bench-<workload>.png unless --out says otherwise. Medians over repetitions,
bars from the smallest to the largest run. Needs matplotlib (bench/requirements.txt).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

sys.path.insert(0, str(Path(__file__).resolve().parent))

import plot_workloads
from plot_workloads import Run, load

BENCH = Path(__file__).resolve().parent
RECORDED = BENCH / "recorded"
DOCS = BENCH.parent / "docs"
WORKLOADS: dict[str, Callable[[list[Run], Path], None]] = {
    "bigroom": plot_workloads.plot_bigroom,
    "rooms": plot_workloads.plot_rooms,
    "rooms-latency": plot_workloads.plot_rooms_latency,
    "idle": plot_workloads.plot_idle,
    "deploy": plot_workloads.plot_deploy,
}


def plot_flat(runs: list[Run], key: str, ylabel: str, title: str, out: Path) -> None:
    """One line per server: the median of ``key`` per member count."""
    by_server: dict[str, dict[int, list[Run]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        by_server[run["server"]][int(run["members"])].append(run)
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    for server, by_members in by_server.items():
        members = sorted(by_members)
        values = [[float(r[key]) for r in by_members[m]] for m in members]
        medians = [statistics.median(v) for v in values]
        low = [m - min(v) for m, v in zip(medians, values, strict=True)]
        high = [max(v) - m for m, v in zip(medians, values, strict=True)]
        axes.errorbar(
            members, medians, yerr=[low, high], marker="o", capsize=3, label=plot_workloads.label(server)
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("members in the room")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)


def plot_workload(name: str, files: list[Path], out: Path | None) -> None:
    """One workload's PNG from its recorded runs."""
    paths = files or [RECORDED / f"{name}.jsonl"]
    missing = [p for p in paths if not p.exists()]
    if missing:
        sys.exit(f"{name}: no recorded runs in {', '.join(map(str, missing))}")
    WORKLOADS[name](load(paths), out or DOCS / f"bench-{name}.png")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("workload", choices=[*WORKLOADS, "all", "flat"])
    parser.add_argument("results", type=Path, nargs="*", help="JSON lines files (default: bench/recorded/)")
    parser.add_argument("--out", type=Path, default=None, help="the PNG to write (one workload)")
    parser.add_argument("--prefix", default="docs/bench-flat", help="flat: where its two PNGs go")
    parser.add_argument("--title", default="flat out, 1 sender, 20 messages in flight", help="flat: title")
    args = parser.parse_args()
    if args.workload == "flat":
        runs = load(args.results)
        plot_flat(
            runs,
            "deliveries_per_s",
            "deliveries per second",
            args.title,
            Path(f"{args.prefix}-deliveries.png"),
        )
        plot_flat(runs, "p99_ms", "p99 latency (ms)", args.title, Path(f"{args.prefix}-p99.png"))
    elif args.workload == "all":
        if args.results or args.out:
            parser.error("all: reads bench/recorded/ and writes docs/; name one workload for other files")
        for name in WORKLOADS:
            if (RECORDED / f"{name}.jsonl").exists():
                plot_workload(name, [], None)
    else:
        plot_workload(args.workload, args.results, args.out)


if __name__ == "__main__":
    main()

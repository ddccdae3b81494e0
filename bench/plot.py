"""Plot bench/run.py results: deliveries/s and p99 latency against members.

    python bench/plot.py bench/results/flat.jsonl --prefix docs/bench-flat

Writes <prefix>-deliveries.png and <prefix>-p99.png (medians over repetitions,
bars from the smallest to the largest run). Needs matplotlib (bench/requirements.txt).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

LABELS = {
    "product": "chatroom (this project)",
    "tornado": "tutorial Tornado",
    "fastapi": "FastAPI ConnectionManager",
    "node": "Node ws",
}


def load(path: Path) -> dict[str, dict[int, list[dict[str, float]]]]:
    """Runs grouped by server, then by members."""
    runs: dict[str, dict[int, list[dict[str, float]]]] = defaultdict(lambda: defaultdict(list))
    for line in path.read_text().splitlines():
        run = json.loads(line)
        runs[run["server"]][int(run["members"])].append(run)
    return runs


def plot(
    runs: dict[str, dict[int, list[dict[str, float]]]], key: str, ylabel: str, title: str, out: Path
) -> None:
    """One line per server: the median of ``key`` per member count."""
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    for server, by_members in runs.items():
        members = sorted(by_members)
        values = [[float(r[key]) for r in by_members[m]] for m in members]
        medians = [statistics.median(v) for v in values]
        low = [m - min(v) for m, v in zip(medians, values, strict=True)]
        high = [max(v) - m for m, v in zip(medians, values, strict=True)]
        axes.errorbar(
            members, medians, yerr=[low, high], marker="o", capsize=3, label=LABELS.get(server, server)
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("results", type=Path)
    parser.add_argument("--prefix", default="docs/bench-flat")
    parser.add_argument("--title", default="flat out, 1 sender, 20 messages in flight")
    args = parser.parse_args()
    runs = load(args.results)
    plot(runs, "deliveries_per_s", "deliveries per second", args.title, Path(f"{args.prefix}-deliveries.png"))
    plot(runs, "p99_ms", "p99 latency (ms)", args.title, Path(f"{args.prefix}-p99.png"))


if __name__ == "__main__":
    main()

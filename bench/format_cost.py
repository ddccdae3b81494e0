"""What formatting a message's text costs the server (docs/benchmarks/formatting.md).

For typical short texts, plain and formatted: the time to read one the first
time (for a plain text, the regex that finds nothing to format; for a
formatted one, the parser), to read it again (the regex again, or the LRU
that history reads and later broadcasts meet: formatting.TreeCache), and to build and encode its
user frame as a broadcast does; then the slowest of the hostile
4000-character texts.
Run: ``python bench/format_cost.py``.
"""

from __future__ import annotations

import json
import os
import timeit
from pathlib import Path

from chatroom import formatting, protocol

TEXTS = {
    "plain": "sounds good, see you at the standup tomorrow morning",
    "plain with a mention": "@ann can you look at this before lunch?",
    "plain with snake_case": "the retry_limit in config.ini is wrong",
    "formatted, inline": "**heads up**: deploy at `15:00`, notes at https://example.com/notes",
    "formatted, a list": "todo:\n- build\n- test *twice*\n- ship",
}
HOSTILE = Path(__file__).parent.parent / "tests" / "data" / "hostile_text.json"


def best_us(call: object, number: int) -> float:
    """The best of five runs of ``number`` calls, in microseconds per call."""
    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e6  # type: ignore[arg-type]


def uncached(text: str) -> None:
    """``text`` seen for the first time: the check, then the parser if it may format."""
    if formatting.may_format(text):
        formatting.read_tree(text)


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'text':24} {'tree':>5} {'first µs':>9} {'again µs':>9} {'frame µs':>9}")
    for name, text in TEXTS.items():
        tree = formatting.format_text(text) is not None
        parse = best_us(lambda text=text: uncached(text), 2000)
        cached = best_us(lambda text=text: formatting.format_text(text), 20000)
        frame = best_us(lambda text=text: protocol.encode(protocol.user_frame(1, "r", "ann", text, 1)), 20000)
        print(f"{name:24} {tree!s:>5} {parse:9.1f} {cached:9.2f} {frame:9.2f}")
    patterns = json.loads(HOSTILE.read_text(encoding="utf-8"))["repeated_to_4000"]
    worst = max((best_us(lambda p=p: uncached((p * 4000)[:4000]), 3) / 1000, p) for p in patterns)
    print(f"slowest hostile 4000-character text: {worst[0]:.1f} ms ({worst[1]!r} repeated)")


if __name__ == "__main__":
    main()

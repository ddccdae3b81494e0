"""``python -m chatroom`` with every process profiled, for ``deploy_bench.py --count calls``.

Each process, the forked workers too, keeps a cProfile profile from its
start. SIGUSR2 writes it to ``$CHATROOM_BENCH_PROFILES/<pid>-<n>.prof`` and
starts a new one, so a process's n-th file holds what it ran between the
signal before and the n-th. Beside it, ``<pid>-<n>.calls`` holds the number
of Python calls, counted over every function: a .prof file keys functions by
file, line and name, so two dataclasses' ``__init__`` (both ``<string>``,
line 2) are one entry there and one's calls are lost. The arguments are
chatroom's own.
"""

from __future__ import annotations

import cProfile
import os
import runpy
import signal
import sys
from pathlib import Path

PROFILES = Path(os.environ["CHATROOM_BENCH_PROFILES"])


class Profiles:
    """This process's running profile and how many it has written."""

    def __init__(self) -> None:
        self.profile = cProfile.Profile()
        self.written = 0

    def start(self) -> None:
        self.profile = cProfile.Profile()
        self.profile.enable()

    def write(self, *_: object) -> None:
        self.profile.disable()
        self.written += 1
        name = f"{os.getpid()}-{self.written}"
        self.profile.dump_stats(PROFILES / f"{name}.prof")
        calls = sum(entry.callcount for entry in self.profile.getstats())
        # Written last, and whole: the reader waits for this file.
        (PROFILES / f"{name}.tmp").write_text(str(calls))
        (PROFILES / f"{name}.tmp").rename(PROFILES / f"{name}.calls")
        self.start()

    def forked(self) -> None:
        # The parent's profile is the parent's: the worker counts from its fork.
        self.profile.disable()
        self.written = 0
        self.start()


def main() -> None:
    profiles = Profiles()
    os.register_at_fork(after_in_child=profiles.forked)
    signal.signal(signal.SIGUSR2, profiles.write)
    profiles.start()
    sys.argv = ["chatroom", *sys.argv[1:]]
    runpy.run_module("chatroom", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

"""Counting chatroom's work per message instead of timing it: ``deploy_bench.py --count``.

On a shared core the same work can take more CPU (cold caches, preemption),
so CPU alone cannot tell more work from slower work. Two counts can:

- ``calls``: Python function calls, every process profiled with cProfile
  (bench/profiled_server.py); a count of the work chatroom's code does;
- ``instructions``: user-space instructions under valgrind's callgrind, the
  interpreter and every library included. About 50 times slower: only a low
  ``--rate`` is served as it would be.

Both count exactly the load generator's measured interval, in every process
of the deployment (the supervisor and its workers), and divide by the
messages sent. The CPU figures of a counted run are the profiler's, not
chatroom's: take speed from runs without ``--count``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


class CallCounter:
    """Python calls per message, from a cProfile profile of every process."""

    key = "calls_per_message"
    title = "calls/msg"
    startup_timeout = 60.0

    def __init__(self, scratch: Path) -> None:
        self.profiles = scratch
        self.measured: list[int] = []

    def wrap(self, command: list[str], env: dict[str, str]) -> list[str]:
        """``python -m chatroom ...`` run by the profiling wrapper instead."""
        assert command[1:3] == ["-m", "chatroom"], command
        env["CHATROOM_BENCH_PROFILES"] = str(self.profiles)
        return [command[0], str(BENCH / "profiled_server.py"), *command[3:]]

    def at_mark(self, word: str, pids: list[int]) -> None:
        # At "measuring" each process writes its first profile and starts the
        # one the measured interval fills; at "measured" it writes that one.
        for pid in pids:
            os.kill(pid, signal.SIGUSR2)
        if word == "measured":
            self.measured = pids

    def per_message(self, messages: int) -> float:
        files = [self.profiles / f"{pid}-2.calls" for pid in self.measured]
        _wait_for(files)
        return sum(int(path.read_text()) for path in files) / (messages or 1)


class InstructionCounter:
    """User-space instructions per message, from callgrind, collecting only while measured."""

    key = "instructions_per_message"
    title = "instr/msg"
    startup_timeout = 900.0

    def __init__(self, scratch: Path) -> None:
        if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
            sys.exit("--count instructions needs valgrind (Debian: apt-get install valgrind)")
        self.dumps = scratch
        self.measured: list[int] = []

    def wrap(self, command: list[str], env: dict[str, str]) -> list[str]:
        """The command under callgrind, instrumenting nothing until the interval starts."""
        out = self.dumps / "%p.callgrind"
        # Without --trace-children callgrind_control cannot find the forked workers.
        valgrind = ["valgrind", "--tool=callgrind", "--trace-children=yes", "--instr-atstart=no"]
        return [*valgrind, f"--callgrind-out-file={out}", *command]

    def at_mark(self, word: str, pids: list[int]) -> None:
        for pid in pids:
            if word == "measuring":
                _control("--instr=on", pid)
            else:
                _control("--dump=measured", pid)
                _control("--instr=off", pid)
        if word == "measured":
            self.measured = pids

    def per_message(self, messages: int) -> float:
        # The dump at "measured" is each process's first, <pid>.callgrind.1.
        files = [self.dumps / f"{pid}.callgrind.1" for pid in self.measured]
        _wait_for(files)
        return sum(_instructions(path) for path in files) / (messages or 1)


Counter = CallCounter | InstructionCounter
COUNTERS: dict[str, type[CallCounter] | type[InstructionCounter]] = {
    "calls": CallCounter,
    "instructions": InstructionCounter,
}


def _control(option: str, pid: int) -> None:
    # callgrind_control waits until the process has taken the command; it
    # exits 0 even when it finds no such process, and says so.
    command = ["callgrind_control", option, str(pid)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or "Error" in done.stdout + done.stderr:
        raise RuntimeError(f"callgrind_control {option} {pid}: {done.stdout}{done.stderr}")


def _instructions(dump: Path) -> int:
    for line in dump.read_text(errors="replace").splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise RuntimeError(f"{dump}: no totals line")


def _wait_for(files: list[Path], timeout: float = 60.0) -> None:
    """Until every file is written whole (a profile is written on the process's next bytecode)."""
    deadline = time.monotonic() + timeout
    while not all(_settled(path) for path in files):
        if time.monotonic() > deadline:
            raise RuntimeError(f"not written: {[str(p) for p in files if not p.exists()]}")
        time.sleep(0.2)


def _settled(path: Path) -> bool:
    if not path.exists():
        return False
    size = path.stat().st_size
    time.sleep(0.1)
    return size > 0 and path.stat().st_size == size

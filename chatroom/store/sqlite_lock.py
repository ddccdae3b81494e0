"""Taking SQLite's write lock when other processes write to the same file.

Several processes may share one SQLite file (``--processes`` with Redis);
each has a writer, and a writer's transaction holds the file's write lock
from ``BEGIN IMMEDIATE`` to its commit. A writer that finds the lock taken
waits. SQLite's own busy handler waits by naps that grow (1, 2, 5, 10 ms...
up to 100 ms): a writer of another process that commits back to back takes
the lock again long before the napping one tries, so under load one process
starves and its messages wait hundreds of milliseconds (flat out in 100
rooms of 10, two processes: p99 250 ms, against 60 ms with short naps;
docs/benchmarks/deployments.md). So a writer whose file other processes
share takes the lock itself, with SQLite's handler off: it tries again every
quarter of a millisecond, which lands in the moment the other writer hands
its outcomes over between two commits, and after the first 50 ms of waiting
(a long transaction: an import, say) every 5 ms, to spare the CPU.

Turning the handler off and on costs two statements, which around every
transaction took about 6 % of the server's CPU at 1,000 messages a second
(a commit each): so a store alone in its file (no Redis, one process)
leaves the waiting to SQLite, and a shared file's writer keeps the handler
off from one batch of messages to the next (``for_batches``), turning it
back on only for other work between them (``for_other_work``: an
account's change, a file, the write probe), whose statements may wait
outside a transaction. Inside a batch's transaction nothing waits: in WAL
mode only ``BEGIN IMMEDIATE`` takes a lock that another process may hold.
"""

from __future__ import annotations

import sqlite3
from time import monotonic, sleep

# How long any statement waits for a lock before it fails (sqlite3.connect's timeout).
BUSY_TIMEOUT_S = 10.0
# A writer waiting for the write lock tries again after SHORT_NAP_S, then
# after LONG_NAP_S once it has waited SHORT_NAPS_FOR_S.
SHORT_NAP_S = 0.00025
LONG_NAP_S = 0.005
SHORT_NAPS_FOR_S = 0.05


class SharedFileConnection(sqlite3.Connection):
    """A writer's connection to a file that other processes write to too (``begin`` naps for its lock)."""

    # Its busy timeout is 0 (for_batches), not BUSY_TIMEOUT_S.
    impatient = False


def for_batches(conn: sqlite3.Connection) -> None:
    """Ready ``conn`` for batches of messages: a shared file's connection leaves SQLite's handler off."""
    if isinstance(conn, SharedFileConnection) and not conn.impatient:
        conn.execute("PRAGMA busy_timeout = 0")
        conn.impatient = True


def for_other_work(conn: sqlite3.Connection) -> None:
    """Ready ``conn`` for any other work: SQLite's handler on, waiting up to BUSY_TIMEOUT_S."""
    if isinstance(conn, SharedFileConnection) and conn.impatient:
        _restore_busy_timeout(conn)
        conn.impatient = False


def begin(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``: with short naps on a shared file's connection, else as SQLite waits."""
    if not isinstance(conn, SharedFileConnection):
        conn.execute("BEGIN IMMEDIATE")
    elif conn.impatient:
        _take(conn, BUSY_TIMEOUT_S)
    else:
        begin_immediate(conn)


def begin_immediate(conn: sqlite3.Connection, wait: float = BUSY_TIMEOUT_S) -> None:
    """``BEGIN IMMEDIATE`` on ``conn``, waiting up to ``wait`` seconds for another process's writer.

    Raises the last ``database is locked`` error once ``wait`` has passed, and
    any other error at once. The connection's busy timeout is back to
    BUSY_TIMEOUT_S afterwards, whatever happened.
    """
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        _take(conn, wait)
    finally:
        _restore_busy_timeout(conn)


def _restore_busy_timeout(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")


def _take(conn: sqlite3.Connection, wait: float) -> None:
    started = monotonic()
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            waited = monotonic() - started
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or waited >= wait:
                raise
        sleep(SHORT_NAP_S if waited < SHORT_NAPS_FOR_S else LONG_NAP_S)

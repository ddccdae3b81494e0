"""Schema step 21: SQLite's writer adds new messages to the trigram index itself, after their rows.

A trigger (steps 9 and 11) added each new search row to ``search_index`` as
the row was inserted. Every insert into ``search_rows`` opens a statement
savepoint (its unique and author indexes may abort it), and FTS5 writes what
it holds in memory to a new segment of the index at every savepoint: a
segment a message, each merged again and again later, which doubled what
indexing a message cost the writer (docs/benchmarks/limits.md, "The index
written once a batch"). The trigger is dropped; sqlite_search.index_messages
inserts a batch's rows, then adds them all to the index at once, so that the
batch's trigrams are written in one segment at its commit. The triggers that
follow edits and deletions stay: those are one row at a time.

PostgreSQL has nothing to change.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    21,
    "SQLite's writer adds new messages to the trigram index itself, after their rows",
    sqlite=("DROP TRIGGER search_rows_added",),
    postgres=(),
)

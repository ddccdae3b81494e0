"""Schema step 18: SQLite's trigram index keeps which messages hold each trigram, not where.

SQLite: ``search_index`` is made again with ``detail=none`` (no positions)
and ``columnsize=0`` (no table of each message's token count, which only a
ranking reads), then rebuilt from ``search_rows`` and merged into one
segment. Indexing a message cost the writer more than everything else it
does to store one (docs/benchmarks/limits.md, "A cheaper trigram index"),
and the positions are part of what it wrote, which a search does not need:
it checks every term on the message's folded text (sqlite_search.search).
A term is now asked for as its trigrams, in any order
(sqlite_grams.py, which since chooses the rarest of them).

PostgreSQL has nothing to change.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    18,
    "SQLite's trigram index keeps which messages hold each trigram, not where",
    sqlite=(
        "DROP TABLE search_index",
        "CREATE VIRTUAL TABLE search_index USING fts5(folded, content='search_rows', content_rowid='doc',"
        " tokenize='trigram', detail=none, columnsize=0)",
        # search_rows' triggers (steps 9 and 13) write into the table by its name: they stay as they are.
        "INSERT INTO search_index (search_index) VALUES ('rebuild')",
        "INSERT INTO search_index (search_index) VALUES ('optimize')",
    ),
    postgres=(),
)

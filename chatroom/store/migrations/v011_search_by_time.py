"""Schema step 11: search rows know their message's time, so a search need not sort every match.

SQLite: a ``search_rows`` doc is now ``-(ts << 20) + n`` (search_base.DOC_SHIFT):
the FTS5 index yields matches in doc order, newest first (its fast, ascending
direction), and a search stops after the newest page (sqlite_search.py). PostgreSQL: ``search_rows``
gains ``ts``, so the trigram index's matches are sorted by time without
looking each one up in ``messages`` (pg_search.py). Both rebuild the table
and its index from the rows already there.
"""

from __future__ import annotations

from ..search_base import DOC_SHIFT
from .step import Step
from .v009_search import INDEX_TRIGGERS, TRIGRAM_INDEX

# The FTS5 triggers and the trigram index are made again exactly as step 9 made them.
STEP = Step(
    11,
    "search rows know their message's time",
    sqlite=(
        "CREATE TABLE search_rows_by_time (doc INTEGER PRIMARY KEY, room TEXT NOT NULL, id INTEGER NOT NULL,"
        " folded TEXT NOT NULL, UNIQUE (room, id))",
        "INSERT INTO search_rows_by_time (doc, room, id, folded)"
        f" SELECT -(m.ts << {DOC_SHIFT}) + row_number() OVER (PARTITION BY m.ts ORDER BY m.room, m.id) - 1,"
        " d.room, d.id, d.folded FROM search_rows d JOIN messages m ON m.room = d.room AND m.id = d.id",
        "DROP TABLE search_index",
        "DROP TABLE search_rows",
        "ALTER TABLE search_rows_by_time RENAME TO search_rows",
        "CREATE VIRTUAL TABLE search_index USING fts5(folded, content='search_rows', content_rowid='doc',"
        " tokenize='trigram')",
        *INDEX_TRIGGERS,
        "INSERT INTO search_index (search_index) VALUES ('rebuild')",
    ),
    postgres=(
        'CREATE TABLE search_rows_by_time (room TEXT COLLATE "C" NOT NULL, id BIGINT NOT NULL,'
        " ts BIGINT NOT NULL, folded TEXT NOT NULL, PRIMARY KEY (room, id))",
        "INSERT INTO search_rows_by_time (room, id, ts, folded) SELECT d.room, d.id, m.ts, d.folded"
        " FROM search_rows d JOIN messages m ON m.room = d.room AND m.id = d.id",
        "DROP TABLE search_rows",
        "ALTER TABLE search_rows_by_time RENAME TO search_rows",
        "ALTER INDEX search_rows_by_time_pkey RENAME TO search_rows_pkey",
        TRIGRAM_INDEX,
        # A new table has no statistics until autovacuum comes: the planner needs them now.
        "ANALYZE search_rows",
    ),
)

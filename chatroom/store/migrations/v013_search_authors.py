"""Schema step 13: search rows know their message's author, and PostgreSQL reads them by time.

An author filter (``from``) is then answered from ``search_rows`` alone: no
message is looked up in ``messages`` but those of the page. SQLite: the
column is added and filled (the trigger that follows edits now fires on a
change of the text only), and the FTS5 index is merged into one segment.
PostgreSQL: the table is made again with the column, as step 11 did, with an
index by time (``search_rows_by_ts``) that the look through the most recent
messages reads alone (pg_search.py). Both index the rows by author, so that
an author of few messages is searched by reading them.
"""

from __future__ import annotations

from .step import Step
from .v009_search import INDEX_TRIGGERS, TRIGRAM_INDEX

_ADDED, _DROPPED, _EDITED = INDEX_TRIGGERS

STEP = Step(
    13,
    "search rows know their message's author",
    sqlite=(
        "ALTER TABLE search_rows ADD COLUMN nick TEXT NOT NULL DEFAULT ''",
        "DROP TRIGGER search_rows_edited",
        "UPDATE search_rows SET nick = (SELECT m.nick FROM messages m"
        " WHERE m.room = search_rows.room AND m.id = search_rows.id)",
        _EDITED.replace("AFTER UPDATE ON", "AFTER UPDATE OF folded ON"),
        "CREATE INDEX search_rows_by_nick ON search_rows (nick)",
        # The index grown message by message (or batch by batch) is many segments, each of which a
        # search reads: one is two to three times faster to search (8 s a million messages).
        "INSERT INTO search_index (search_index) VALUES ('optimize')",
    ),
    postgres=(
        'CREATE TABLE search_rows_by_author (room TEXT COLLATE "C" NOT NULL, id BIGINT NOT NULL,'
        " ts BIGINT NOT NULL, nick TEXT NOT NULL, folded TEXT NOT NULL, PRIMARY KEY (room, id))",
        "INSERT INTO search_rows_by_author (room, id, ts, nick, folded) SELECT d.room, d.id, d.ts, m.nick,"
        " d.folded FROM search_rows d JOIN messages m ON m.room = d.room AND m.id = d.id",
        "DROP TABLE search_rows",
        "ALTER TABLE search_rows_by_author RENAME TO search_rows",
        "ALTER INDEX search_rows_by_author_pkey RENAME TO search_rows_pkey",
        TRIGRAM_INDEX,
        "CREATE INDEX search_rows_by_ts ON search_rows (ts, room, id) INCLUDE (nick)",
        "CREATE INDEX search_rows_by_nick ON search_rows (nick)",
        # A new table has no statistics until autovacuum comes: the planner needs them now.
        "ANALYZE search_rows",
    ),
)

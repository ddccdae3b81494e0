"""Schema step 9: full-text search, a folded copy of every message in a trigram index.

SQLite: ``search_rows`` and an FTS5 table over it (trigram tokenizer, its
external content), kept in step by triggers. PostgreSQL: ``search_rows``
with a pg_trgm GIN index (the extension is created if missing, in
``public``, or used where it already is) and an index of messages by time
for the bounded scan of short queries. The fix indexes the messages already
stored (search_base.py says what the copy is).
"""

from __future__ import annotations

from ..search_base import add_sql, index_rows
from .step import Cursor, Step

# PostgreSQL: the trigram index of search_rows (step 11 makes it again).
TRIGRAM_INDEX = """
DO $$
DECLARE home TEXT;
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
  SELECT n.nspname INTO home FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
  WHERE e.extname = 'pg_trgm';
  EXECUTE format('CREATE INDEX search_rows_trigrams ON search_rows USING gin (folded %I.gin_trgm_ops)', home);
END
$$
"""


# SQLite: triggers that keep the FTS5 table in step with search_rows (step 11 makes them again).
INDEX_TRIGGERS = (
    "CREATE TRIGGER search_rows_added AFTER INSERT ON search_rows BEGIN"
    " INSERT INTO search_index (rowid, folded) VALUES (new.doc, new.folded); END",
    "CREATE TRIGGER search_rows_dropped AFTER DELETE ON search_rows BEGIN"
    " INSERT INTO search_index (search_index, rowid, folded) VALUES ('delete', old.doc, old.folded); END",
    "CREATE TRIGGER search_rows_edited AFTER UPDATE ON search_rows BEGIN"
    " INSERT INTO search_index (search_index, rowid, folded) VALUES ('delete', old.doc, old.folded);"
    " INSERT INTO search_index (rowid, folded) VALUES (new.doc, new.folded); END",
)


def _index_existing(cursor: Cursor) -> None:
    rows = cursor.fetchall("SELECT room, id, message FROM messages WHERE NOT deleted")
    cursor.executemany(
        add_sql("?"), index_rows((str(room), int(str(i)), str(text)) for room, i, text in rows)
    )


STEP = Step(
    9,
    "full-text search: a folded copy of every message in a trigram index",
    sqlite=(
        "CREATE TABLE search_rows (doc INTEGER PRIMARY KEY, room TEXT NOT NULL, id INTEGER NOT NULL,"
        " folded TEXT NOT NULL, UNIQUE (room, id))",
        "CREATE VIRTUAL TABLE search_index USING fts5(folded, content='search_rows', content_rowid='doc',"
        " tokenize='trigram')",
        *INDEX_TRIGGERS,
        "CREATE INDEX messages_by_ts ON messages (ts)",
    ),
    postgres=(
        'CREATE TABLE search_rows (room TEXT COLLATE "C" NOT NULL, id BIGINT NOT NULL,'
        " folded TEXT NOT NULL, PRIMARY KEY (room, id))",
        TRIGRAM_INDEX,
        "CREATE INDEX messages_by_ts ON messages (ts)",
    ),
    fix=_index_existing,
)

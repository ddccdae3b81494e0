"""Schema step 16: PostgreSQL's search rows store their keys, made by chatroom, not by the database.

PostgreSQL: ``search_rows`` gains ``keys``, the ``tsvector`` of step 15's
``search_keys(folded, ts)`` (its word suffixes and its week), which chatroom
now makes when it writes a row (search_words.message_keys, pg_search_rows.py),
and the index of word suffixes (``search_rows_keys``) is of that column. The
function cut every stored message's text into suffixes in SQL, about 75 µs
of the database's CPU a message, more than the rest of storing it: the
deployment's scarcest core. The table is made again with the column, as steps
11 and 13 did (an UPDATE of every row would add a version of each to every
index, and leave the old ones behind), its keys made by ``search_keys`` this
once; then the functions of steps 14 and 15 go, since nothing calls them and
the rules they held live in search_words.py alone (a copy in SQL would have
to follow every change there, on every database, by a step of its own).

SQLite has nothing to change: its FTS5 trigram index is unchanged.
"""

from __future__ import annotations

from .step import Step
from .v009_search import TRIGRAM_INDEX

# The bench's bulk load builds it after the rows, as an operator would (bench/search_bench.py).
KEYS_INDEX = "CREATE INDEX search_rows_keys ON search_rows USING gin (keys)"

STEP = Step(
    16,
    "PostgreSQL's search rows store their keys",
    sqlite=(),
    postgres=(
        'CREATE TABLE search_rows_keyed (room TEXT COLLATE "C" NOT NULL, id BIGINT NOT NULL,'
        " ts BIGINT NOT NULL, nick TEXT NOT NULL, folded TEXT NOT NULL, keys tsvector NOT NULL,"
        " PRIMARY KEY (room, id))",
        "INSERT INTO search_rows_keyed (room, id, ts, nick, folded, keys)"
        " SELECT room, id, ts, nick, folded, search_keys(folded, ts) FROM search_rows",
        "DROP TABLE search_rows",
        "ALTER TABLE search_rows_keyed RENAME TO search_rows",
        "ALTER INDEX search_rows_keyed_pkey RENAME TO search_rows_pkey",
        TRIGRAM_INDEX,
        "CREATE INDEX search_rows_by_ts ON search_rows (ts, room, id) INCLUDE (nick)",
        "CREATE INDEX search_rows_by_nick ON search_rows (nick)",
        KEYS_INDEX,
        "DROP FUNCTION search_keys(TEXT, BIGINT)",
        "DROP FUNCTION search_lexemes(TEXT)",
        # A new table has no statistics until autovacuum comes: the planner needs them now.
        "ANALYZE search_rows",
    ),
)

"""Schema step 19: PostgreSQL's word suffixes are written behind their message's four weeks.

PostgreSQL: each lexeme of a search row's ``keys`` that is a word suffix
(lower case or a digit first) gets the row's period in front of it: ``M``,
the week divided by four, a dot (search_words.PERIOD, ``with`` becomes
``M729.with``); weeks and pairs stay as they are. A word's newest weeks are
then asked for as the prefix of their periods (``'M729.with':*``), which
gathers those weeks' matches alone, where the plain ``'with':*`` gathered
every match of every week (20 ms for a common word in a million messages
before the week lexemes kept the newest). A message keeps as many lexemes
as before, so storing one costs what it did.

The rows' new keys are made once in SQL (``search_periods``, dropped at the
end; a test holds it to search_words.message_keys) and the table is made
again with them, as steps 16 and 17 did.

SQLite has nothing to change: its FTS5 trigram index is unchanged.
"""

from __future__ import annotations

from ..search_words import PERIOD, PERIOD_WEEKS, WEEK_MS
from .step import Step
from .v009_search import TRIGRAM_INDEX
from .v016_search_keys import KEYS_INDEX

# A suffix starts with a lower-case letter or a digit; a week's lexeme with W, a pair's with P.
PERIODS_FUNCTION = f"""
CREATE FUNCTION search_periods(keys tsvector, ts BIGINT) RETURNS tsvector
IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql AS $$
  SELECT array_to_tsvector(coalesce(array_agg(CASE WHEN lexeme ~ '^[0-9a-z]'
    THEN '{PERIOD}' || (ts / {WEEK_MS} / {PERIOD_WEEKS}) || '.' || lexeme ELSE lexeme END), '{{}}'))
  FROM unnest(tsvector_to_array(keys)) AS lexeme
$$
"""

STEP = Step(
    19,
    "PostgreSQL's word suffixes are written behind their message's four weeks",
    sqlite=(),
    postgres=(
        PERIODS_FUNCTION,
        'CREATE TABLE search_rows_periods (room TEXT COLLATE "C" NOT NULL, id BIGINT NOT NULL,'
        " ts BIGINT NOT NULL, nick TEXT NOT NULL, folded TEXT NOT NULL, keys tsvector NOT NULL,"
        " PRIMARY KEY (room, id))",
        "INSERT INTO search_rows_periods (room, id, ts, nick, folded, keys)"
        " SELECT room, id, ts, nick, folded, search_periods(keys, ts) FROM search_rows",
        "DROP TABLE search_rows",
        "ALTER TABLE search_rows_periods RENAME TO search_rows",
        "ALTER INDEX search_rows_periods_pkey RENAME TO search_rows_pkey",
        TRIGRAM_INDEX,
        "CREATE INDEX search_rows_by_ts ON search_rows (ts, room, id) INCLUDE (nick)",
        "CREATE INDEX search_rows_by_nick ON search_rows (nick)",
        KEYS_INDEX,
        "DROP FUNCTION search_periods(tsvector, BIGINT)",
        # A new table has no statistics until autovacuum comes: the planner needs them now.
        "ANALYZE search_rows",
    ),
)

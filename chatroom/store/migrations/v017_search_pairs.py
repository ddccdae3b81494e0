"""Schema step 17: PostgreSQL's index of word suffixes holds each pair of neighbouring words.

PostgreSQL: each search row's ``keys`` gain a lexeme for every run of ASCII
letters and digits and the next one (search_words.pair_key: ``P``, the start
of the second, a dot, the first backwards), which chatroom makes from now on
when it writes a row (search_words.message_keys). A phrase of short words
(``"to you to"``) asks the index for its pairs, a few hundred rows, where the
trigram index read the posting lists of every trigram of it, each a large part
of the table (pg_search.py).

The existing rows' pairs are made once in SQL (``search_pairs``, dropped at
the end: the rule lives in search_words.py, and a test holds this copy to it)
and the table is made again with them, as step 16 did: an UPDATE of every row
would add a version of each to every index and leave the old ones behind.

SQLite has nothing to change: its FTS5 trigram index is unchanged.
"""

from __future__ import annotations

from ..search_words import PAIR, PAIR_BEFORE, PAIR_LONG, PAIR_SHORT, WORD_CHARS
from .step import Step
from .v009_search import TRIGRAM_INDEX
from .v016_search_keys import KEYS_INDEX

# The pairs of a folded text as search_words.message_keys makes them. The split's first and last
# pieces are empty when the text starts or ends with a separator; no other is. A second run of at
# most PAIR_SHORT characters makes one lexeme for both lengths: DISTINCT.
PAIRS_FUNCTION = f"""
CREATE FUNCTION search_pairs(folded TEXT) RETURNS tsvector
IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql AS $$
  SELECT array_to_tsvector(coalesce(array_agg(DISTINCT
    '{PAIR}' || left(runs[i + 1], n) || '.' || left(reverse(runs[i]), {PAIR_BEFORE})), '{{}}'))
  FROM regexp_split_to_array(folded, '[^{WORD_CHARS}]+') AS runs,
    generate_series(1, cardinality(runs) - 1) AS i, (VALUES ({PAIR_SHORT}), ({PAIR_LONG})) AS start(n)
  WHERE runs[i] <> '' AND runs[i + 1] <> ''
$$
"""

STEP = Step(
    17,
    "PostgreSQL's index of word suffixes holds each pair of neighbouring words",
    sqlite=(),
    postgres=(
        PAIRS_FUNCTION,
        'CREATE TABLE search_rows_paired (room TEXT COLLATE "C" NOT NULL, id BIGINT NOT NULL,'
        " ts BIGINT NOT NULL, nick TEXT NOT NULL, folded TEXT NOT NULL, keys tsvector NOT NULL,"
        " PRIMARY KEY (room, id))",
        "INSERT INTO search_rows_paired (room, id, ts, nick, folded, keys)"
        " SELECT room, id, ts, nick, folded, keys || search_pairs(folded) FROM search_rows",
        "DROP TABLE search_rows",
        "ALTER TABLE search_rows_paired RENAME TO search_rows",
        "ALTER INDEX search_rows_paired_pkey RENAME TO search_rows_pkey",
        TRIGRAM_INDEX,
        "CREATE INDEX search_rows_by_ts ON search_rows (ts, room, id) INCLUDE (nick)",
        "CREATE INDEX search_rows_by_nick ON search_rows (nick)",
        KEYS_INDEX,
        "DROP FUNCTION search_pairs(TEXT)",
        # A new table has no statistics until autovacuum comes: the planner needs them now.
        "ANALYZE search_rows",
    ),
)

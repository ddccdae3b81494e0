"""Schema step 15: PostgreSQL's index of word suffixes knows each message's week.

PostgreSQL: ``search_keys(folded, ts)`` is a message's ``tsvector`` of step
14 (``search_lexemes``) with one more lexeme, its week: ``W`` and the number
of whole weeks since 1970 (search_words.WEEK_MS). No word key can be that
lexeme (keys are lower-case letters and digits). A GIN index of it
(``search_rows_keys``) replaces step 14's ``search_rows_words``: a search asks
it for a word's matches of the most recent weeks first, and reads no older
match when those fill the page (pg_search.py).

SQLite has nothing to change: its FTS5 trigram index is unchanged.
"""

from __future__ import annotations

from ..search_words import WEEK_MS
from .step import Step

# IMMUTABLE (an index expression): it reads nothing but its arguments.
KEYS_FUNCTION = f"""
CREATE FUNCTION search_keys(folded TEXT, ts BIGINT) RETURNS tsvector
IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql AS $$
  SELECT search_lexemes(folded) || array_to_tsvector(ARRAY['W' || (ts / {WEEK_MS})::text])
$$
"""
# The bench's bulk load builds it after the rows, as an operator would (bench/search_bench.py).
KEYS_INDEX = "CREATE INDEX search_rows_keys ON search_rows USING gin (search_keys(folded, ts))"

STEP = Step(
    15,
    "PostgreSQL's index of word suffixes knows each message's week",
    sqlite=(),
    # ANALYZE: the planner estimates a word's matches from the statistics of the indexed expression.
    postgres=(KEYS_FUNCTION, KEYS_INDEX, "DROP INDEX search_rows_words", "ANALYZE search_rows"),
)

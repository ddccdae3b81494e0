"""Schema step 14: PostgreSQL finds a word through its own full-text index of word suffixes.

PostgreSQL: ``search_lexemes(folded)`` makes a message's ``tsvector``: every
suffix of three characters or more (its first SUFFIX_CHARS) of every run of
ASCII letters and digits of its folded text. A GIN index of it
(``search_rows_words``) answers a query word as the start of a suffix, that
is as a substring of a run: every message holding the word is among its
matches, and no other (search_words.py), so a search reads no trigram
posting lists and no row that only holds the word's trigrams apart
(pg_search.py). The trigram index stays for what has no such run: CJK,
punctuation, words of one or two letters.

SQLite has nothing to change: its FTS5 trigram index is unchanged.
"""

from __future__ import annotations

from ..search_words import SUFFIX_CHARS, WORD_CHARS
from .step import Step

# The function is IMMUTABLE (an index expression): it reads nothing but its arguments.
LEXEMES_FUNCTION = f"""
CREATE FUNCTION search_lexemes(folded TEXT) RETURNS tsvector
IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql AS $$
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT substr(run, start, {SUFFIX_CHARS}))), '')
  FROM regexp_split_to_table(folded, '[^{WORD_CHARS}]+') AS run, generate_series(1, length(run) - 2) AS start
$$
"""
# The bench's bulk load builds it after the rows, as an operator would (bench/search_bench.py).
WORDS_INDEX = "CREATE INDEX search_rows_words ON search_rows USING gin (search_lexemes(folded))"

STEP = Step(
    14,
    "PostgreSQL finds words through a full-text index of their suffixes",
    sqlite=(),
    # ANALYZE: the planner estimates a word's matches from the statistics of the indexed expression.
    postgres=(LEXEMES_FUNCTION, WORDS_INDEX, "ANALYZE search_rows"),
)

"""Schema step 29: the moderation history, one row an act.

Who deactivated or reactivated an account, took someone out of a room,
removed a guest, deleted everything of an account or another's message:
when, who (their account and name as it was), what, to whom, in which room,
which message, and a detail (how many messages, until when). Never a
message's text: a deletion keeps none. Acts written before this step are
only in the server's log.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    29,
    "the moderation history",
    sqlite=(
        "CREATE TABLE moderation_acts (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, act TEXT NOT NULL,"
        " actor_id INTEGER, actor TEXT NOT NULL, subject_id INTEGER, subject TEXT NOT NULL,"
        " room TEXT NOT NULL, message INTEGER, detail TEXT NOT NULL)",
    ),
    postgres=(
        "CREATE TABLE moderation_acts (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " ts BIGINT NOT NULL, act TEXT NOT NULL, actor_id BIGINT, actor TEXT NOT NULL,"
        " subject_id BIGINT, subject TEXT NOT NULL, room TEXT NOT NULL, message BIGINT,"
        " detail TEXT NOT NULL)",
    ),
)

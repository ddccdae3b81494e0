"""Schema step 34: messages people wrote to be sent later, each at its time.

One row per scheduled message: its author, room and text, what it replies
to (a message, a thread's root, and whether a thread reply also goes to the
room), when it is due (``at``, ms) and when it was written. ``version``
grows with every edit: the message is stored only with the version a sender
read, by deleting its row in the message's own transaction (exactly once,
store/scheduled_base.py). ``claimed_until`` is a sender's short claim,
``failure`` why it was not sent (its row stays until the person deletes or
reschedules it). The partial index serves the senders' look for due rows.
Nothing was scheduled before this step.
"""

from __future__ import annotations

from .step import Step

_COLUMNS = (
    " account_id {id} NOT NULL REFERENCES accounts (id), room TEXT{c} NOT NULL, message TEXT NOT NULL,"
    " reply_to {id}, thread_id {id}, broadcast {bool} NOT NULL, at {id} NOT NULL, created_at {id} NOT NULL,"
    " version {id} NOT NULL DEFAULT 1, claimed_until {id} NOT NULL DEFAULT 0, failure TEXT)"
)
_INDEXES = (
    "CREATE INDEX scheduled_by_account ON scheduled_messages (account_id, at)",
    "CREATE INDEX scheduled_due ON scheduled_messages (at) WHERE failure IS NULL",
)

STEP = Step(
    34,
    "scheduled messages",
    sqlite=(
        "CREATE TABLE scheduled_messages (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        + _COLUMNS.format(id="INTEGER", c="", bool="INTEGER"),
        *_INDEXES,
    ),
    postgres=(
        "CREATE TABLE scheduled_messages (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        + _COLUMNS.format(id="BIGINT", c=' COLLATE "C"', bool="BOOLEAN"),
        *_INDEXES,
    ),
)

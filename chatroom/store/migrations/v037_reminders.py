"""Schema step 37: reminders, a person's ask to be reminded of a message at a chosen time.

One row per reminder: its person, the room and id of the message, when it
is due (``at``, ms) and when it was set. ``version`` grows with every
snooze, so that a sender that read an older one marks nothing
(store/reminders_base.py); ``claimed_until`` is a sender's short claim, as
scheduled messages have (step 34); ``due`` says it fell due and was told:
it stays until its person is done with it. The partial index serves the
senders' look for due rows. Nobody set a reminder before this step.
"""

from __future__ import annotations

from .step import Step

_COLUMNS = (
    " account_id {id} NOT NULL REFERENCES accounts (id), room TEXT{c} NOT NULL, message_id {id} NOT NULL,"
    " at {id} NOT NULL, created_at {id} NOT NULL, version {id} NOT NULL DEFAULT 1,"
    " claimed_until {id} NOT NULL DEFAULT 0, due {bool} NOT NULL DEFAULT {false})"
)
_INDEXES = (
    "CREATE INDEX reminders_by_account ON reminders (account_id, at)",
    "CREATE INDEX reminders_due ON reminders (at) WHERE NOT due",
)

STEP = Step(
    37,
    "reminders",
    sqlite=(
        "CREATE TABLE reminders (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        + _COLUMNS.format(id="INTEGER", c="", bool="INTEGER", false="0"),
        *_INDEXES,
    ),
    postgres=(
        "CREATE TABLE reminders (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        + _COLUMNS.format(id="BIGINT", c=' COLLATE "C"', bool="BOOLEAN", false="FALSE"),
        *_INDEXES,
    ),
)

"""Schema step 31: a person's status, and when their notifications are paused.

``statuses``: one row per account that set a status, its emoji, its text and
when it clears (``until``, ms; NULL: never). ``notification_pauses``: one row
per person who paused notifications ("do not disturb"), until when. A row
whose time has passed is as absent (store/status_base.py): nothing clears
it but the next change. Nobody had either before this step.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    31,
    "people's statuses and paused notifications",
    sqlite=(
        "CREATE TABLE statuses (account_id INTEGER PRIMARY KEY REFERENCES accounts (id),"
        " emoji TEXT NOT NULL, text TEXT NOT NULL, until INTEGER, set_at INTEGER NOT NULL)",
        "CREATE TABLE notification_pauses (account_id INTEGER PRIMARY KEY REFERENCES accounts (id),"
        " until INTEGER NOT NULL)",
    ),
    postgres=(
        "CREATE TABLE statuses (account_id BIGINT PRIMARY KEY REFERENCES accounts (id),"
        " emoji TEXT NOT NULL, text TEXT NOT NULL, until BIGINT, set_at BIGINT NOT NULL)",
        "CREATE TABLE notification_pauses (account_id BIGINT PRIMARY KEY REFERENCES accounts (id),"
        " until BIGINT NOT NULL)",
    ),
)

"""Schema step 6: changes to messages (edits, deletions, reactions), authors' accounts, replies.

A change is a row of ``changes`` holding an id of its room's sequence (the
same counter as messages: rooms.last_id). The message row keeps its
current state (text, when last edited, whether deleted); reactions as they
stand are rows of ``reactions``. Messages stored before this step have no
author account (NULL): only administrators may delete them.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    6,
    "changes to messages, reactions, authors' accounts, replies",
    sqlite=(
        "ALTER TABLE messages ADD COLUMN account_id INTEGER",
        "ALTER TABLE messages ADD COLUMN reply_to INTEGER",
        "ALTER TABLE messages ADD COLUMN edited INTEGER",
        "ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0",
        "CREATE TABLE changes (room TEXT NOT NULL, id INTEGER NOT NULL, target INTEGER NOT NULL,"
        " kind TEXT NOT NULL, nick TEXT NOT NULL, account_id INTEGER, text TEXT NOT NULL,"
        " emoji TEXT NOT NULL, turned_on INTEGER NOT NULL, ts INTEGER NOT NULL,"
        " PRIMARY KEY (room, id)) WITHOUT ROWID",
        "CREATE INDEX changes_by_target ON changes (room, target)",
        "CREATE TABLE reactions (room TEXT NOT NULL, target INTEGER NOT NULL, emoji TEXT NOT NULL,"
        " account_id INTEGER NOT NULL, nick TEXT NOT NULL, id INTEGER NOT NULL,"
        " PRIMARY KEY (room, target, emoji, account_id)) WITHOUT ROWID",
    ),
    postgres=(
        "ALTER TABLE messages ADD COLUMN account_id BIGINT",
        "ALTER TABLE messages ADD COLUMN reply_to BIGINT",
        "ALTER TABLE messages ADD COLUMN edited BIGINT",
        "ALTER TABLE messages ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT FALSE",
        'CREATE TABLE changes (room TEXT COLLATE "C" NOT NULL, id BIGINT NOT NULL, target BIGINT NOT NULL,'
        " kind TEXT NOT NULL, nick TEXT NOT NULL, account_id BIGINT, text TEXT NOT NULL,"
        " emoji TEXT NOT NULL, turned_on BOOLEAN NOT NULL, ts BIGINT NOT NULL, PRIMARY KEY (room, id))",
        "CREATE INDEX changes_by_target ON changes (room, target)",
        'CREATE TABLE reactions (room TEXT COLLATE "C" NOT NULL, target BIGINT NOT NULL, emoji TEXT NOT NULL,'
        " account_id BIGINT NOT NULL, nick TEXT NOT NULL, id BIGINT NOT NULL,"
        " PRIMARY KEY (room, target, emoji, account_id))",
    ),
)

"""Schema step 32: threads, side conversations hanging off one message of a room.

A thread reply is a message of its room like any other (it takes the room's
next id); ``thread_id`` names its root, a message of the same room that is
not itself in a thread, and ``broadcast`` marks a reply also sent to the
room (shown in its main timeline too). The index serves a thread's read
(its replies in id order) and the summary of a root's replies read with it;
it holds thread replies alone (partial), so a message of the main timeline,
the most of them, is written as before, into no index more.
Every message written before this step is in the main timeline.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    32,
    "threads",
    sqlite=(
        "ALTER TABLE messages ADD COLUMN thread_id INTEGER",
        "ALTER TABLE messages ADD COLUMN broadcast INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX messages_by_thread ON messages (room, thread_id, id) WHERE thread_id IS NOT NULL",
    ),
    postgres=(
        "ALTER TABLE messages ADD COLUMN thread_id BIGINT",
        "ALTER TABLE messages ADD COLUMN broadcast BOOLEAN NOT NULL DEFAULT false",
        "CREATE INDEX messages_by_thread ON messages (room, thread_id, id) WHERE thread_id IS NOT NULL",
    ),
)

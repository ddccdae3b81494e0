"""Schema step 42: an index of the messages that show link previews' cards.

The daily sweep of the previews' pictures (chatroom/picture_sweep.py) reads
every message showing cards, by (room, id), to learn which pictures are
named. Without this index each of its pages walked the messages in order
past all those without cards: a read of the whole table a day, per process.
The index holds the few messages with cards only, so the sweep reads those.
Building it reads the messages once, at the upgrade.
"""

from __future__ import annotations

from .step import Step

# The condition is the sweep's own (sql_previews.SHOWN_AFTER): the planner uses a partial index
# only for a query whose conditions imply the index's.
_INDEX = (
    "CREATE INDEX messages_with_cards ON messages (room, id)"
    " WHERE preview IS NOT NULL AND preview NOT IN ('', '[]')"
)

STEP = Step(42, "messages with cards", sqlite=(_INDEX,), postgres=(_INDEX,))

"""Schema step 40: polls' votes as they stand.

A poll is a message in the poll form (polls.py), stored as any message; a
vote, and a poll's closing, is a change of it (``changes``, kinds ``vote`` and
``close_poll``), taking the room's next id. ``poll_votes`` holds the votes as
they stand, one row per person and option chosen, as ``reactions`` holds
reactions: ``id`` is the change that put it there, ordering who chose an
option. Whether a poll is closed is read from its ``close_poll`` change
(``changes_by_target``). Nobody voted before this step.
"""

from __future__ import annotations

from .step import Step

_COLUMNS = (
    " target {id} NOT NULL, option_index INTEGER NOT NULL, account_id {id} NOT NULL, nick TEXT NOT NULL,"
    " id {id} NOT NULL, PRIMARY KEY (room, target, option_index, account_id))"
)

STEP = Step(
    40,
    "polls' votes",
    sqlite=(
        "CREATE TABLE poll_votes (room TEXT NOT NULL," + _COLUMNS.format(id="INTEGER") + " WITHOUT ROWID",
    ),
    postgres=('CREATE TABLE poll_votes (room TEXT COLLATE "C" NOT NULL,' + _COLUMNS.format(id="BIGINT"),),
)

"""Schema step 41: forwards, the snapshot a forwarded copy carries of the message it forwards.

One row per copy (``room``, ``id``: the copy, a message of its room), written
in the copy's own transaction: the original's room, id and kind then, its
author, time (ms) and text as they were when forwarded, and its file's name
(the file itself is not carried). A row never follows the original after:
editing or deleting the original changes no copy; deleting the copy deletes
its row. Nothing was forwarded before this step.
"""

from __future__ import annotations

from .step import Step

_COLUMNS = (
    "(room TEXT{c} NOT NULL, id {id} NOT NULL, from_room TEXT{c} NOT NULL, from_id {id} NOT NULL,"
    " from_kind TEXT NOT NULL, nick TEXT NOT NULL, ts {id} NOT NULL, message TEXT NOT NULL,"
    " file_name TEXT, PRIMARY KEY (room, id))"
)

STEP = Step(
    41,
    "forwards",
    sqlite=("CREATE TABLE forwards " + _COLUMNS.format(id="INTEGER", c=""),),
    postgres=("CREATE TABLE forwards " + _COLUMNS.format(id="BIGINT", c=' COLLATE "C"'),),
)

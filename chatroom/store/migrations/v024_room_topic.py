"""Schema step 24: a room has a topic, a line saying what it is for ("Release planning: demo Friday").

Set by anyone who may post in the room (access.may_set_topic), shown under
its name. Every room so far has none, which is what the column's default says.
"""

from __future__ import annotations

from .step import Step

_COLUMN = "ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT ''"

STEP = Step(
    24,
    "a room has a topic",
    sqlite=(_COLUMN,),
    postgres=(_COLUMN,),
)

"""Schema step 20: rooms are indexed by their kind.

Every search asks which rooms its reader may read: the open rooms, and those
it is a member of (search_base.readable_sql). The open rooms were found by
reading every room, direct conversations and closed rooms included: each part
of a search that reads rows paid for the whole table (0.1 ms at a thousand
rooms, and growing with every conversation ever started). The directory's
list of open rooms (account_sql.ROOMS_OF_KIND) read them all as well. Both
now read the index's entries of their kind, in the order of the rooms' names.
"""

from __future__ import annotations

from .step import Step

_INDEX = "CREATE INDEX rooms_by_kind ON rooms (kind, room)"

STEP = Step(20, "rooms are indexed by their kind", sqlite=(_INDEX,), postgres=(_INDEX,))

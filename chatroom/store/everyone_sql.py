"""The SQL of the rooms everyone is in (everyone_base.py has the rules), with ``?`` placeholders.

Each statement adds every membership it makes at once: a school of thousands
is one INSERT ... SELECT, not a round trip per person.
"""

from __future__ import annotations

from .account_sql import ROOM_COLUMNS
from .records import MEMBER, OPEN, PERSON

# ? : whether everyone is in it, the room. A closed or direct room never is (None back, as for no room).
SET_EVERYONE_IN = (
    f"UPDATE rooms SET everyone_in = ? WHERE room = ? AND kind = '{OPEN}' RETURNING {ROOM_COLUMNS}"
)

# ? : the room. Run before ADD_EVERYONE: those it is about to make members start reading at the room's
# newest message, as if they had read what came before they were in it; a member already keeps theirs.
START_READING_FOR_EVERYONE = (
    "INSERT INTO read_positions (account_id, room, last_read_id)"
    " SELECT a.id, r.room, r.last_id FROM accounts a JOIN rooms r ON r.room = CAST(? AS TEXT)"
    f" WHERE a.kind = '{PERSON}'"
    " AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.room = r.room AND m.account_id = a.id)"
    " ON CONFLICT (account_id, room) DO NOTHING"
)

# ? : the room, the time, the room. A member already keeps their role and time of joining. A deactivated
# person is taken in too: reactivated, they find the room as those who were in it before find theirs. One
# barred from it is not (store/bars_base.py): everyone's room is not theirs until the bar is lifted.
ADD_EVERYONE = (
    "INSERT INTO memberships (room, account_id, role, added_at)"
    f" SELECT CAST(? AS TEXT), id, '{MEMBER}', ? FROM accounts"
    f" WHERE kind = '{PERSON}'"
    " AND id NOT IN (SELECT account_id FROM room_bars WHERE room = CAST(? AS TEXT))"
    " ON CONFLICT (room, account_id) DO NOTHING"
)

# ? : a person's new account (in the transaction that creates it): it starts reading the rooms everyone
# is in at their newest message, not with a count of everything said before it came.
START_READING_ROOMS_FOR_EVERYONE = (
    "INSERT INTO read_positions (account_id, room, last_read_id)"
    " SELECT CAST(? AS BIGINT), room, last_id FROM rooms WHERE everyone_in"
    " ON CONFLICT (account_id, room) DO NOTHING"
)

# ? : a person's new account, the time (in the transaction that creates it).
JOIN_ROOMS_FOR_EVERYONE = (
    "INSERT INTO memberships (room, account_id, role, added_at)"
    f" SELECT room, ?, '{MEMBER}', ? FROM rooms WHERE everyone_in"
    " ON CONFLICT (room, account_id) DO NOTHING"
)

# PostgreSQL: turning a room on waits for the accounts being created to commit (then ADD_EVERYONE sees
# them), and holds back new ones until it commits (then their JOIN_ROOMS_FOR_EVERYONE sees the room).
# Without it, each transaction could miss the other's uncommitted row under READ COMMITTED.
HOLD_NEW_ACCOUNTS = "LOCK TABLE accounts IN SHARE MODE"

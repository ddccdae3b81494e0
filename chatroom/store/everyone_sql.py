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

# ? : the room, the time. A member already keeps their role and time of joining.
ADD_EVERYONE = (
    "INSERT INTO memberships (room, account_id, role, added_at)"
    f" SELECT CAST(? AS TEXT), id, '{MEMBER}', ? FROM accounts"
    f" WHERE kind = '{PERSON}' AND deactivated_at IS NULL"
    " ON CONFLICT (room, account_id) DO NOTHING"
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

"""What a member's way into a room asks of the store, answered by one statement (Store.way_in).

A join used to ask its questions one read at a time: the guest bar on its
address, the room's record, the member's membership, the room holding the
room's look-alike key, whether an account holds (or held) the guest's nick. On
PostgreSQL each read is a round trip from a pooled connection, and in a
storm of joins their cost in the process's CPU was most of what a join cost
there (docs/benchmarks/deployments.md, "Join storms"). One statement in
both dialects (``?`` placeholders, as account_sql.py writes them) reads
them all; each answer is what its own read answers (accounts_base.py,
base.py), and the caller applies the same rules to them in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..names import BadNameError, nick_key, normalize_nick, room_key
from . import account_sql as sql
from .records import Membership, RoomRecord
from .sql_moderation import BARRED_UNTIL

# ? : the address, now; the room's look-alike key; the nick's key twice; the room, the account id (its
# bar); the room, the account id (its membership). A NULL address, nick key or account id matches
# nothing: that question is not asked.
WAY_IN = (
    f"SELECT ({BARRED_UNTIL}),"
    f" ({sql.ROOM_HOLDING_KEY}),"
    f" ({sql.NAME_IS_HELD}),"
    f" {sql.R_ROOM}, m.room, m.account_id, m.role, m.added_at,"
    " EXISTS (SELECT 1 FROM room_bars WHERE room = ? AND account_id = ?)"
    " FROM (SELECT 1) AS one LEFT JOIN rooms AS r ON r.room = ?"
    " LEFT JOIN memberships AS m ON m.room = r.room AND m.account_id = ?"
)


@dataclass(frozen=True, slots=True)
class WayIn:
    """What the store says of one member's way into one room, all read at one moment."""

    # When the bar on guest access from the address ends; None: not barred (or not asked).
    barred_until: int | None
    # The room's record; None when the room does not exist.
    record: RoomRecord | None
    # The account's membership of the room; None for none (or not asked).
    membership: Membership | None
    # The room holding the room's look-alike key (Store.room_holding); None for none.
    holder: str | None
    # Whether an account has, or had, a name with the nick's key (AccountStore.name_is_held).
    account_named: bool
    # Whether the account is barred from the room (AccountStore.room_bar finds its bar).
    barred: bool = False


def way_in_params(
    room: str, address: str | None, account_id: int | None, nick: str | None, now: int
) -> tuple[object, ...]:
    """WAY_IN's parameters: an empty address, and a nick no account could be named, ask nothing."""
    name_key = _name_key(nick)
    return (address or None, now, room_key(room), name_key, name_key, room, account_id, room, account_id)


def way_in_answer(row: Sequence[object]) -> WayIn:
    """The WayIn of WAY_IN's one row."""
    until, holder, named = row[:3]
    end = 3 + sql.ROOM_WIDTH
    record = None if row[3] is None else sql.room(row[3:end])
    membership = None if row[end] is None else sql.membership(row[end : end + 4])
    return WayIn(
        barred_until=None if until is None else int(until),  # type: ignore[call-overload]
        record=record,
        membership=membership,
        holder=None if holder is None else str(holder),
        account_named=bool(named),
        barred=bool(row[end + 4]),
    )


def _name_key(nick: str | None) -> str | None:
    """The key name_is_held looks ``nick`` up by; None when no account could be named so."""
    if nick is None:
        return None
    try:
        return nick_key(normalize_nick(nick))
    except BadNameError:
        return None

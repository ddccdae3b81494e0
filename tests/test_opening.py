"""How a session gets into its room (chatroom/opening.py): who asks, the nicks it tries, the refusals."""

from __future__ import annotations

import re

import pytest

from chatroom import protocol
from chatroom.bus.base import account_owner, guest_owner, is_guest_owner
from chatroom.events import Members
from chatroom.identity import SESSION, Identity
from chatroom.opening import GUEST_ATTEMPTS, Known, Opening, held_spelling
from chatroom.protocol import ProtocolError
from chatroom.store.records import PERSON, Account

# Whether guests are let in (guest_access.GuestAccess.allowed).
GUESTS = True


def account(account_id: int = 7, name: str = "ann") -> Identity:
    return Identity(Account(account_id, name, name, PERSON, False, False, None, "#336699", 0), SESSION)


def test_an_account_asks_for_its_own_name_as_itself() -> None:
    """Signed in, the nick is the account's name whatever the query says, and the owner is the account."""
    way_in = Opening(GUESTS, "mallory", "", account(), "")
    assert (way_in.wanted, way_in.owner) == ("ann", account_owner(7))
    assert way_in.next_nick() == "ann" and way_in.next_nick() is None
    assert way_in.taken().code == protocol.NICK_TAKEN
    # Nothing to choose: the refusal says the name is held, not "choose another nick".
    assert way_in.taken().message == (
        "someone else in this room is using the name 'ann', or one that looks like it:"
        " you can join once they leave"
    )


def test_guests_owners_never_repeat_and_say_they_are_guests() -> None:
    """Two thousand guest connections get two thousand owners, each marked a guest's, none an account's."""
    owners = {Opening(GUESTS, "", "", None, "").owner for _ in range(2_000)}
    assert len(owners) == 2_000
    assert all(is_guest_owner(owner) for owner in owners)
    assert not is_guest_owner(account_owner(7))


def test_a_guest_is_its_own_owner_and_tries_its_nick_once() -> None:
    """Each guest connection owns its reservation alone; a nick asked for is the only one tried."""
    first, second = Opening(GUESTS, " Bob ", "", None, ""), Opening(GUESTS, "Bob", "", None, "")
    assert first.owner != second.owner
    assert not first.owner.startswith("a:")
    assert first.next_nick() == "Bob" and first.next_nick() is None
    assert first.taken().message == "someone in this room already uses the nick 'Bob': choose another nick"


def test_a_guests_connections_with_one_key_share_an_owner_that_does_not_hold_the_key() -> None:
    """Connections presenting one guest key have one owner, a guest's, which is not the key itself;
    another key is another owner; an account's key is ignored (its owner is the account)."""
    key = "Zm9vYmFyYmF6cXV4LWtleV8x"
    first, again = Opening(GUESTS, "bob", "", None, "", key), Opening(GUESTS, "bob", "", None, "", key)
    assert first.owner == again.owner == guest_owner(key)
    assert is_guest_owner(first.owner) and key not in first.owner
    assert Opening(GUESTS, "bob", "", None, "", key[::-1]).owner != first.owner
    assert Opening(GUESTS, "bob", "", None, "", "").owner != first.owner
    assert Opening(GUESTS, "", "", account(), "", key).owner == account_owner(7)
    assert Opening(GUESTS, "", "", account(), "", "not a key!").owner == account_owner(7)
    for shortest_and_longest in ("-" * 16, "_" * 128):
        assert Opening(GUESTS, "bob", "", None, "", shortest_and_longest).owner == guest_owner(
            shortest_and_longest
        )


def test_a_guest_sharing_a_nick_takes_the_spelling_of_the_member_holding_it() -> None:
    """Asked as ANN or Ａnn while ann holds it, the nick is ann; a nick nobody holds stays as asked."""
    members = Members(["bob", "ann", "Zoe"], guests=["ann", "bob", "Zoe"])
    assert held_spelling("ANN", members) == held_spelling("Ａnn", members) == "ann"
    assert held_spelling("ann", members) == "ann"
    assert held_spelling("carl", Members(["carl", "bob"])) == "carl"


@pytest.mark.parametrize("key", ["short", "x" * 15, "x" * 129, "sixteen chars ok", "a+b/c=d" * 3, "é" * 20])
def test_a_guest_key_that_is_not_a_random_url_safe_string_is_refused(key: str) -> None:
    """Fewer than 16 or more than 128 characters, or any but letters, digits, '-' and '_': bad_request."""
    with pytest.raises(ProtocolError) as refused:
        Opening(GUESTS, "bob", "", None, "", key)
    assert refused.value.code == protocol.BAD_REQUEST
    assert refused.value.message == "a guest key is 16 to 128 letters, digits, '-' or '_' (a random secret)"


def test_without_a_nick_a_guest_tries_guest_names() -> None:
    """No nick: GUEST_ATTEMPTS guest-NNNN names, then the refusal names no one."""
    way_in = Opening(GUESTS, "", "", None, "")
    names = [way_in.next_nick() for _ in range(GUEST_ATTEMPTS)]
    assert all(name is not None and re.fullmatch(r"guest-\d{4}", name) for name in names)
    assert way_in.next_nick() is None
    assert way_in.taken().message == "every guest nick tried is in use in this room: try again"


@pytest.mark.parametrize(
    ("since", "expected"),
    [("12", 12), ("", None), ("-1", None), ("1e3", None), ("٣", None), ("9" * 19, None)],
)
def test_since_is_an_id_or_nothing(since: str, expected: int | None) -> None:
    """``since`` counts only as ASCII digits the store can hold; anything else reads the newest page."""
    assert Opening(GUESTS, "bob", since, None, "").since == expected


def test_credentials_that_do_not_hold_and_guests_not_let_in_are_refused_unauthorized() -> None:
    """Refused credentials are never a guest; without --guests nobody signed in gets in."""
    with pytest.raises(ProtocolError) as refused:
        Opening(GUESTS, "bob", "", None, "the token is not valid: expired")
    assert (refused.value.code, refused.value.message) == ("unauthorized", "the token is not valid: expired")
    with pytest.raises(ProtocolError) as no_guests:
        Opening(False, "bob", "", None, "")
    assert no_guests.value.code == protocol.UNAUTHORIZED
    assert Opening(False, "", "", account(), "").wanted == "ann"


def test_a_bad_nick_is_refused_bad_name() -> None:
    """A guest's nick is checked as nicks are."""
    with pytest.raises(ProtocolError) as refused:
        Opening(GUESTS, "a\u200bb", "", None, "")
    assert refused.value.code == protocol.BAD_NAME


def test_what_the_store_said_with_the_admission_decides_the_first_nick() -> None:
    """An account's name is not tried by a guest; a nick no account holds is not asked about again."""
    named = Opening(GUESTS, "alice", "", None, "")
    assert named.first_guest_nick() == "alice"
    assert named.learned("lobby", Known(None, "alice", account_named=True)) is None
    assert named.next_nick() is None and named.taken().code == protocol.NICK_TAKEN
    assert named.taken().message == (
        "the nick 'alice' is an account's name, or looks like one: sign in, or choose another nick"
    )
    free = Opening(GUESTS, "", "", None, "")
    first = free.first_guest_nick()
    assert first is not None and free.learned("lobby", Known("lobby", first)) is None
    assert free.next_nick() == first and free.name_checked(first)
    second = free.next_nick()
    assert second is not None and (second == first or not free.name_checked(second))


def test_a_look_alike_holder_in_the_store_is_refused_and_an_account_asks_no_nick() -> None:
    """The store's holder of the look-alike key, if another room, is the refusal; the room itself is not."""
    way_in = Opening(GUESTS, "bob", "", None, "")
    refused = way_in.learned("Iobby", Known("lobby", "bob"))
    assert refused is not None and refused.code == protocol.BAD_NAME
    assert refused.message == "the room name 'Iobby' looks like an existing room's name: pick another name"
    assert Opening(GUESTS, "", "", account(), "").first_guest_nick() is None


def test_a_guest_refused_an_accounts_name_is_told_so_not_that_someone_in_the_room_has_it() -> None:
    """The nick asked for, found to be an account's when reserved, is refused as an account's name;
    a generated guest name an account holds changes nothing of the refusal."""
    named = Opening(GUESTS, "Dan", "", None, "")
    assert named.next_nick() == "Dan"
    named.account_holds("Dan")
    assert named.next_nick() is None
    assert named.taken().message.startswith("the nick 'Dan' is an account's name")
    guest = Opening(GUESTS, "", "", None, "")
    for _ in range(GUEST_ATTEMPTS):
        nick = guest.next_nick()
        assert nick is not None
        guest.account_holds(nick)
    assert guest.taken().message == "every guest nick tried is in use in this room: try again"

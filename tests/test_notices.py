"""What a process does with notices (chatroom/notices.py): whom it closes, whom it tells, on one store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from chatroom.access import Access
from chatroom.config import Settings
from chatroom.desks import Sessions
from chatroom.events import (
    DEACTIVATED,
    PASSWORD_CHANGED,
    RENAMED,
    ROOM_ARCHIVED,
    ROOM_BARRED,
    ROOM_CREATED,
    ROOM_MEMBERS,
    ROOM_POSTING,
    ROOM_UNARCHIVED,
    SIGNED_OUT,
    SIGNED_OUT_EVERYWHERE,
    AccountNotice,
    AdminNotice,
    AvatarNotice,
    BlockNotice,
    Notice,
    PauseNotice,
    RoomNotice,
    SavedNotice,
    StarNotice,
    StatusNotice,
)
from chatroom.identity import BOT_KEY, SESSION, Identity
from chatroom.notices import NoticeDesk
from chatroom.service import ChatService, embedded
from chatroom.store.records import BOT, CLOSED, DIRECT, EVERYONE, MANAGERS, OPEN, PERSON, Account


@dataclass(eq=False)
class FakeConnection:
    """A connection as the desk sees it, noting what it was asked to do."""

    room: str
    who: Identity | None
    expelled: list[tuple[str, str]] = field(default_factory=list)
    told: list[dict[str, Any]] = field(default_factory=list)
    read_only: bool = False
    may_react: bool = True
    renamed_to: str | None = None
    renewed: bool = False
    blocked_by: str | None = None
    direct_others: frozenset[int] = frozenset()
    # Its admission read the store as it connected (handlers.ChatSocketHandler: just before).
    admission_began: int | None = field(default_factory=time.monotonic_ns)

    def expel(self, code: str, message: str) -> None:
        self.expelled.append((code, message))

    def tell(self, frames: Sequence[dict[str, Any]]) -> None:
        self.told.extend(frames)

    def set_voice(self, may_post: bool, may_react: bool, mentions_room: bool) -> None:
        self.read_only, self.may_react, self.mentions_room = not may_post, may_react, mentions_room

    def set_blocked(self, by: str | None) -> None:
        self.blocked_by = by

    def rename(self, name: str) -> None:
        self.renamed_to = name

    def renew(self) -> None:
        self.renewed = True


class Desk:
    """A desk over a started embedded service and the fake connections of one test."""

    def __init__(self, service: ChatService) -> None:
        self.service = service
        self.connections: Sessions[FakeConnection] = Sessions()
        self.tasks: list[asyncio.Future[Any]] = []
        self.desk = NoticeDesk(service, Access(Settings(guests=True), service.accounts), self.connections)
        self.desk.start(lambda work: self.tasks.append(asyncio.ensure_future(work)))

    def connect(self, room: str, who: Identity | None) -> FakeConnection:
        connection = FakeConnection(room, who)
        self.connections.add(connection)
        if who is not None:
            self.connections.identified(connection, who.account_id)
        return connection

    async def notify(self, notice: Notice) -> None:
        await self.service.notify(notice)
        while self.tasks:
            await self.tasks.pop(0)


def run(scenario: Callable[[Desk], Awaitable[None]]) -> None:
    async def main() -> None:
        service = embedded(":memory:")
        await service.start()
        try:
            await scenario(Desk(service))
        finally:
            await service.close()

    asyncio.run(main())


async def person(desk: Desk, name: str, session: bytes | None = None) -> Identity:
    account: Account = await desk.service.accounts.create_account(name, PERSON)
    return Identity(account, SESSION, session)


def test_a_deactivated_account_is_closed_4401_on_every_connection_and_nobody_else() -> None:
    """Deactivation closes each of the account's connections with unauthorized; others stay."""

    async def scenario(desk: Desk) -> None:
        ann, bob = await person(desk, "ann"), await person(desk, "bob")
        tabs = [desk.connect("lobby", ann), desk.connect("team", ann)]
        others = [desk.connect("lobby", bob), desk.connect("lobby", None)]
        await desk.notify(AccountNotice(ann.account_id, DEACTIVATED))
        assert [tab.expelled for tab in tabs] == [[("unauthorized", "your account has been deactivated")]] * 2
        assert [other.expelled for other in others] == [[], []]

    run(scenario)


def test_signing_out_closes_that_sessions_connections_only() -> None:
    """Signing out closes the connections of that session; the account's other session stays."""

    async def scenario(desk: Desk) -> None:
        laptop, phone = await person(desk, "ann", b"laptop"), None
        phone = Identity(laptop.account, SESSION, b"phone")
        on_laptop, on_phone = desk.connect("lobby", laptop), desk.connect("lobby", phone)
        await desk.notify(AccountNotice(laptop.account_id, SIGNED_OUT, session_hash=b"laptop"))
        assert on_laptop.expelled == [("unauthorized", "you signed out")]
        assert on_phone.expelled == []
        await desk.notify(AccountNotice(laptop.account_id, SIGNED_OUT_EVERYWHERE))
        assert on_phone.expelled == [("unauthorized", "you signed out everywhere: sign in again")]

    run(scenario)


def test_a_new_password_signs_out_the_other_sessions_and_renews_this_browsers() -> None:
    """A password changed on the laptop: the phone's connection is closed saying so, the laptop's come back
    (its browser holds a new session); a reset link's (no session kept) closes them all."""

    async def scenario(desk: Desk) -> None:
        laptop = await person(desk, "ann", b"laptop")
        phone, bob = Identity(laptop.account, SESSION, b"phone"), await person(desk, "bob", b"bob")
        tabs = [desk.connect("lobby", laptop), desk.connect("team", laptop)]
        on_phone, bobs = desk.connect("lobby", phone), desk.connect("lobby", bob)
        await desk.notify(AccountNotice(laptop.account_id, PASSWORD_CHANGED, session_hash=b"laptop"))
        changed = ("unauthorized", "your password was changed: sign in again")
        assert on_phone.expelled == [changed]
        assert [(tab.renewed, tab.expelled) for tab in tabs] == [(True, [])] * 2
        assert (bobs.renewed, bobs.expelled) == (False, [])
        again = desk.connect("lobby", laptop)
        await desk.notify(AccountNotice(laptop.account_id, PASSWORD_CHANGED))
        assert (again.renewed, again.expelled) == (False, [changed])

    run(scenario)


def test_a_removed_member_is_closed_4403_in_that_room_and_told_it_is_gone_everywhere() -> None:
    """Taken out of a room: forbidden in it, room_gone on its other connections, others untouched."""

    async def scenario(desk: Desk) -> None:
        ann, bob = await person(desk, "ann"), await person(desk, "bob")
        await desk.service.accounts.create_room("team", CLOSED, members=[ann.account_id, bob.account_id])
        in_team, in_lobby = desk.connect("team", ann), desk.connect("lobby", ann)
        bob_in_team = desk.connect("team", bob)
        notice = RoomNotice("team", ROOM_MEMBERS, members=(bob.account_id,), removed=(ann.account_id,))
        await desk.notify(notice)
        assert in_team.expelled == [("forbidden", "you are no longer a member of 'team'")]
        assert in_lobby.expelled == [] and in_lobby.told == [{"type": "room_gone", "room": "team"}]
        assert bob_in_team.expelled == []
        assert [frame["type"] for frame in bob_in_team.told] == ["room"]

    run(scenario)


def test_a_barred_account_is_told_so_and_hears_nothing_more_of_the_open_room() -> None:
    """Barred: forbidden in the room, with why; room_gone elsewhere; later changes reach only the others."""

    async def scenario(desk: Desk) -> None:
        ann, bob = await person(desk, "ann"), await person(desk, "bob")
        await desk.service.accounts.create_room("square", OPEN)
        in_square, in_lobby = desk.connect("square", bob), desk.connect("lobby", bob)
        ann_in_lobby = desk.connect("lobby", ann)
        await desk.service.accounts.bar_account("square", bob.account_id, ann.account_id)
        await desk.notify(RoomNotice("square", ROOM_BARRED, removed=(bob.account_id,)))
        await desk.notify(RoomNotice("square", "topic", by="ann"))
        assert in_square.expelled == [("forbidden", "you were barred from 'square'")]
        assert in_lobby.told == [{"type": "room_gone", "room": "square"}]
        assert [frame["change"] for frame in ann_in_lobby.told] == ["members", "topic"]

    run(scenario)


def test_a_connection_admitted_after_the_removal_arrived_is_left_to_its_own_read() -> None:
    """One opened while the notice's reads are under way saw the removal itself: not closed 4403, nor told.

    Its admission answers it as any outsider (not_found, 4404: test_outsiders.py);
    one whose admission read began before the notice arrived is closed 4403.
    """

    async def scenario(desk: Desk) -> None:
        bob = await person(desk, "bob")
        await desk.service.accounts.create_room("team", CLOSED, members=[bob.account_id])
        before = desk.connect("team", bob)
        await desk.service.notify(RoomNotice("team", ROOM_MEMBERS, removed=(bob.account_id,)))
        assert desk.tasks, "the notice's work waits for its reads"
        after = desk.connect("team", bob)
        while desk.tasks:
            await desk.tasks.pop(0)
        assert before.expelled == [("forbidden", "you are no longer a member of 'team'")]
        assert after.expelled == [] and after.told == []

    run(scenario)


def test_a_connection_opened_after_a_new_room_was_told_gets_no_frame_repeating_it() -> None:
    """One opened while the notice's reads are under way read the new room itself: no ``created`` frame."""

    async def scenario(desk: Desk) -> None:
        ann = await person(desk, "ann")
        before = desk.connect("lobby", ann)
        await desk.service.accounts.create_room("cafe", OPEN)
        await desk.service.notify(RoomNotice("cafe", ROOM_CREATED))
        assert desk.tasks, "the notice's work waits for its reads"
        after, guest = desk.connect("lobby", ann), desk.connect("lobby", None)
        while desk.tasks:
            await desk.tasks.pop(0)
        assert [frame["room"]["room"] for frame in before.told] == ["cafe"]
        assert after.told == [] and guest.told == []

    run(scenario)


def test_a_new_closed_room_reaches_its_members_only_and_an_open_one_everyone() -> None:
    """A closed room's entry goes to its members' connections alone; an open room's to all, guests too."""

    async def scenario(desk: Desk) -> None:
        ann, bob = await person(desk, "ann"), await person(desk, "bob")
        await desk.service.accounts.create_room("plans", CLOSED, members=[ann.account_id])
        mine, theirs, guest = (
            desk.connect("lobby", ann),
            desk.connect("lobby", bob),
            desk.connect("lobby", None),
        )
        await desk.notify(RoomNotice("plans", ROOM_CREATED, members=(ann.account_id,)))
        assert mine.told == [
            {
                "type": "room",
                "change": "created",
                "room": {
                    "room": "plans",
                    "online": 0,
                    "last_id": 0,
                    "kind": "closed",
                    "title": "plans",
                    "archived": False,
                    "posting": "everyone",
                    "everyone_in": False,
                    "topic": "",
                    "room_mentions": "everyone",
                },
            }
        ]
        assert theirs.told == [] and guest.told == []
        await desk.service.accounts.create_room("cafe", OPEN)
        await desk.notify(RoomNotice("cafe", ROOM_CREATED))
        assert [c.told[-1]["room"]["room"] for c in (mine, theirs, guest)] == ["cafe"] * 3

    run(scenario)


def test_an_archived_room_turns_read_only_and_back() -> None:
    """Archiving makes the room's connections refuse messages; bringing it back lets them post again."""

    async def scenario(desk: Desk) -> None:
        ann = await person(desk, "ann")
        await desk.service.accounts.create_room("old", OPEN)
        inside, elsewhere = desk.connect("old", ann), desk.connect("lobby", ann)
        await desk.service.accounts.archive_room("old")
        await desk.notify(RoomNotice("old", ROOM_ARCHIVED))
        assert inside.read_only and not elsewhere.read_only
        assert inside.told[-1]["room"]["archived"] is True
        await desk.service.accounts.archive_room("old", archived=False)
        await desk.notify(RoomNotice("old", ROOM_UNARCHIVED))
        assert not inside.read_only

    run(scenario)


def test_a_room_where_only_its_managers_post_turns_read_only_for_the_others_and_back() -> None:
    """Only managers posting: the others' connections refuse messages but take reactions; the owner's
    and an administrator's post on; everyone posting again, all of them post."""

    async def scenario(desk: Desk) -> None:
        ann, bob = await person(desk, "ann"), await person(desk, "bob")
        root = Identity(await desk.service.accounts.create_account("root", PERSON, is_admin=True), SESSION)
        await desk.service.accounts.create_room(
            "news", CLOSED, creator_id=ann.account_id, members=[bob.account_id]
        )
        owner, student, admin = (
            desk.connect("news", ann),
            desk.connect("news", bob),
            desk.connect("news", root),
        )
        elsewhere = desk.connect("lobby", bob)
        await desk.service.accounts.set_posting("news", MANAGERS)
        await desk.notify(RoomNotice("news", ROOM_POSTING, members=(ann.account_id, bob.account_id)))
        assert (student.read_only, student.may_react) == (True, True)
        assert not owner.read_only and not admin.read_only and not elsewhere.read_only
        assert student.told[-1] == {"type": "room", "change": "posting", "room": student.told[-1]["room"]}
        assert student.told[-1]["room"]["posting"] == "managers"
        await desk.service.accounts.set_posting("news", EVERYONE)
        await desk.notify(RoomNotice("news", ROOM_POSTING, members=(ann.account_id, bob.account_id)))
        assert not student.read_only and student.told[-1]["room"]["posting"] == "everyone"

    run(scenario)


def test_a_bot_outside_an_open_room_stays_read_only_when_it_is_brought_back() -> None:
    """Unarchiving asks access again: a bot that is not a member still may not post."""

    async def scenario(desk: Desk) -> None:
        bot = Identity(await desk.service.accounts.create_account("helper", BOT), BOT_KEY)
        await desk.service.accounts.create_room("old", OPEN)
        inside = desk.connect("old", bot)
        await desk.notify(RoomNotice("old", ROOM_UNARCHIVED))
        assert inside.read_only

    run(scenario)


def test_a_renamed_account_is_told_its_new_name() -> None:
    """Renaming tells every connection of the account its new name (the connection then comes back)."""

    async def scenario(desk: Desk) -> None:
        ann = await person(desk, "ann")
        tab = desk.connect("lobby", ann)
        await desk.service.accounts.rename_account(ann.account_id, "annie")
        await desk.notify(AccountNotice(ann.account_id, RENAMED))
        assert tab.renamed_to == "annie" and tab.expelled == []

    run(scenario)


def test_a_new_picture_is_told_to_every_accounts_connection_and_no_guests() -> None:
    """A picture set, then removed: every connection of an account, in any room, its own included, is told
    the file id, then null; a guest's, which may not look accounts up, is told nothing."""

    async def scenario(desk: Desk) -> None:
        ann, bob = await person(desk, "ann"), await person(desk, "bob")
        accounts = [desk.connect("lobby", ann), desk.connect("lobby", bob), desk.connect("team", bob)]
        guest = desk.connect("lobby", None)
        await desk.notify(AvatarNotice("ann", "Ab3_file-id"))
        await desk.notify(AvatarNotice("ann", None))
        told = [
            {"type": "avatar", "name": "ann", "avatar": "Ab3_file-id"},
            {"type": "avatar", "name": "ann", "avatar": None},
        ]
        assert [connection.told for connection in accounts] == [told] * 3
        assert guest.told == []
        assert [connection.expelled for connection in [*accounts, guest]] == [[]] * 4

    run(scenario)


def test_an_administrator_made_is_told_to_every_accounts_connection_and_theirs_come_back() -> None:
    """bob made an administrator, then no longer: every account's connection is told, a guest's is not,
    and bob's own are closed to come back with their new rights (as after a new session), nobody else's."""

    async def scenario(desk: Desk) -> None:
        ann, bob = await person(desk, "ann"), await person(desk, "bob")
        hers, his = desk.connect("lobby", ann), [desk.connect("lobby", bob), desk.connect("team", bob)]
        guest = desk.connect("lobby", None)
        await desk.notify(AdminNotice(bob.account_id, "bob", True))
        await desk.notify(AdminNotice(bob.account_id, "bob", False))
        told = [{"type": "admin", "name": "bob", "admin": flag} for flag in (True, False)]
        assert [c.told for c in (hers, *his)] == [told] * 3
        assert guest.told == []
        assert [c.renewed for c in (hers, *his, guest)] == [False, True, True, False]
        assert [c.expelled for c in (hers, *his, guest)] == [[]] * 4

    run(scenario)


def test_a_status_and_a_pause_are_told_to_every_accounts_connection_and_no_guests() -> None:
    """A status set and cleared, notifications paused and resumed: every connection of an account, its own
    included, is told each in turn; a guest's, which sees no statuses, nothing."""

    async def scenario(desk: Desk) -> None:
        ann, bob = await person(desk, "ann"), await person(desk, "bob")
        accounts = [desk.connect("lobby", ann), desk.connect("lobby", bob), desk.connect("team", bob)]
        guest = desk.connect("lobby", None)
        await desk.notify(StatusNotice("ann", "📅", "In a meeting", 1_800_000_000_000))
        await desk.notify(StatusNotice("ann", None))
        await desk.notify(PauseNotice("ann", 1_800_000_000_000))
        await desk.notify(PauseNotice("ann", None))
        told = [
            {
                "type": "status",
                "name": "ann",
                "status": {"emoji": "📅", "text": "In a meeting", "until": 1_800_000_000_000},
            },
            {"type": "status", "name": "ann", "status": None},
            {"type": "dnd", "name": "ann", "until": 1_800_000_000_000},
            {"type": "dnd", "name": "ann", "until": None},
        ]
        assert [connection.told for connection in accounts] == [told] * 3
        assert guest.told == []
        assert [connection.expelled for connection in [*accounts, guest]] == [[]] * 4

    run(scenario)


def test_a_block_is_told_to_the_blockers_connections_and_refuses_the_direct_room_of_the_two() -> None:
    """ann blocks bob: her connections get a block frame; his in their direct room refuse his messages
    saying who, not those to a room of three or elsewhere, and he is told nothing; unblocked, all is back."""

    async def scenario(desk: Desk) -> None:
        ann, bob, cid = [await person(desk, name) for name in ("ann", "bob", "cid")]
        hers = [desk.connect("lobby", ann), desk.connect("dm-two", ann)]
        two, three, lobby = (
            desk.connect("dm-two", bob),
            desk.connect("dm-three", bob),
            desk.connect("lobby", bob),
        )
        two.direct_others = frozenset({ann.account_id})
        three.direct_others = frozenset({ann.account_id, cid.account_id})
        await desk.notify(BlockNotice(ann.account_id, bob.account_id, "bob", True, "ann"))
        assert [c.told for c in hers] == [[{"type": "block", "name": "bob", "blocked": True}]] * 2
        assert [c.blocked_by for c in (two, three, lobby)] == ["ann", None, None]
        assert [c.told for c in (two, three, lobby)] == [[]] * 3
        await desk.notify(BlockNotice(ann.account_id, bob.account_id, "bob", False, "ann"))
        assert hers[0].told[-1] == {"type": "block", "name": "bob", "blocked": False}
        assert two.blocked_by is None

    run(scenario)


def test_a_saved_message_is_told_to_its_persons_connections_alone() -> None:
    """ann saves a message: each of her connections gets a saved frame, bob's and a guest's nothing."""

    async def scenario(desk: Desk) -> None:
        ann, bob = await person(desk, "ann"), await person(desk, "bob")
        hers = [desk.connect("lobby", ann), desk.connect("team", ann)]
        others = [desk.connect("lobby", bob), desk.connect("lobby", None)]
        await desk.notify(SavedNotice(ann.account_id, "lobby", 7, 1234))
        await desk.notify(SavedNotice(ann.account_id, "lobby", 7, None))
        told = [
            {"type": "saved", "room": "lobby", "id": 7, "saved": True, "saved_at": 1234},
            {"type": "saved", "room": "lobby", "id": 7, "saved": False},
        ]
        assert [c.told for c in hers] == [told] * 2
        assert [c.told for c in others] == [[]] * 2

    run(scenario)


def test_a_starred_room_is_told_to_its_persons_connections_alone() -> None:
    """ann stars a room: each of her connections gets a starred frame, bob's and a guest's nothing."""

    async def scenario(desk: Desk) -> None:
        ann, bob = await person(desk, "ann"), await person(desk, "bob")
        hers = [desk.connect("lobby", ann), desk.connect("team", ann)]
        others = [desk.connect("lobby", bob), desk.connect("lobby", None)]
        await desk.notify(StarNotice(ann.account_id, "team", True))
        await desk.notify(StarNotice(ann.account_id, "team", False))
        told = [
            {"type": "starred", "room": "team", "starred": True},
            {"type": "starred", "room": "team", "starred": False},
        ]
        assert [c.told for c in hers] == [told] * 2
        assert [c.told for c in others] == [[]] * 2

    run(scenario)


def test_a_recheck_refuses_what_a_lost_block_would_have() -> None:
    """After the bus was away, bob's connection to his direct room with ann, who blocked him meanwhile,
    refuses his messages; his connection to a room of three does not."""

    async def scenario(desk: Desk) -> None:
        accounts = desk.service.accounts
        ann, bob, cid = [await person(desk, name) for name in ("ann", "bob", "cid")]
        two = await accounts.create_room("dm-two", DIRECT, members=[ann.account_id, bob.account_id])
        three = await accounts.create_room(
            "dm-three", DIRECT, members=[ann.account_id, bob.account_id, cid.account_id]
        )
        in_two, in_three = desk.connect(two.room, bob), desk.connect(three.room, bob)
        await accounts.block(ann.account_id, bob.account_id)
        desk.desk.recheck()
        while desk.tasks:
            await desk.tasks.pop(0)
        assert (in_two.blocked_by, in_three.blocked_by) == ("ann", None)
        assert in_two.expelled == in_three.expelled == []

    run(scenario)


@pytest.mark.parametrize("ended", ["session", "deactivated", "membership", "bar"])
def test_a_recheck_closes_what_lost_notices_would_have(ended: str) -> None:
    """After the bus was away, connections whose session, account or membership ended are closed."""

    async def scenario(desk: Desk) -> None:
        accounts = desk.service.accounts
        ann, bob = await person(desk, "ann", b"ann-session"), await person(desk, "bob", b"bob-session")
        for who in (ann, bob):
            await accounts.create_session(who.account_id, who.session_hash or b"")
        await accounts.create_room("team", CLOSED, members=[ann.account_id, bob.account_id])
        gone, stays = desk.connect("team", ann), desk.connect("team", bob)
        if ended == "session":
            await accounts.revoke_session(b"ann-session")
        elif ended == "deactivated":
            await accounts.deactivate_account(ann.account_id)
        elif ended == "membership":
            await accounts.remove_member("team", ann.account_id)
        else:
            await accounts.bar_account("team", ann.account_id, bob.account_id)
        desk.desk.recheck()
        while desk.tasks:
            await desk.tasks.pop(0)
        code = "forbidden" if ended in ("membership", "bar") else "unauthorized"
        assert [c for c, _ in gone.expelled] == [code]
        assert ended != "bar" or gone.expelled[0][1] == "you were barred from 'team'"
        assert stays.expelled == []

    run(scenario)


def test_a_recheck_gives_every_connection_what_lost_notices_decided_of_posting() -> None:
    """After the bus was away, a room archived meanwhile is read-only to every connection in it, a guest's
    included, and one where only its managers now post to those others, who still react; its owner posts."""

    async def scenario(desk: Desk) -> None:
        accounts = desk.service.accounts
        ann, bob = await person(desk, "ann"), await person(desk, "bob")
        await accounts.create_room("news", OPEN, creator_id=ann.account_id)
        await accounts.create_room("old", OPEN, creator_id=ann.account_id)
        owner, reader = desk.connect("news", ann), desk.connect("news", bob)
        in_old = [desk.connect("old", bob), desk.connect("old", None)]
        await accounts.set_posting("news", MANAGERS)
        await accounts.archive_room("old")
        desk.desk.recheck()
        while desk.tasks:
            await desk.tasks.pop(0)
        voices = [(c.read_only, c.may_react) for c in (owner, reader, *in_old)]
        assert voices == [(False, True), (True, True), (True, False), (True, False)]
        assert [c.expelled for c in (owner, reader, *in_old)] == [[]] * 4

    run(scenario)

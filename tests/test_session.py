"""The chat session's state machine (chatroom/session.py, its way in chatroom/joining.py), driven
without sockets, store or loop."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from chatroom import protocol
from chatroom.bus.base import account_owner
from chatroom.config import Settings
from chatroom.effects import (
    Admit,
    AnnounceJoin,
    AwaitAcks,
    ClaimRoom,
    Close,
    Effects,
    EnterHub,
    LeaveHub,
    Publish,
    ReadPage,
    ReadRoom,
    Release,
    Reserve,
    Send,
    Settle,
    Typing,
)
from chatroom.events import Members, PresenceEvent, StoredMessage, TypingEvent
from chatroom.identity import SESSION, Identity
from chatroom.opening import Known
from chatroom.owed_acks import ACK_WAIT_SECONDS
from chatroom.session import Session, State
from chatroom.store.records import PERSON, Account

SETTINGS = Settings(database=":memory:", guests=True)
Frame = dict[str, Any]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def message(msg_id: int, text: str = "", nick: str = "bob") -> StoredMessage:
    return StoredMessage(msg_id, "lobby", nick, text or f"m{msg_id}", 1000 + msg_id)


def joined(nick: str, users: int = 2) -> PresenceEvent:
    return PresenceEvent("join", "lobby", nick, users, 5000)


def left(nick: str, users: int = 1) -> PresenceEvent:
    return PresenceEvent("leave", "lobby", nick, users, 6000)


def sent(out: Effects) -> list[Frame]:
    """The frames the member receives from these effects, in order."""
    return [frame for effect in out if isinstance(effect, Send) for frame in effect.frames]


def others(out: Effects) -> list[Any]:
    """The effects other than frames to send."""
    return [effect for effect in out if not isinstance(effect, Send)]


def reserved(
    settings: Settings = SETTINGS, nick: str = "ann", since: str = "", clock: Clock | None = None
) -> Session:
    """A session whose nick is reserved and which is in the hub, reading the room."""
    session = Session(settings, clock or Clock())
    assert session.open("lobby", nick, since=since) == [Admit("lobby")]
    assert session.admitted(True, True) == [ClaimRoom("lobby")]
    assert session.room_claimed(None) == [Reserve(nick)]
    assert session.reserved(nick, Members([nick, "bob"])) == [EnterHub()]
    return session


def announcing(
    history: list[StoredMessage] | None = None, last_id: int | None = None, **options: Any
) -> Session:
    """A session that has sent welcome and history and is announcing its join."""
    session = reserved(**options)
    (read,) = session.entered()
    assert isinstance(read, ReadRoom)
    messages = history or []
    top = last_id if last_id is not None else (messages[-1].id if messages else 0)
    out = session.room_read(read, top, "e1", messages)
    assert others(out) == [AnnounceJoin()]
    return session


def live(**options: Any) -> Session:
    """A session of ann's in lobby that takes the room's plain broadcasts."""
    session = announcing(**options)
    assert session.join_announced() == []
    out = session.greeted(joined("ann"))
    assert sent(out) == [protocol.sys_frame("join", "lobby", "ann", 2, 5000)] and others(out) == [Settle()]
    assert session.state is State.LIVE
    return session


def chat(session: Session, text: str, ref: str | None = None) -> Publish:
    """Send a message frame; the store effect it yields."""
    frame: Frame = {"type": "message", "message": text}
    if ref is not None:
        frame["ref"] = ref
    (publish,) = session.received(json.dumps(frame))
    assert isinstance(publish, Publish)
    return publish


# --- joining -------------------------------------------------------------------------


def test_the_welcome_lists_the_guests_among_the_members() -> None:
    """The members the reservation found as guests are the welcome's guests."""
    session = Session(SETTINGS, Clock())
    session.open("lobby", "ann", since="")
    session.admitted(True, True)
    session.room_claimed(None)
    assert session.reserved("ann", Members(["ann", "zoe", "bob"], ["zoe"])) == [EnterHub()]
    (read,) = session.entered()
    assert isinstance(read, ReadRoom)
    (welcome, _history) = sent(session.room_read(read, 0, "e1", []))
    assert (welcome["users"], welcome["guests"]) == (["ann", "bob", "zoe"], ["zoe"])


def test_a_member_gets_welcome_then_history_then_its_join_is_announced() -> None:
    """Reading the room yields welcome (members sorted, last id, epoch) and history, then the announce."""
    session = reserved()
    assert session.entered() == [ReadRoom(None, SETTINGS.history)]
    out = session.room_read(ReadRoom(None, SETTINGS.history), 2, "e1", [message(1), message(2)])
    welcome, history = sent(out)
    assert welcome == protocol.welcome_frame("lobby", "ann", ["ann", "bob"], 2, "e1")
    assert welcome["users"] == ["ann", "bob"]
    assert [m["id"] for m in history["messages"]] == [1, 2] and history["truncated"] is False
    assert others(out) == [AnnounceJoin()]
    assert session.state is State.ANNOUNCING


def test_a_member_gets_its_own_join_as_soon_as_it_is_out() -> None:
    """The member's own join reaches it as a sys frame, whatever the others get."""
    session = announcing()
    assert sent(session.greeted(joined("ann"))) == [protocol.sys_frame("join", "lobby", "ann", 2, 5000)]


def test_the_own_join_comes_before_what_arrived_meanwhile_however_late_it_is() -> None:
    """Announced, but its own join not back yet (a bus between nodes): others' notices wait behind it."""
    session = announcing()
    assert session.join_announced() == []
    assert session.take([left("cy"), message(1)]) == []
    out = session.greeted(joined("ann"))
    assert sent(out) == [
        protocol.sys_frame("join", "lobby", "ann", 2, 5000),
        protocol.frame_of(left("cy")),
        protocol.frame_of(message(1)),
    ]
    assert others(out) == [Settle()] and session.greeted(joined("ann")) == []


def test_an_own_join_that_never_comes_back_is_made_here() -> None:
    """If the bus lost the member's own join, the member is greeted with one of the welcome's count."""
    session = announcing()
    session.join_announced()
    session.take([message(1)])
    out = session.join_overdue(7000)
    assert sent(out) == [protocol.sys_frame("join", "lobby", "ann", 2, 7000), protocol.frame_of(message(1))]
    assert session.state is State.LIVE


def account(account_id: int = 7, name: str = "ann") -> Identity:
    """Who a signed-in member of account ``account_id`` is."""
    record = Account(account_id, name, name, PERSON, False, False, None, "#336699", 0)
    return Identity(record, SESSION)


def test_an_accounts_sessions_share_one_owner_and_a_guests_is_its_own() -> None:
    """Every connection of one account reserves as that account; each guest as itself."""
    first, second, other = Session(SETTINGS), Session(SETTINGS), Session(SETTINGS)
    first.open("lobby", who=account())
    second.open("Lobby", "someone-else", who=account())
    other.open("lobby", who=account(8, "bo"))
    assert first.owner == second.owner == account_owner(7) != other.owner
    guests = [Session(SETTINGS) for _ in range(2)]
    for guest in guests:
        guest.open("lobby", "ann")
    assert guests[0].owner != guests[1].owner
    assert not {g.owner for g in guests} & {first.owner, other.owner}


def test_an_accounts_second_tab_reserves_its_name() -> None:
    """An account asks for its own name, whatever nick the query says."""
    session = Session(SETTINGS)
    session.open("lobby", "mallory", who=account())
    session.admitted(True, True)
    assert session.room_claimed(None) == [Reserve("ann")]
    assert session.reserved("ann", Members(["ann", "bob"])) == [EnterHub()]


def test_a_connection_the_room_knew_of_gets_its_own_join_and_the_others_nothing() -> None:
    """Another tab of the account is in the room: welcome, history and its own join, then what was held."""
    session = announcing()
    session.take([left("cy"), message(1)])
    out = session.join_known(7000)
    assert sent(out) == [
        protocol.sys_frame("join", "lobby", "ann", 2, 7000),
        protocol.frame_of(left("cy")),
        protocol.frame_of(message(1)),
    ]
    assert others(out) == [Settle()]
    assert session.state is State.LIVE
    assert session.transport_closed() == [LeaveHub(), Release(announce=True)]


def test_a_connection_the_room_knew_of_gone_meanwhile_lets_go_of_its_hold() -> None:
    """Closed before the answer came, it releases its hold: the member's leave is owed by its join."""
    session = announcing()
    assert session.transport_closed() == [LeaveHub()]
    assert session.join_known(7000) == [Release(announce=True)]


def test_since_asks_for_what_was_missed() -> None:
    """A since in the query asks the room for every message after it, at most a thousand."""
    session = reserved(since="4")
    assert session.entered() == [ReadRoom(4, 1000)]


def test_events_that_arrive_while_joining_are_held_and_passed_on_after_history_without_repeats() -> None:
    """What arrived while history was read comes after it, without what history showed or one's own join."""
    session = reserved()
    assert session.take([message(2), joined("ann")]) == []
    (read,) = session.entered()
    session.room_read(read, 2, "e1", [message(1), message(2)])
    assert (
        session.take([message(3), TypingEvent("lobby", "bob"), TypingEvent("lobby", "ann"), left("cy")]) == []
    )
    session.greeted(joined("ann"))
    out = session.join_announced()
    assert sent(out) == [
        protocol.frame_of(message(3)),
        protocol.typing_frame("lobby", "bob"),
        protocol.frame_of(left("cy")),
    ]
    assert others(out) == [Settle()] and session.state is State.LIVE


def test_a_member_catches_up_until_the_stream_passes_what_history_showed() -> None:
    """A message history showed before it was delivered is not sent again; the next one is."""
    session = announcing(history=[message(1), message(2)])
    session.greeted(joined("ann"))
    assert session.join_announced() == []
    assert session.state is State.CATCHING_UP
    assert sent(session.take([joined("dan", 3)])) == [protocol.frame_of(joined("dan", 3))]
    assert session.take([message(2)]) == [Settle()]
    assert session.state is State.LIVE


def test_a_since_beyond_the_last_id_does_not_swallow_the_live_stream() -> None:
    """A member claiming since=500 in a room at id 2 still receives message 3."""
    session = reserved(since="500")
    (read,) = session.entered()
    session.room_read(read, 2, "e1", [])
    session.join_announced()
    session.greeted(joined("ann"))
    out = session.take([message(3)])
    assert sent(out) == [protocol.frame_of(message(3))]


def test_history_on_join_never_takes_more_than_half_the_backlog() -> None:
    """Messages that do not fit in half the backlog bound are left to paging, with truncated."""
    small = replace(SETTINGS, max_backlog_bytes=1000)
    session = reserved(small)
    (read,) = session.entered()
    messages = [message(n, "x" * 100) for n in range(1, 11)]
    _, history = sent(session.room_read(read, 10, "e1", messages))
    ids = [m["id"] for m in history["messages"]]
    assert ids == list(range(11 - len(ids), 11)) and 0 < len(ids) < 10
    assert history["truncated"] is True
    assert len(protocol.encode(history)) < 600


# --- refusals at the door ---------------------------------------------------------


def test_a_bad_room_name_is_refused_with_4400() -> None:
    """A room name the rules refuse gets bad_name and close 4400, and nothing is reserved."""
    session = Session(SETTINGS)
    out = session.open("no room!", "ann")
    assert [f["code"] for f in sent(out)] == ["bad_name"]
    assert others(out) == [Close(4400, "bad_name")]
    assert session.transport_closed() == []


def test_without_guests_nobody_signed_in_is_refused_with_4401() -> None:
    """Without --guests, a connection that proves no account gets unauthorized and 4401."""
    session = Session(replace(SETTINGS, guests=False))
    out = session.open("lobby", "ann")
    assert [f["code"] for f in sent(out)] == ["unauthorized"]
    assert others(out) == [Close(4401, "unauthorized")]


def test_credentials_that_do_not_hold_are_refused_with_4401_even_with_guests() -> None:
    """A bad token or key never falls back to being a guest: unauthorized, 4401, saying why."""
    session = Session(SETTINGS)
    out = session.open("lobby", "ann", refused="the token is not valid: expired")
    assert [(f["code"], f["message"]) for f in sent(out)] == [
        ("unauthorized", "the token is not valid: expired")
    ]
    assert others(out) == [Close(4401, "unauthorized")]


def test_a_room_one_may_not_see_is_refused_with_4404() -> None:
    """A room that does not exist, or that access hides, gets not_found and 4404: the two alike."""
    session = Session(SETTINGS)
    assert session.open("vault", "ann") == [Admit("vault")]
    out = session.admitted(False, False)
    assert [f["code"] for f in sent(out)] == ["not_found"]
    assert others(out) == [Close(4404, "not_found")]
    assert session.transport_closed() == []


def test_a_read_only_room_refuses_messages_and_keeps_the_member() -> None:
    """In a room one may read but not post in (archived), a message gets read_only with its ref."""
    session = Session(SETTINGS)
    session.open("lobby", "ann")
    session.admitted(True, False)
    session.room_claimed(None)
    session.reserved("ann", Members(["ann"]))
    out = session.received('{"type":"message","message":"hi","ref":"r1"}')
    assert [(f["code"], f.get("ref")) for f in sent(out)] == [("read_only", "r1")]
    assert others(out) == []


def test_a_room_that_looks_like_another_is_refused_without_naming_it() -> None:
    """A room name confusable with a room in use gets bad_name, and 4400; that room goes unnamed (it may
    be closed)."""
    session = Session(SETTINGS)
    session.open("Iobby", "ann")
    session.admitted(True, True)
    out = session.room_claimed("lobby")
    assert (
        sent(out)[0]["message"]
        == "the room name 'Iobby' looks like an existing room's name: pick another name"
    )
    assert others(out) == [Close(4400, "bad_name")]


def test_a_nick_in_use_is_refused_with_4409() -> None:
    """A nick someone holds in the room gets nick_taken and 4409."""
    session = Session(SETTINGS)
    session.open("lobby", "ann")
    session.admitted(True, True)
    session.room_claimed(None)
    out = session.reserved("ann", None)
    assert [f["code"] for f in sent(out)] == ["nick_taken"]
    assert others(out) == [Close(4409, "nick_taken")]


def test_without_a_nick_the_member_gets_a_free_guest_name() -> None:
    """Guest names are tried until one is free."""
    session = Session(SETTINGS)
    session.open("lobby", "")
    session.admitted(True, True)
    (first,) = session.room_claimed(None)
    assert isinstance(first, Reserve) and re.fullmatch(r"guest-\d{4}", first.nick)
    (second,) = session.reserved(first.nick, None)
    assert isinstance(second, Reserve) and re.fullmatch(r"guest-\d{4}", second.nick)
    assert session.reserved(second.nick, Members([second.nick])) == [EnterHub()]
    assert session.nick == second.nick


def test_a_store_away_while_joining_closes_1013_and_releases_the_nick_unannounced() -> None:
    """The store failing while the room is read gets unavailable and 1013; the nick is freed quietly."""
    session = reserved()
    (read,) = session.entered()
    out = session.failed(read)
    assert [f["code"] for f in sent(out)] == ["unavailable"]
    assert others(out) == [Close(1013, "unavailable")]
    assert session.transport_closed() == [LeaveHub(), Release(announce=False)]


# --- frames from the client -----------------------------------------------------------


def test_a_message_in_live_yields_a_store_effect_and_then_an_ack_on_completion() -> None:
    """A message frame is stored (trimmed); its ack carries the id once it is durable."""
    session = live()
    publish = chat(session, "  hello  ", ref="r1")
    assert (publish.text, publish.ref) == ("hello", "r1")
    assert sent(session.stored(publish, 7)) == [protocol.ack_frame("r1", 7)]


def test_plain_text_is_a_message_and_without_a_ref_gets_no_ack() -> None:
    """A frame not starting with { is chat text; without a ref nothing comes back when it is stored."""
    session = live()
    (publish,) = session.received("[1,2]")
    assert isinstance(publish, Publish) and (publish.text, publish.ref) == ("[1,2]", None)
    assert session.stored(publish, 1) == []


def test_a_message_that_cannot_be_stored_gets_unavailable_with_its_ref() -> None:
    """The store failing answers the message's ref with unavailable; the member may retry."""
    session = live()
    publish = chat(session, "hi", ref="r2")
    (error,) = sent(session.store_failed(publish))
    assert (error["code"], error["ref"]) == ("unavailable", "r2")


def test_messages_over_the_rate_are_refused_until_a_token_comes_back() -> None:
    """The burst passes; the next message is rate_limited with its ref; one passes again a token later."""
    clock = Clock()
    session = live(clock=clock)
    for n in range(SETTINGS.burst):
        chat(session, f"m{n}")
    (error,) = sent(session.received(json.dumps({"type": "message", "message": "more", "ref": "r"})))
    assert (error["code"], error["ref"]) == ("rate_limited", "r")
    clock.now += 1 / SETTINGS.rate
    chat(session, "again")


def test_refusals_yield_error_frames_and_the_21st_within_the_window_closes_1008_after_owed_acks() -> None:
    """Twenty refusals are answered; the 21st closes 1008 once the owed ack has gone out."""
    session = live()
    publish = chat(session, "kept", ref="k")
    for _ in range(20):
        out = session.received("{not json")
        assert [f["code"] for f in sent(out)] == ["bad_json"] and others(out) == []
    out = session.received(b"\x00")
    assert [f["code"] for f in sent(out)] == ["binary"]
    assert others(out) == [AwaitAcks(ACK_WAIT_SECONDS)]
    assert session.received("after the close") == []
    out = session.stored(publish, 1)
    assert sent(out) == [protocol.ack_frame("k", 1)]
    assert others(out) == [Close(1008, "too many refused frames")]


def test_refusals_spread_over_more_than_the_window_never_close() -> None:
    """Refusals older than the window are forgotten."""
    clock = Clock()
    session = live(clock=clock)
    for _ in range(60):
        clock.now += 1.0
        assert others(session.received("")) == []


def test_typing_reaches_the_room_at_most_once_a_second_and_is_never_refused() -> None:
    """Extra typing frames within a second are dropped quietly."""
    clock = Clock()
    session = live(clock=clock)
    assert session.received('{"type":"typing"}') == [Typing()]
    clock.now += 0.5
    assert session.received('{"type":"typing"}') == []
    clock.now += 0.5
    assert session.received('{"type":"typing"}') == [Typing()]


def test_a_history_request_reads_a_page_and_answers_the_newest_with_truncated() -> None:
    """A history request reads one more than asked, so that truncated says whether older ones remain."""
    session = live()
    (request,) = session.received('{"type":"history","before":10,"limit":3}')
    assert request == ReadPage(10, 3)
    (page,) = sent(session.page_read(request, [message(n) for n in range(6, 10)]))
    assert ([m["id"] for m in page["messages"]], page["truncated"]) == ([7, 8, 9], True)
    (error,) = sent(session.page_failed(request))
    assert error["code"] == "unavailable" and "ref" not in error and "ref" not in page


def test_a_history_requests_answer_and_refusal_carry_its_ref() -> None:
    """A client that pages with a ref finds it on the history frame that answers, or on the error."""
    session = live()
    (request,) = session.received('{"type":"history","before":10,"limit":3,"ref":"older-1"}')
    (page,) = sent(session.page_read(request, [message(n) for n in range(7, 10)]))
    assert (page["type"], page["ref"], [m["id"] for m in page["messages"]]) == (
        "history",
        "older-1",
        [7, 8, 9],
    )
    (error,) = sent(session.page_failed(request))
    assert (error["code"], error["ref"]) == ("unavailable", "older-1")


def test_an_accounts_history_marks_its_own_messages_by_account_not_by_name() -> None:
    """Ann's history says which messages are hers by account: one under an old name is, another ann's not."""
    session = live()
    session.who = account(7, "ann")
    mine_renamed = StoredMessage(1, "lobby", "annie", "before the rename", 1, account_id=7)
    another_ann = StoredMessage(2, "lobby", "ann", "the name's last owner", 2, account_id=3)
    guest = StoredMessage(3, "lobby", "ann", "a guest once", 3, guest=True)
    (request,) = session.received('{"type":"history","before":10,"limit":5}')
    (page,) = sent(session.page_read(request, [mine_renamed, another_ann, guest]))
    assert [m.get("own") for m in page["messages"]] == [True, None, None]
    session.who = None
    (page,) = sent(session.page_read(request, [mine_renamed]))
    assert "own" not in page["messages"][0]


# --- closing ---------------------------------------------------------------------------------


def test_a_close_without_owed_acks_is_immediate_and_happens_once() -> None:
    """A server close with nothing owed closes at once; a second close asks nothing more."""
    session = live()
    assert session.close(1001, "server shutting down") == [Close(1001, "server shutting down")]
    assert session.close(1008, "too many refused frames") == []
    assert session.close_code == 1001


def test_the_wait_for_owed_acks_is_bounded() -> None:
    """A close waiting on the store goes out when the wait is over, acks or not."""
    session = live()
    chat(session, "slow", ref="s")
    assert session.close(1001, "bye") == [AwaitAcks(ACK_WAIT_SECONDS)]
    assert session.acks_overdue() == [Close(1001, "bye")]
    assert session.acks_overdue() == []


def test_a_slow_member_is_cut_off_at_once_with_1013() -> None:
    """A member whose backlog passed its bound is closed 1013 at once, even with acks owed."""
    session = live()
    chat(session, "owed", ref="o")
    assert session.overflowed() == [Close(1013, "too slow: backlog bound passed", at_once=True)]
    assert session.close_code == 1013


def test_closing_releases_the_nick_once_and_announces_the_leave_of_an_announced_join() -> None:
    """A live member's departure leaves the hub and is announced; nothing after it asks again."""
    session = live()
    session.close(1001, "bye")
    assert session.transport_closed() == [LeaveHub(), Release(announce=True)]
    assert session.take([message(9)]) == [] and session.close(1001, "again") == []
    assert sent(session.greeted(joined("ann"))) == []


def test_a_member_gone_before_its_join_was_announced_leaves_unannounced() -> None:
    """A connection lost while the room was read frees the nick with no leave notice."""
    session = reserved()
    session.entered()
    assert session.transport_closed() == [LeaveHub(), Release(announce=False)]
    assert session.room_read(ReadRoom(None, 50), 0, "e1", []) == []


def test_a_reservation_that_answers_after_the_connection_is_gone_is_released() -> None:
    """A nick reserved for a member already gone is freed, unannounced."""
    session = Session(SETTINGS)
    session.open("lobby", "ann")
    session.admitted(True, True)
    session.room_claimed(None)
    assert session.transport_closed() == []
    assert session.reserved("ann", Members(["ann"])) == [Release(announce=False)]


def test_a_member_gone_while_its_join_is_announced_leaves_as_the_announce_went() -> None:
    """Gone during the announce: the leave is announced if the join went out, not if it failed."""
    session = announcing()
    assert session.transport_closed() == [LeaveHub()]
    assert session.join_announced() == [Release(announce=True)]
    failing = announcing()
    assert failing.transport_closed() == [LeaveHub()]
    assert failing.failed(AnnounceJoin()) == [Release(announce=False)]


def test_a_session_closed_while_joining_goes_no_further_into_the_room() -> None:
    """A shutdown during the join sends no welcome, announces nothing, and frees the nick quietly."""
    session = reserved()
    assert session.close(1001, "server shutting down") == [Close(1001, "server shutting down")]
    assert session.entered() == []
    assert session.transport_closed() == [LeaveHub(), Release(announce=False)]


def test_what_the_store_said_with_the_admission_spares_the_claim_and_the_name_check() -> None:
    """With the store's answers the claim asks only the deployment, and a checked nick is not asked again."""
    session = Session(SETTINGS)
    session.open("lobby", "ann")
    assert session.first_nick == "ann"
    assert session.admitted(True, True, Known(None, "ann")) == [ClaimRoom("lobby", store_checked=True)]
    assert session.room_claimed(None) == [Reserve("ann", name_checked=True)]


def test_the_stores_look_alike_and_account_name_refuse_as_the_claim_and_reserve_did() -> None:
    """A room the store says looks like another: bad_name, 4400; an account's name: nick_taken, 4409."""
    alike = Session(SETTINGS)
    alike.open("Iobby", "ann")
    out = alike.admitted(True, True, Known("lobby", "ann"))
    assert sent(out)[0][
        "message"
    ] == "the room name 'Iobby' looks like an existing room's name: pick another name" and others(out) == [
        Close(4400, "bad_name")
    ]
    named = Session(SETTINGS)
    named.open("lobby", "alice")
    assert named.admitted(True, True, Known(None, "alice", account_named=True)) == [
        ClaimRoom("lobby", store_checked=True)
    ]
    out = named.room_claimed(None)
    assert [f["code"] for f in sent(out)] == ["nick_taken"] and others(out) == [Close(4409, "nick_taken")]
    assert "an account's name" in sent(out)[0]["message"]


def test_a_guest_nick_an_account_holds_at_reservation_is_refused_as_an_accounts_name() -> None:
    """Told at reservation that an account holds the nick, the guest hears it is an account's name;
    a nick in use by someone in the room is refused as that."""
    for account_named, says in ((True, "is an account's name"), (False, "someone in this room already uses")):
        session = Session(SETTINGS)
        session.open("lobby", "dan")
        session.admitted(True, True)
        assert session.room_claimed(None) == [Reserve("dan")]
        out = session.reserved("dan", None, account_named=account_named)
        assert [f["code"] for f in sent(out)] == ["nick_taken"] and says in sent(out)[0]["message"]
        assert others(out) == [Close(4409, "nick_taken")]

"""changes.py: the frames of changes to messages, parsed and built without any I/O."""

from __future__ import annotations

import pytest

from chatroom import changes, protocol
from chatroom.events import (
    DELETE,
    EDIT,
    PIN,
    REACTION,
    FileInfo,
    Pin,
    Reaction,
    ReplyQuote,
    StoredChange,
    StoredMessage,
    ThreadSummary,
)
from chatroom.protocol import MessageFrame, ProtocolError
from chatroom.store.change_rules import MAX_PINS, ChangeRefusedError, ChangeRequest, TargetState, decide


def refused(data: str) -> ProtocolError:
    """The refusal of a frame that must be refused."""
    with pytest.raises(ProtocolError) as error:
        changes.parse_frame(data)
    return error.value


def test_change_frames_parse() -> None:
    """edit, delete and react frames become their requests; text is trimmed like a message's."""
    assert changes.parse_frame('{"type":"edit","id":3,"message":" hi ","ref":"a"}') == changes.EditFrame(
        3, "hi", "a"
    )
    assert changes.parse_frame('{"type":"delete","id":3}') == changes.DeleteFrame(3)
    react = changes.parse_frame('{"type":"react","id":3,"emoji":"\U0001f44d","on":false,"ref":"b"}')
    assert react == changes.ReactFrame(3, "\U0001f44d", False, "b")


def test_a_message_may_reply() -> None:
    """reply_to is kept on a message frame; version 1 frames parse as before."""
    assert changes.parse_frame('{"type":"message","message":"yes","reply_to":7}') == MessageFrame(
        "yes", None, 7
    )
    assert changes.parse_frame("plain text") == MessageFrame("plain text")
    assert changes.parse_frame('{"type":"typing"}') == protocol.TypingFrame()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ('{"type":"edit","message":"x","ref":"r"}', "bad_request"),
        ('{"type":"edit","id":0,"message":"x"}', "bad_request"),
        ('{"type":"edit","id":true,"message":"x"}', "bad_request"),
        ('{"type":"edit","id":1,"message":5}', "bad_request"),
        ('{"type":"edit","id":1,"message":""}', "empty"),
        ('{"type":"delete","id":"1"}', "bad_request"),
        ('{"type":"react","id":1,"emoji":"\U0001f44d"}', "bad_request"),
        ('{"type":"react","id":1,"emoji":"","on":true}', "bad_request"),
        ('{"type":"react","id":1,"emoji":"ab","on":true}', "bad_request"),
        ('{"type":"react","id":1,"emoji":"\U0001f44d \U0001f44d","on":true}', "bad_request"),
        ('{"type":"react","id":1,"emoji":"' + "\U0001f44d" * 65 + '","on":true}', "bad_request"),
        ('{"type":"message","message":"x","reply_to":-1}', "bad_request"),
        ('{"type":"pin","id":1}', "bad_request"),
        ('{"type":"pin","id":1,"on":1}', "bad_request"),
        ('{"type":"pin","id":"1","on":true}', "bad_request"),
    ],
)
def test_bad_change_frames_are_refused(data: str, code: str) -> None:
    """Missing or mistyped ids, emoji that are no symbol, too long or spaced: refused with the code."""
    assert refused(data).code == code


def test_emoji_of_many_code_points_are_accepted() -> None:
    """A family with joiners, a flag, a keycap and a plain symbol are emoji."""
    for emoji in (
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",
        "\U0001f1eb\U0001f1f7",
        "1\ufe0f\u20e3",
        "\u2665",
    ):
        assert changes.clean_emoji(emoji) == emoji


def test_a_user_frame_carries_the_current_state() -> None:
    """Edited, reactions and a quoted reply appear only when they apply; a deleted message shows nothing."""
    plain = StoredMessage(1, "lobby", "ann", "hi", 10)
    assert changes.message_frame(plain) == protocol.user_frame(1, "lobby", "ann", "hi", 10)
    rich = StoredMessage(
        2, "lobby", "bob", "yes", 11, reply_to=ReplyQuote(1, "ann", "hi" * 80), edited=12,
        reactions=(Reaction("\u2665", ("ann", "carl")),),
    )  # fmt: skip
    frame = changes.message_frame(rich)
    assert frame["edited"] == 12 and frame["reactions"] == [{"emoji": "\u2665", "nicks": ["ann", "carl"]}]
    assert frame["reply_to"]["id"] == 1 and len(frame["reply_to"]["message"]) == changes.QUOTE_LENGTH
    gone = StoredMessage(3, "lobby", "bob", "", 11, reply_to=ReplyQuote(1, "ann", None), deleted=True)
    assert changes.message_frame(gone) == {**protocol.user_frame(3, "lobby", "bob", "", 11), "deleted": True}
    orphan = StoredMessage(4, "lobby", "bob", "ok", 11, reply_to=ReplyQuote(1, "ann", None))
    assert changes.message_frame(orphan)["reply_to"] == {"id": 1, "nick": "ann", "message": None}


def test_a_reply_quotes_its_original_as_read_without_formatting_marks() -> None:
    """**bold**, a link and two paragraphs are quoted as their words on one line, then cut to length."""
    formatted = ReplyQuote(1, "ann", "the **release** is [up](https://example.com/rc)\n\non staging")
    reply = StoredMessage(2, "lobby", "bob", "great", 11, reply_to=formatted)
    assert changes.message_frame(reply)["reply_to"]["message"] == "the release is up on staging"
    long = ReplyQuote(1, "ann", "**" + " ".join(["word"] * 40) + "**")
    frame = changes.message_frame(StoredMessage(3, "lobby", "bob", "ok", 12, reply_to=long))
    quote = frame["reply_to"]["message"]
    assert "*" not in quote and len(quote) == changes.QUOTE_LENGTH and quote.endswith("\u2026")


def test_a_user_frame_carries_its_file() -> None:
    """A message's file is in its user frame (width and height for images only); a deleted one has none."""
    photo = FileInfo("p" * 22, "cat.jpg", 1234, "image/jpeg", 800, 600, True)
    frame = changes.message_frame(StoredMessage(1, "lobby", "ann", "look", 10, file=photo))
    assert frame["file"] == {
        "id": "p" * 22, "name": "cat.jpg", "size": 1234, "type": "image/jpeg", "width": 800, "height": 600,
        "thumb": True,
    }  # fmt: skip
    report = FileInfo("r" * 22, "q3.pdf", 99, "application/pdf")
    frame = changes.message_frame(StoredMessage(2, "lobby", "ann", "", 11, file=report))
    assert frame["file"] == {
        "id": "r" * 22,
        "name": "q3.pdf",
        "size": 99,
        "type": "application/pdf",
        "thumb": False,
    }
    gone = StoredMessage(3, "lobby", "ann", "", 12, deleted=True, file=report)
    assert "file" not in changes.message_frame(gone)


def test_change_frames_name_their_target() -> None:
    """Each kind has its own fields, and its own id."""
    assert changes.change_frame(StoredChange(5, "r", EDIT, 2, "ann", 9, text="new")) == {
        "type": "edit", "id": 5, "room": "r", "target": 2, "nick": "ann", "message": "new", "ts": 9,
    }  # fmt: skip
    assert changes.change_frame(StoredChange(6, "r", DELETE, 2, "root", 9)) == {
        "type": "delete", "id": 6, "room": "r", "target": 2, "nick": "root", "ts": 9,
    }  # fmt: skip
    assert changes.change_frame(StoredChange(7, "r", REACTION, 2, "bob", 9, emoji="\u2665", on=True)) == {
        "type": "reaction", "id": 7, "room": "r", "target": 2, "nick": "bob", "emoji": "\u2665", "on": True,
        "ts": 9,
    }  # fmt: skip


def test_an_edit_and_a_message_in_history_carry_their_trees() -> None:
    """A formatted edit, and a formatted message in history, carry "fmt"; plain and deleted ones do not."""
    edit = changes.change_frame(StoredChange(5, "r", EDIT, 2, "ann", 9, text="now *fixed*"))
    assert edit["fmt"] == [["p", "now ", ["em", "fixed"]]]
    assert "fmt" not in changes.change_frame(StoredChange(6, "r", EDIT, 2, "ann", 9, text="plain"))
    shown = [
        StoredMessage(1, "r", "ann", "- a\n- b", 1),
        StoredMessage(2, "r", "ann", "plain", 2),
        StoredMessage(3, "r", "ann", "", 3, deleted=True),
    ]
    frame = changes.history_frame("r", shown, False)
    assert [m.get("fmt") for m in frame["messages"]] == [
        [["ul", ["li", ["p", "a"]], ["li", ["p", "b"]]]],
        None,
        None,
    ]


def test_a_replay_keeps_the_newest_changes_that_fit() -> None:
    """Without since there is no replay; with one, older changes past the budget are cut and said so."""
    assert changes.replay_page(None, 10, 1000) == (None, False)
    found = [StoredChange(i, "r", EDIT, 1, "ann", 0, text="x" * 100) for i in range(1, 21)]
    shown, cut = changes.replay_page(found, 1000, 4 * 1000)
    assert cut and shown is not None and shown[-1].id == 20 and len(shown) < 20
    assert changes.replay_page(found[:2], 1000, 10**6) == (found[:2], False)


def test_the_rules_of_who_changes_what() -> None:
    """Only the author edits; the author or an administrator deletes; a repeat changes nothing."""
    mine = TargetState(1, False, "text")
    assert decide(ChangeRequest(EDIT, 1, "ann", 1, text="new"), mine)
    assert not decide(ChangeRequest(EDIT, 1, "ann", 1, text="text"), mine)
    assert decide(ChangeRequest(DELETE, 1, "root", 9, any_author=True), mine)
    assert not decide(ChangeRequest(DELETE, 1, "ann", 1), TargetState(1, True, ""))
    assert not decide(
        ChangeRequest(REACTION, 1, "bob", 2, emoji="x", on=True), TargetState(1, False, "", True)
    )
    for request, target, code in (
        (ChangeRequest(EDIT, 1, "root", 9, any_author=True, text="x"), mine, "forbidden"),
        (ChangeRequest(DELETE, 1, "bob", 2), TargetState(None, False, "a guest's"), "forbidden"),
        (ChangeRequest(REACTION, 1, "bob", 2, emoji="x", on=True), TargetState(1, True, ""), "no_message"),
        (ChangeRequest(EDIT, 1, "ann", 1, text="x"), None, "no_message"),
    ):
        with pytest.raises(ChangeRefusedError) as error:
            decide(request, target)
        assert error.value.code == code


def test_pin_frames_parse_and_go_out_with_their_target() -> None:
    """A pin names its message and whether it is pinned; the stored change says the same, with its id."""
    assert changes.parse_frame('{"type":"pin","id":3,"on":true,"ref":"p"}') == changes.PinFrame(3, True, "p")
    assert changes.parse_frame('{"type":"pin","id":3,"on":false}') == changes.PinFrame(3, False)
    assert changes.change_frame(StoredChange(8, "r", PIN, 2, "ann", 9, on=False)) == {
        "type": "pin", "id": 8, "room": "r", "target": 2, "nick": "ann", "on": False, "ts": 9,
    }  # fmt: skip


def test_a_pinned_message_says_who_pinned_it() -> None:
    """A user frame carries "pinned" only while its message is pinned."""
    pinned = StoredMessage(1, "lobby", "bob", "the link", 10, pinned=Pin("ann", 20))
    assert changes.message_frame(pinned)["pinned"] == {"nick": "ann", "ts": 20}
    assert "pinned" not in changes.message_frame(StoredMessage(1, "lobby", "bob", "the link", 10))


def test_the_rules_of_pins() -> None:
    """A repeat changes nothing, a deleted message cannot be pinned, a full room takes no more pins
    (but still takes unpinning, and a repeat of a pin already there)."""
    pin, unpin = ChangeRequest(PIN, 1, "ann", 1, on=True), ChangeRequest(PIN, 1, "ann", 1, on=False)
    assert decide(pin, TargetState(2, False, "x", pins=3))
    assert not decide(pin, TargetState(2, False, "x", pinned=True, pins=3))
    assert not decide(unpin, TargetState(2, False, "x", pins=3))
    assert decide(unpin, TargetState(2, False, "x", pinned=True, pins=MAX_PINS))
    assert not decide(pin, TargetState(2, False, "x", pinned=True, pins=MAX_PINS))
    for target, code in (
        (TargetState(2, True, ""), "no_message"),
        (None, "no_message"),
        (TargetState(2, False, "x", pins=MAX_PINS), "too_many_pins"),
    ):
        with pytest.raises(ChangeRefusedError) as error:
            decide(pin, target)
        assert error.value.code == code


def test_a_message_may_reply_in_a_thread() -> None:
    """thread is kept on a message frame, with reply_to or without; a history request may ask for the top."""
    assert changes.parse_frame('{"type":"message","message":"yes","thread":7,"ref":"a"}') == MessageFrame(
        "yes", "a", None, 7
    )
    both = changes.parse_frame('{"type":"message","message":"yes","thread":7,"reply_to":9}')
    assert both == MessageFrame("yes", None, 9, 7)
    assert changes.parse_frame('{"type":"message","message":"yes","thread":null}') == MessageFrame("yes")
    loud = changes.parse_frame('{"type":"message","message":"yes","thread":7,"broadcast":true}')
    assert loud == MessageFrame("yes", None, None, 7, True)
    top = changes.parse_frame('{"type":"history","before":5,"top":true}')
    assert top == protocol.HistoryRequest(5, 50, None, True)
    assert changes.parse_frame('{"type":"history","before":5}') == protocol.HistoryRequest(5, 50)


@pytest.mark.parametrize(
    "data",
    [
        '{"type":"message","message":"x","thread":0,"ref":"r"}',
        '{"type":"message","message":"x","thread":"7","ref":"r"}',
        '{"type":"message","message":"x","thread":true,"ref":"r"}',
        '{"type":"message","message":"x","thread":9223372036854775808,"ref":"r"}',
        '{"type":"history","top":"yes","ref":"r"}',
        '{"type":"message","message":"x","broadcast":true,"ref":"r"}',
        '{"type":"message","message":"x","thread":7,"broadcast":1,"ref":"r"}',
    ],
)
def test_a_bad_thread_or_top_is_refused_with_its_ref(data: str) -> None:
    """A thread that is no message id, a top that is not true or false: bad_request, the ref kept."""
    error = refused(data)
    assert (error.code, error.ref) == ("bad_request", "r")


def test_a_thread_reply_and_a_root_say_so_in_their_frames() -> None:
    """A reply's frame names its thread (a tombstone too); a root's sums up its replies; others unchanged."""
    reply = changes.message_frame(StoredMessage(2, "lobby", "bob", "yes", 11, thread=1))
    assert reply == {
        "type": "user",
        "id": 2,
        "room": "lobby",
        "nick": "bob",
        "message": "yes",
        "ts": 11,
        "thread": 1,
    }
    gone = changes.message_frame(StoredMessage(3, "lobby", "bob", "", 11, thread=1, deleted=True))
    assert (gone["thread"], gone["deleted"]) == (1, True)
    root = StoredMessage(1, "lobby", "ann", "lunch?", 10, replies=ThreadSummary(2, 5, 99))
    assert changes.message_frame(root)["replies"] == {"count": 2, "last_id": 5, "last_at": 99}
    loud = changes.message_frame(StoredMessage(4, "lobby", "bob", "all", 11, thread=1, broadcast=True))
    assert (loud["thread"], loud["broadcast"]) == (1, True)
    plain = changes.message_frame(StoredMessage(1, "lobby", "ann", "hi", 10))
    assert "thread" not in plain and "replies" not in plain

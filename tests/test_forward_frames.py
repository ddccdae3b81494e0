"""What a forwarded copy's frames say (chatroom/forward_frames.py), and its snapshot between nodes."""

from __future__ import annotations

import pytest

from chatroom import changes
from chatroom.bus.redis_frames import decode_frame, message_frames
from chatroom.events import StoredMessage
from chatroom.forwarded import Forwarded
from chatroom.store.records import CLOSED, DIRECT, OPEN


def copy(kind: str, room: str = "plans", comment: str = "see", file_name: str | None = None) -> StoredMessage:
    snapshot = Forwarded(room, 7, kind, "bob", 1000, "the **plan**", file_name)
    return StoredMessage(40, "town", "ann", comment, 2000, account_id=1, forward=snapshot)


@pytest.mark.parametrize(
    ("kind", "room", "where", "named"),
    [
        (OPEN, "plans", "#plans", True),
        (CLOSED, "plans", "a closed room", False),
        (DIRECT, "dm-1f3a", "a direct conversation", False),
        (CLOSED, "town", "#town", True),
    ],
)
def test_a_copy_names_the_original_room_only_where_its_readers_may_know_it(
    kind: str, room: str, where: str, named: bool
) -> None:
    """An open room, or the copy's own room, is named; a closed room or a direct conversation is not."""
    frame = changes.message_frame(copy(kind, room))
    assert frame["message"] == f"see\n\n\u21aa Forwarded from {where} \u2014 bob:\nthe **plan**"
    assert ("room" in frame["forward"]) is named
    assert (room in str(frame["forward"])) is named and frame["forward"]["from"] == kind
    assert frame["forward"]["fmt"] == [["p", "the ", ["strong", "plan"]]]


def test_without_a_comment_the_copy_is_the_forwarded_text_and_a_file_is_named_not_carried() -> None:
    frame = changes.message_frame(copy(OPEN, comment="", file_name="plan.pdf"))
    assert frame["message"] == (
        "\u21aa Forwarded from #plans \u2014 bob:\nthe **plan**\n(plan.pdf: the file was not forwarded)"
    )
    assert frame["forward"]["comment"] == "" and frame["forward"]["file"] == "plan.pdf"
    assert "comment_fmt" not in frame["forward"] and "file" not in frame


def test_a_deleted_copy_shows_nothing_of_what_it_forwarded() -> None:
    message = copy(CLOSED)
    tombstone = StoredMessage(message.id, "town", "ann", "", 2000, deleted=True, forward=message.forward)
    assert "forward" not in changes.message_frame(tombstone)


def test_the_snapshot_crosses_nodes_whole() -> None:
    message = copy(DIRECT, file_name="a.png")
    (frame,) = message_frames(b"left", [message])
    assert decode_frame("town", frame, b"right") == [message]

"""A forwarded message's snapshot: what a copy carries of the message it forwards.

Plain values, no I/O. The snapshot is taken when the forward is sent and
never follows the original after (an edit or a deletion of the original
leaves every copy as it was): the forwarder could read it and chose to share
it. ``kind`` is the original room's kind then (open, closed or direct); it
decides what the copy says of where it comes from (forward_frames.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Forwarded:
    """The message a copy forwards: its room, id and room kind, author, time (ms), text, file's name."""

    room: str
    id: int
    kind: str
    nick: str
    ts: int
    text: str
    # The name of the file the original carried (the file itself is not carried), None: it carried none.
    file_name: str | None = None

    def as_row(self) -> list[object]:
        """Its fields in order: a row of the forwards table after the copy's room and id, a bus row."""
        return [self.room, self.id, self.kind, self.nick, self.ts, self.text, self.file_name]


def forwarded_from_row(row: Sequence[object]) -> Forwarded | None:
    """A snapshot from the fields as_row gives (None when the first is None: the message forwards none)."""
    room, msg_id, kind, nick, ts, text, file_name = row
    if room is None:
        return None
    assert isinstance(msg_id, int) and isinstance(ts, int)
    return Forwarded(
        str(room), msg_id, str(kind), str(nick), ts, str(text), None if file_name is None else str(file_name)
    )


def searchable_text(text: str, forwarded: Forwarded | None) -> str:
    """What search finds a message by: its text, and the forwarded text on the lines after it."""
    return text if forwarded is None else f"{text}\n{forwarded.text}"

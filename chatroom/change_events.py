"""Changes to stored messages, as data: what each kind does, and a change once stored."""

from __future__ import annotations

from dataclasses import dataclass

# What a StoredChange does to its target.
EDIT = "edit"
DELETE = "delete"
REACTION = "reaction"
PIN = "pin"
# A vote for a poll's option (its index in the change's ``emoji`` column), or taken back; a poll closed.
VOTE = "vote"
CLOSE_POLL = "close_poll"
# The previews of a message's links, set by the server (``on``) or removed by its author or a manager.
PREVIEW = "preview"
CHANGE_KINDS = (EDIT, DELETE, REACTION, PIN, VOTE, CLOSE_POLL, PREVIEW)


@dataclass(frozen=True, slots=True)
class StoredChange:
    """A change to a message (edit, deletion, reaction, pin) once stored: it takes the room's next id.

    ``nick`` is who made the change; ``text`` an edit's new text (emptied
    once the target is deleted), or a preview's cards (preview_pages.py);
    ``emoji`` and ``on`` a reaction's; ``on`` a pin's (pinned, or unpinned)
    or a preview's (set by the server, or removed); a vote's option is its
    ``emoji`` (the index, in digits).
    """

    id: int
    room: str
    kind: str
    target: int
    nick: str
    ts: int
    text: str = ""
    emoji: str = ""
    on: bool = False
    # Who made it (kept for export: reactions and pins are rebuilt from changes on import).
    account_id: int | None = None

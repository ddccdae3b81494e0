"""A forwarded copy's snapshot in an export: the ``forward`` object of its message record.

``{"room", "id", "kind", "nick", "ts", "message", "file"?}``: the original's
room, id and room kind when forwarded, its author, time and text then, and
the name of a file it carried (not carried itself). Imported as it was
written: the snapshot never followed the original, and does not on import.
"""

from __future__ import annotations

from typing import Any

from .export_fields import MAX_ID, MAX_TS, Fields
from .forwarded import Forwarded
from .store.records import CLOSED, DIRECT, OPEN

_KINDS = (OPEN, CLOSED, DIRECT)


def forward_record(forwarded: Forwarded | None) -> dict[str, Any] | None:
    """The ``forward`` field of a copy's record (None: the message forwards none)."""
    if forwarded is None:
        return None
    f = forwarded
    record = {"room": f.room, "id": f.id, "kind": f.kind, "nick": f.nick, "ts": f.ts, "message": f.text}
    return record if f.file_name is None else {**record, "file": f.file_name}


def forward_from(fields: Fields) -> Forwarded | None:
    """The snapshot a message record carries, checked (None when it has none)."""
    raw = fields.data.get("forward")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise fields.fail("'forward' must be an object")
    inner = Fields(fields.number, raw)
    kind = inner.text("kind")
    if kind not in _KINDS:
        raise fields.fail(f"'forward' has a room kind {kind!r} that is none of {', '.join(_KINDS)}")
    file_name = raw.get("file")
    if file_name is not None and not isinstance(file_name, str):
        raise fields.fail("'forward' has a 'file' that is not a string")
    return Forwarded(
        inner.text("room"),
        inner.whole("id", 1, MAX_ID),
        kind,
        inner.text("nick"),
        inner.whole("ts", 0, MAX_TS),
        inner.any_text("message"),
        file_name,
    )

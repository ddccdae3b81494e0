"""Link previews in an export: the cards as ``change`` records, their pictures as ``preview_image`` records
(chatroom/export_previews.py), through ``python -m chatroom export`` and ``import``, SQLite to PostgreSQL
and back; a bad picture line fails the import at its number."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image

from chatroom.events import PREVIEW, StoredMessage
from chatroom.preview_images import prepare_picture
from chatroom.preview_pages import Card, picture_of, stored_card, stored_form
from chatroom.store.base import Store
from chatroom.store.change_rules import ChangeRequest
from chatroom.store.previews_base import PreviewImage
from chatroom.store.records import PERSON

from .pg_server import PostgresServer
from .test_export import GOOD_HEADER, chatroom, one_line
from .test_export_reading import on_store, there_and_back


def kept_picture() -> Any:
    """A blue picture as the server keeps it: (Picture, bytes)."""
    out = io.BytesIO()
    Image.new("RGB", (600, 300), (30, 90, 220)).save(out, "PNG")
    return prepare_picture(out.getvalue())


async def fill(store: Store) -> None:
    """ann's message links a page whose card has a picture; her second one's previews were removed; her
    third one's link was edited out (no cards shown)."""
    ann = await store.accounts.create_account("ann", PERSON)
    picture, data = kept_picture()
    await store.accounts.keep_preview_image(
        PreviewImage(picture.digest, picture.content_type, picture.width, picture.height, 7, data)
    )
    cards = stored_form([stored_card(Card("https://x.org/", "X", "Title", "About"), picture)])
    for text in ("see https://x.org/", "and https://y.org/", "then https://x.org/"):
        await store.append("lobby", "ann", text, account_id=ann.id)
    for target in (1, 2, 3):
        await store.change("lobby", ChangeRequest(PREVIEW, target, "ann", ann.id, text=cards, on=True))
    await store.change("lobby", ChangeRequest(PREVIEW, 2, "ann", ann.id))
    await store.change("lobby", ChangeRequest(PREVIEW, 3, "ann", ann.id, text=stored_form([]), on=True))


async def previews_of(store: Store) -> tuple[list[str | None], list[PreviewImage]]:
    """The lobby's messages' previews as they stand, and every picture kept."""
    messages: list[StoredMessage] = await store.history("lobby")
    return [m.preview for m in messages], await store.accounts.preview_images("", 10)


def test_previews_and_their_pictures_go_there_and_back(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """The cards stand on their messages as they left (a removed one stays removed), the pictures arrive
    byte for byte, on PostgreSQL and back on SQLite; one whose links were edited out shows none."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    assert on_store(copy, previews_of) == on_store(postgres, previews_of) == on_store(source, previews_of)
    shown, pictures = on_store(copy, previews_of)
    assert (
        shown[1] == "" and shown[2] == "[]" and shown[0] is not None and picture_of(shown[0], 0) is not None
    )
    assert [p.digest for p in pictures] == [picture_of(shown[0], 0).digest]  # type: ignore[union-attr]
    records = [orjson.loads(line) for line in exported.splitlines()[1:]]
    assert [r["type"] for r in records].count("preview_image") == 1
    assert [(r["kind"], r["on"]) for r in records if r["type"] == "change"] == [
        ("preview", True),
        ("preview", True),
        ("preview", True),
        ("preview", False),
        ("preview", True),
    ]


def line(**fields: Any) -> bytes:
    """A preview_image line of a real kept picture, unless ``fields`` say otherwise."""
    picture, data = kept_picture()
    record = {"type": "preview_image", "digest": picture.digest, "content_type": picture.content_type}
    record.update(width=picture.width, height=picture.height, created=5)
    return orjson.dumps({**record, "image": base64.b64encode(data).decode(), **fields})


@pytest.mark.parametrize(
    ("field", "value"),
    [("digest", "ab" * 32), ("image", base64.b64encode(b"<svg></svg>").decode())],
)
def test_a_bad_picture_line_fails_with_its_number_and_imports_nothing(
    tmp_path: Path, field: str, value: Any
) -> None:
    """A picture whose digest is not its bytes', or whose bytes are not of the type named: exit 2."""
    target = tmp_path / "target.db"
    result = chatroom(
        "import", "--db", str(target), stdin=GOOD_HEADER + b"\n" + line(**{field: value}) + b"\n"
    )
    assert result.returncode == 2
    said = one_line(result)
    assert "line 2:" in said and f"'{field}'" in said
    assert not target.exists()

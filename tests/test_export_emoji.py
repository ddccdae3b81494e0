"""Custom emoji in an export (chatroom/export_emoji.py), through ``python -m chatroom export`` and
``import``, SQLite to PostgreSQL and back; a bad line fails the import at its number."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image

from chatroom.emoji_images import prepare_emoji
from chatroom.store.base import Store
from chatroom.store.emoji_base import CustomEmoji, EmojiImage
from chatroom.store.records import PERSON

from .pg_server import PostgresServer
from .test_export import GOOD_ACCOUNT, GOOD_HEADER, refuses_import
from .test_export_reading import on_store, there_and_back


def kept_image() -> Any:
    """A red square as the server keeps it."""
    out = io.BytesIO()
    Image.new("RGB", (80, 80), (220, 30, 30)).save(out, "PNG")
    return prepare_emoji(out.getvalue())


async def fill(store: Store) -> None:
    """ann added :shipit:; an account no more added :old:."""
    ann = await store.accounts.create_account("ann", PERSON)
    picture = kept_image()
    for name, account in (("shipit", ann.id), ("old", None)):
        emoji = CustomEmoji(name, account, 1000, picture.content_type, picture.digest)
        await store.accounts.add_emoji(emoji, picture.data)


async def emoji_of(store: Store) -> list[EmojiImage | None]:
    """Every custom emoji with its image."""
    return [await store.accounts.emoji_image(e.name) for e in await store.accounts.custom_emoji()]


def test_custom_emoji_go_there_and_back_with_their_images(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """Names, adders, times and images arrive as they left, on PostgreSQL and back on SQLite."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    assert on_store(copy, emoji_of) == on_store(postgres, emoji_of) == on_store(source, emoji_of)
    assert [e.emoji.name for e in on_store(copy, emoji_of) if e] == ["old", "shipit"]
    records = [orjson.loads(line) for line in exported.splitlines()[1:]]
    ours = [record for record in records if record["type"] == "custom_emoji"]
    assert [(r["name"], r["account"], r["content_type"]) for r in ours] == [
        ("old", None, "image/png"),
        ("shipit", 1, "image/png"),
    ]
    assert records[-2:] == ours


def line(**fields: Any) -> bytes:
    """A custom_emoji line: :shipit: of account 1, a real PNG, unless ``fields`` say otherwise."""
    image = base64.b64encode(kept_image().data).decode()
    record = {
        "type": "custom_emoji",
        "name": "shipit",
        "account": 1,
        "created": 5,
        "content_type": "image/png",
    }
    return orjson.dumps({**record, "image": image, **fields})


SVG = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>').decode()


@pytest.mark.parametrize(
    ("lines", "number", "says"),
    [
        ([GOOD_HEADER, line()], 2, "emoji :shipit: of account 1, which no line before it brings"),
        ([GOOD_HEADER, GOOD_ACCOUNT, line(), line()], 4, "the emoji :shipit: a second time"),
        ([GOOD_HEADER, GOOD_ACCOUNT, line(name="Ship It")], 3, "'name'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, line(content_type="image/svg+xml")], 3, "'content_type'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, line(image=SVG)], 3, "'image'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, line(image="not base64!")], 3, "'image'"),
    ],
)
def test_a_bad_emoji_line_fails_with_its_number_and_imports_nothing(
    tmp_path: Path, lines: list[bytes], number: int, says: Any
) -> None:
    """An emoji of an account the file did not bring, twice, badly named, or not a kept image: exit 2."""
    refuses_import(tmp_path, lines, number, says)

"""Files in an export: records and parts, a round trip through SQLite and PostgreSQL, bad files refused."""

from __future__ import annotations

import asyncio
import base64
import io
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson
import pytest

from chatroom.events import DELETE, FileInfo
from chatroom.export import export_history, import_history
from chatroom.export_fields import ExportFileError
from chatroom.images import Prepared
from chatroom.store.base import Store
from chatroom.store.change_rules import ChangeRequest
from chatroom.store.files_base import ATTACHMENT, AVATAR, CHUNK_BYTES, NewFile
from chatroom.store.postgres import PostgresStore
from chatroom.store.records import PERSON
from chatroom.store.sqlite import SQLiteStore

from .pg_server import PostgresServer
from .stores import StoreFactory
from .test_export import chatroom

PHOTO = os.urandom(2 * CHUNK_BYTES + 1234)
THUMB = os.urandom(5000)
FACE = os.urandom(300)


def on(store: Store, work: Callable[[Store], Awaitable[object]]) -> object:
    """Start the store, do the work, close it: what the work answered."""

    async def main() -> object:
        await store.start()
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


def written(tmp: Path, name: str, data: bytes) -> Path:
    """A file of ``data`` in ``tmp``."""
    path = tmp / name
    path.write_bytes(data)
    return path


async def fill(store: Store, tmp: Path) -> None:
    """An account with an avatar, a message with a photo, one whose file was deleted, an unattached file."""
    ann = (await store.accounts.create_account("ann", PERSON)).id
    photo = Prepared(
        written(tmp, "p", PHOTO), "image/png", len(PHOTO), 800, 600, written(tmp, "t", THUMB), "image/png"
    )
    info = await store.files.save(NewFile("lobby", ann, "photo.png", ATTACHMENT), photo)
    await store.append("lobby", "ann", "look", account_id=ann, file_id=info.id)
    gone = await store.files.save(
        NewFile("lobby", ann, "gone.txt", ATTACHMENT),
        Prepared(written(tmp, "g", b"x"), "text/plain", 1, None, None, None, None),
    )
    message = (await store.append("lobby", "ann", "oops", account_id=ann, file_id=gone.id)).message
    await store.change("lobby", ChangeRequest(DELETE, message.id, "ann", ann))
    face = await store.files.save(
        NewFile(None, ann, "me.png", AVATAR),
        Prepared(written(tmp, "f", FACE), "image/png", 300, None, None, None, None),
    )
    await store.files.set_avatar(ann, face.id)
    await store.files.save(
        NewFile("lobby", ann, "lost.pdf", ATTACHMENT),
        Prepared(written(tmp, "l", b"%PDF"), "application/pdf", 4, None, None, None, None),
    )


async def export(store: Store) -> bytes:
    """The store's export."""
    out = io.BytesIO()
    await export_history(store, out)
    return out.getvalue()


def importer(data: bytes) -> Callable[[Store], Awaitable[object]]:
    """Work that imports ``data`` (keeping its epoch) and then exports the store again."""

    async def work(store: Store) -> bytes:
        await import_history(store, io.BytesIO(data), keep_epoch=True)
        return await export(store)

    return work


async def contents(store: Store) -> tuple[list[FileInfo | None], bytes, bytes, bytes]:
    """The files of the room's messages; the photo's bytes and thumbnail; ann's avatar's bytes."""
    messages = await store.history("lobby")
    photo = messages[0].file
    assert photo is not None
    avatar = await store.files.avatar(1)
    assert avatar is not None
    read = [
        b"".join([chunk async for chunk in store.files.read(i, thumb=t)])
        for i, t in ((photo.id, False), (photo.id, True), (avatar.info.id, False))
    ]
    return [m.file for m in messages], *read  # type: ignore[return-value]


def records(export_bytes: bytes) -> list[dict[str, object]]:
    """The records of an export, header left out."""
    return [orjson.loads(line) for line in export_bytes.splitlines()[1:]]


def test_files_go_through_postgresql_and_back_unchanged(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """SQLite → export → PostgreSQL → export → SQLite: the same files, bytes, thumbnails and avatar."""
    source = SQLiteStore(str(tmp_path / "source.db"))

    async def filled(store: Store) -> tuple[bytes, object]:
        await fill(store, tmp_path)
        return await export(store), await contents(store)

    first, before = on(source, filled)  # type: ignore[misc]
    second = on(PostgresStore(postgres_server.new_schema()), importer(first))
    copy = SQLiteStore(str(tmp_path / "copy.db"))
    third = on(copy, importer(second))  # type: ignore[arg-type]
    assert first == second == third
    assert on(SQLiteStore(str(tmp_path / "copy.db")), contents) == before
    kinds = [r["type"] for r in records(first)]
    assert kinds == [
        "account", "file", "file_part", "room", "file", *["file_part"] * 4, "message", "message", "change"
    ]  # fmt: skip


def test_parts_hold_at_most_a_chunk_and_follow_their_file(
    store_factory: StoreFactory, tmp_path: Path
) -> None:
    """Parts of at most 256 KiB, the file's in order and then its thumbnail's; unattached files stay out."""

    async def work(store: Store) -> bytes:
        await fill(store, tmp_path)
        return await export(store)

    found = records(on(store_factory(), work))  # type: ignore[arg-type]
    photo = next(r for r in found if r["type"] == "file" and r["name"] == "photo.png")
    assert {k: photo[k] for k in ("kind", "room", "size", "width", "height", "thumb_type", "thumb_size")} == {
        "kind": "attachment", "room": "lobby", "size": len(PHOTO), "width": 800, "height": 600,
        "thumb_type": "image/png", "thumb_size": len(THUMB),
    }  # fmt: skip
    parts = [r for r in found if r["type"] == "file_part" and r["file"] == photo["id"]]
    assert [(p["thumb"], p["part"]) for p in parts] == [(False, 0), (False, 1), (False, 2), (True, 0)]
    data = [base64.b64decode(str(p["data"])) for p in parts]
    assert all(len(d) <= CHUNK_BYTES for d in data) and b"".join(data[:3]) == PHOTO and data[3] == THUMB
    assert not any(r.get("name") in ("lost.pdf", "gone.txt") for r in found)


def broken(first: bytes, change: Callable[[list[dict[str, object]]], None]) -> bytes:
    """The export with its records changed."""
    lines = first.splitlines()
    found = records(first)
    change(found)
    return b"\n".join([lines[0], *(orjson.dumps(r) for r in found)]) + b"\n"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda r: r.pop(2), "line 4: file .* lacks some of its bytes"),
        (lambda r: r.__setitem__(6, {**r[6], "part": 2}), "line 8: part 2 of file .* out of order"),
        (lambda r: r.__setitem__(4, {**r[4], "size": 10}), "line 7: file .* has more bytes than its size"),
        (lambda r: r.pop(4), "line 6: a part of file .* which is not the file the lines before it bring"),
        (lambda r: r.__setitem__(4, {**r[4], "room": "kitchen"}), "no attachment of its room"),
        (lambda r: r.__setitem__(4, {**r[4], "id": "../../etc/passwd"}), "line 6: 'id' must be a file id"),
    ],
)
def test_a_file_with_missing_or_misplaced_bytes_is_refused(
    tmp_path: Path, change: Callable[[list[dict[str, object]]], None], reason: str
) -> None:
    """Missing parts, parts out of order or past the size, a file of another room: refused, nothing stored."""

    async def work(store: Store) -> bytes:
        await fill(store, tmp_path)
        return await export(store)

    bad = broken(on(SQLiteStore(str(tmp_path / "source.db")), work), change)  # type: ignore[arg-type]

    async def refused(store: Store) -> None:
        with pytest.raises(ExportFileError, match=reason):
            await import_history(store, io.BytesIO(bad))
        assert await store.files.total_bytes() == 0 and await store.last_id("lobby") == 0

    on(SQLiteStore(str(tmp_path / "target.db")), refused)


def test_the_commands_carry_files_kept_in_a_files_dir_of_their_own(tmp_path: Path) -> None:
    """`export --files-dir` reads the files from there; `import` with CHATROOM_FILES_DIR writes them there."""
    kept, copied = tmp_path / "kept", tmp_path / "copied"
    source = SQLiteStore(str(tmp_path / "source.db"), files_dir=str(kept))

    async def filled(store: Store) -> object:
        await fill(store, tmp_path)
        return await contents(store)

    before = on(source, filled)
    out = tmp_path / "out.jsonl"
    exported = chatroom(
        "export", "--db", str(tmp_path / "source.db"), "--files-dir", str(kept), "-o", str(out)
    )
    assert exported.returncode == 0, exported.stderr.decode()
    imported = chatroom(
        "import", "--db", str(tmp_path / "copy.db"), "-i", str(out), "--keep-epoch",
        env={"CHATROOM_FILES_DIR": str(copied)},
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr.decode()
    assert on(SQLiteStore(str(tmp_path / "copy.db"), files_dir=str(copied)), contents) == before
    beside = tmp_path / "copy.db.files"
    assert not beside.exists() or not [p for p in beside.rglob("*") if p.is_file()]


def test_a_file_sent_without_a_caption_goes_through_postgresql_and_back(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """A file is a message of its own even with no text: its export imports, on either store."""

    async def filled(store: Store) -> bytes:
        ann = (await store.accounts.create_account("ann", PERSON)).id
        plain = Prepared(written(tmp_path, "n", b"notes\n"), "text/plain", 6, None, None, None, None)
        info = await store.files.save(NewFile("lobby", ann, "notes.txt", ATTACHMENT), plain)
        await store.append("lobby", "ann", "", account_id=ann, file_id=info.id)
        return await export(store)

    first = on(SQLiteStore(str(tmp_path / "source.db")), filled)
    second = on(PostgresStore(postgres_server.new_schema()), importer(first))  # type: ignore[arg-type]
    third = on(SQLiteStore(str(tmp_path / "copy.db")), importer(second))  # type: ignore[arg-type]
    assert first == second == third
    file, message = (r for r in records(first) if r["type"] in ("file", "message"))
    assert (message["message"], message["file"]) == ("", file["id"])

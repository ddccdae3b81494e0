"""Uploaded files in the store, held against SQLite and PostgreSQL alike (store/files_base.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from PIL import Image

from chatroom import images
from chatroom.events import DELETE, EDIT, FileInfo
from chatroom.images import Prepared
from chatroom.protocol import BAD_REQUEST
from chatroom.search_text import parse_query
from chatroom.store import open_store
from chatroom.store.accounts_base import RefusedError
from chatroom.store.base import Store
from chatroom.store.blobs import DirectoryBlobs
from chatroom.store.change_rules import ChangeRefusedError, ChangeRequest
from chatroom.store.files_base import ATTACHMENT, AVATAR, CHUNK_BYTES, MissingFileError, NewFile
from chatroom.store.pg_files import PostgresFiles
from chatroom.store.postgres import PostgresStore
from chatroom.store.records import PERSON
from chatroom.store.search_base import SearchQuery
from chatroom.store.sqlite import SQLiteStore
from chatroom.store.sqlite_files import SQLiteFiles

from .pg_server import PostgresServer
from .stores import StoreFactory, run, run_on_two_nodes, write_schema_steps

HOUR_MS = 3_600_000


def spool(tmp: Path, data: bytes, name: str = "upload") -> Path:
    """A prepared file holding ``data``."""
    path = tmp / name
    path.write_bytes(data)
    return path


def prepared(tmp: Path, data: bytes, *, thumb: bytes | None = None) -> Prepared:
    """A prepared upload of ``data`` (an image with a thumbnail when ``thumb`` is given)."""
    if thumb is None:
        return Prepared(spool(tmp, data), "application/pdf", len(data), None, None, None, None)
    return Prepared(
        spool(tmp, data), "image/png", len(data), 800, 600, spool(tmp, thumb, "thumb"), "image/png"
    )


async def person(store: Store, name: str = "ann") -> int:
    """A new person's account id."""
    return (await store.accounts.create_account(name, PERSON)).id


async def read_all(store: Store, file_id: str, **options: object) -> bytes:
    """Every chunk a read answers, joined; the largest chunk must be at most CHUNK_BYTES."""
    chunks = [chunk async for chunk in store.files.read(file_id, **options)]  # type: ignore[arg-type]
    assert all(len(chunk) <= CHUNK_BYTES for chunk in chunks)
    return b"".join(chunks)


async def upload(store: Store, tmp: Path, account_id: int, data: bytes, room: str = "lobby") -> FileInfo:
    """Save an attachment of ``data`` uploaded to ``room``."""
    return await store.files.save(NewFile(room, account_id, "report.pdf", ATTACHMENT), prepared(tmp, data))


def test_a_saved_file_reads_back_whole_and_counts(store_factory: StoreFactory, tmp_path: Path) -> None:
    """A saved image and its thumbnail read back byte for byte, and count in the sizes."""
    data, thumb = os.urandom(3 * CHUNK_BYTES + 17), os.urandom(999)

    async def scenario(store: Store) -> None:
        ann, bob = await person(store), await person(store, "bob")
        new = NewFile("lobby", ann, "photo.png", ATTACHMENT)
        info = await store.files.save(new, prepared(tmp_path, data, thumb=thumb))
        assert info == FileInfo(info.id, "photo.png", len(data), "image/png", 800, 600, True)
        assert len(info.id) == 22
        stored = await store.files.get(info.id)
        assert stored is not None
        assert (stored.info, stored.room, stored.message_id, stored.account_id) == (info, "lobby", None, ann)
        assert stored.kind == ATTACHMENT
        assert await read_all(store, info.id) == data
        assert await read_all(store, info.id, thumb=True) == thumb
        assert await store.files.total_bytes() == len(data) + len(thumb)
        assert await store.files.bytes_of(ann) == len(data) + len(thumb)
        assert await store.files.bytes_of(bob) == 0
        assert await store.files.get("no-such-file-here-at-all") is None

    run(store_factory(), scenario)


def test_ranged_reads_answer_only_the_range(store_factory: StoreFactory, tmp_path: Path) -> None:
    """A range across part boundaries, one inside a part, one past the end and an empty one read right."""
    data = os.urandom(2 * CHUNK_BYTES + 500)

    async def scenario(store: Store) -> None:
        info = await upload(store, tmp_path, await person(store), data)
        assert await read_all(store, info.id, start=100, end=CHUNK_BYTES + 7) == data[100 : CHUNK_BYTES + 7]
        assert await read_all(store, info.id, start=5, end=9) == data[5:9]
        assert await read_all(store, info.id, start=2 * CHUNK_BYTES) == data[2 * CHUNK_BYTES :]
        assert await read_all(store, info.id, start=10, end=10**9) == data[10:]
        assert await read_all(store, info.id, start=len(data) + 1) == b""
        with pytest.raises(MissingFileError):
            await read_all(store, info.id, thumb=True)
        with pytest.raises(MissingFileError):
            await read_all(store, "../../../../etc/passwd")

    run(store_factory(), scenario)


def test_a_message_carries_its_file_in_history_and_search(
    store_factory: StoreFactory, tmp_path: Path
) -> None:
    """The appended message, history, gap repair and search all show the file; the file knows its message."""

    async def scenario(store: Store) -> None:
        ann = await person(store)
        info = await upload(store, tmp_path, ann, b"%PDF-1.4 quarterly")
        appended = await store.append("lobby", "ann", "the quarterly report", account_id=ann, file_id=info.id)
        assert appended.message.file == info
        assert [m.file for m in await store.history("lobby")] == [info]
        assert [m.file for m in await store.sequence_after("lobby", 0, 10)] == [info]
        query = SearchQuery(parse_query("quarterly"), ("lobby",))
        assert [m.file for m in await store.search(query)] == [info]
        stored = await store.files.get(info.id)
        assert stored is not None and (stored.room, stored.message_id) == ("lobby", appended.message.id)
        await store.append("lobby", "ann", "plain", account_id=ann)
        assert [m.file for m in await store.history("lobby")] == [info, None]

    run(store_factory(), scenario)


def test_an_append_with_a_file_it_may_not_carry_is_refused(
    store_factory: StoreFactory, tmp_path: Path
) -> None:
    """A missing file, another's, one attached already, an avatar, one of another room: all refused."""

    async def scenario(store: Store) -> None:
        ann, bob = await person(store), await person(store, "bob")
        mine = await upload(store, tmp_path, ann, b"mine")
        await store.append("lobby", "ann", "first", account_id=ann, file_id=mine.id)
        theirs = await upload(store, tmp_path, bob, b"theirs")
        elsewhere = await upload(store, tmp_path, ann, b"elsewhere", room="kitchen")
        face = await store.files.save(NewFile(None, ann, "me.png", AVATAR), prepared(tmp_path, b"png"))
        for file_id in ("missing-file-id-000000", theirs.id, mine.id, face.id, elsewhere.id):
            with pytest.raises(ChangeRefusedError) as refused:
                await store.append("lobby", "ann", "again", account_id=ann, file_id=file_id)
            assert refused.value.code == BAD_REQUEST
        assert await store.last_id("lobby") == 1
        # The refusals leave the unattached files as they were.
        stored = await store.files.get(theirs.id)
        assert stored is not None and stored.message_id is None

    run(store_factory(), scenario)


def test_one_file_in_two_messages_of_one_batch_goes_to_the_first(
    store_factory: StoreFactory, tmp_path: Path
) -> None:
    """Two appends naming one file at once: the first carries it, the second is refused."""

    async def scenario(store: Store) -> None:
        ann = await person(store)
        info = await upload(store, tmp_path, ann, b"once")
        both = await asyncio.gather(
            store.append("lobby", "ann", "one", account_id=ann, file_id=info.id),
            store.append("lobby", "ann", "two", account_id=ann, file_id=info.id),
            return_exceptions=True,
        )
        assert not isinstance(both[0], BaseException) and both[0].message.file == info
        assert isinstance(both[1], ChangeRefusedError)

    run(store_factory(), scenario)


def test_deleting_the_message_removes_its_file(store_factory: StoreFactory, tmp_path: Path) -> None:
    """Once the message is deleted its file is gone: no row, no bytes, not in history, not counted."""

    async def scenario(store: Store) -> None:
        ann = await person(store)
        info = await upload(store, tmp_path, ann, os.urandom(CHUNK_BYTES + 1))
        message = (await store.append("lobby", "ann", "oops", account_id=ann, file_id=info.id)).message
        await store.change("lobby", ChangeRequest(EDIT, message.id, "ann", ann, text="still here"))
        assert await store.files.get(info.id) is not None
        await store.change("lobby", ChangeRequest(DELETE, message.id, "ann", ann))
        assert await store.files.get(info.id) is None
        assert [m.file for m in await store.history("lobby")] == [None]
        assert await store.files.total_bytes() == 0
        with pytest.raises(MissingFileError):
            await read_all(store, info.id)
        await settle(store)
        blobs = directory_of(store)
        if blobs is not None:
            assert not blobs.path_of(info.id).exists()

    run(store_factory(), scenario)


def test_discard_removes_an_unattached_file_only(store_factory: StoreFactory, tmp_path: Path) -> None:
    """Discarding a file whose message failed removes it; one a message carries stays."""

    async def scenario(store: Store) -> None:
        ann = await person(store)
        loose, kept = (
            await upload(store, tmp_path, ann, b"loose"),
            await upload(store, tmp_path, ann, b"kept"),
        )
        await store.append("lobby", "ann", "with file", account_id=ann, file_id=kept.id)
        await store.files.discard(loose.id)
        await store.files.discard(kept.id)
        assert await store.files.get(loose.id) is None
        assert await read_all(store, kept.id) == b"kept"

    run(store_factory(), scenario)


def test_sweep_removes_old_unattached_files_only(store_factory: StoreFactory, tmp_path: Path) -> None:
    """The sweep takes files never attached once they are old enough; attached files and avatars stay."""

    async def scenario(store: Store) -> None:
        ann = await person(store)
        lost, kept = await upload(store, tmp_path, ann, b"lost"), await upload(store, tmp_path, ann, b"kept")
        face = await store.files.save(NewFile(None, ann, "me.png", AVATAR), prepared(tmp_path, b"png"))
        await store.files.set_avatar(ann, face.id)
        await store.append("lobby", "ann", "with file", account_id=ann, file_id=kept.id)
        assert await store.files.sweep(older_than_ms=HOUR_MS) == 0
        assert await store.files.get(lost.id) is not None
        await asyncio.sleep(0.002)
        assert await store.files.sweep(older_than_ms=1) == 1
        assert await store.files.get(lost.id) is None
        assert await read_all(store, kept.id) == b"kept"
        assert await read_all(store, face.id) == b"png"

    run(store_factory(), scenario)


def test_an_avatar_replaces_the_one_before(store_factory: StoreFactory, tmp_path: Path) -> None:
    """Setting an avatar removes the previous one; None removes it; an attachment cannot be one; the ids
    of several accounts' avatars are read together."""

    async def scenario(store: Store) -> None:
        ann, bob = await person(store), await person(store, "bob")
        assert await store.files.avatar(ann) is None
        first = await store.files.save(NewFile(None, ann, "a.png", AVATAR), prepared(tmp_path, b"one"))
        second = await store.files.save(NewFile(None, ann, "b.png", AVATAR), prepared(tmp_path, b"two"))
        await store.files.set_avatar(ann, first.id)
        await store.files.set_avatar(ann, second.id)
        avatar = await store.files.avatar(ann)
        assert avatar is not None and avatar.info == second
        assert await store.files.get(first.id) is None
        with pytest.raises(RefusedError):
            await store.files.set_avatar(bob, second.id)
        with pytest.raises(RefusedError):
            await store.files.set_avatar(ann, (await upload(store, tmp_path, ann, b"doc")).id)
        assert await store.files.avatar_ids([ann, bob, 999]) == {ann: second.id}
        assert await store.files.avatar_ids([]) == {}
        await store.files.set_avatar(ann, None)
        assert await store.files.avatar(ann) is None
        assert await store.files.get(second.id) is None
        assert await store.files.avatar_ids([ann, bob]) == {}

    run(store_factory(), scenario)


def test_a_failed_save_leaves_nothing(store_factory: StoreFactory, tmp_path: Path) -> None:
    """A save whose thumbnail cannot be read leaves no row, no bytes and no count behind."""

    async def scenario(store: Store) -> None:
        ann = await person(store)
        broken = Prepared(
            spool(tmp_path, b"x" * 1000), "image/png", 1000, 1, 1, tmp_path / "gone", "image/png"
        )
        with pytest.raises(OSError):
            await store.files.save(NewFile("lobby", ann, "x.png", ATTACHMENT), broken)
        assert await store.files.total_bytes() == 0
        blobs = directory_of(store)
        if blobs is not None:
            assert [p for p in blobs.root.rglob("*") if p.is_file()] == []

    run(store_factory(), scenario)


def directory_of(store: Store) -> DirectoryBlobs | None:
    """The store's files directory when its files live in one."""
    assert isinstance(store.files, SQLiteFiles | PostgresFiles)
    if isinstance(store.files, PostgresFiles) and store.files.in_database:
        return None
    return store.files.blobs


async def settle(store: Store) -> None:
    """Wait for the unlinks a commit queued."""
    assert isinstance(store.files, SQLiteFiles | PostgresFiles)
    await store.files.blobs.settle()


def test_stray_blobs_and_spool_files_are_swept(tmp_path: Path) -> None:
    """A blob no row names and a forgotten spool file go once old enough; a blob whose row exists stays."""
    store = SQLiteStore(str(tmp_path / "chat.db"))

    async def scenario(store: Store) -> None:
        kept = await upload(store, tmp_path, await person(store), b"kept")
        blobs = directory_of(store)
        assert blobs is not None and blobs.root == tmp_path / "chat.db.files"
        stray = blobs.path_of("A" * 22)
        stray.parent.mkdir(exist_ok=True)
        stray.write_bytes(b"crashed before its row")
        lost_upload = blobs.spool_dir / "upload-1"
        lost_upload.write_bytes(b"half an upload")
        assert await store.files.sweep(older_than_ms=HOUR_MS) == 0
        assert stray.exists() and lost_upload.exists()
        for path in (stray, lost_upload, blobs.path_of(kept.id)):
            os.utime(path, (time.time() - 7200, time.time() - 7200))
        await store.files.sweep(older_than_ms=HOUR_MS)
        assert not stray.exists() and not lost_upload.exists()
        assert await read_all(store, kept.id) == b"kept"

    run(store, scenario)


def test_an_in_memory_store_keeps_files_in_a_directory_removed_at_close() -> None:
    """:memory: keeps its files in a temporary directory of its own, gone once the store is closed."""
    store = open_store(":memory:")
    roots: list[Path] = []

    async def scenario(store: Store) -> None:
        blobs = directory_of(store)
        assert blobs is not None and blobs.spool_dir.is_dir()
        roots.append(blobs.root)
        assert store.files.spool_dir == blobs.root / ".incoming"

    run(store, scenario)
    assert not roots[0].exists()


def test_a_files_dir_holds_the_files_of_postgresql(postgres_server: PostgresServer, tmp_path: Path) -> None:
    """With a files directory, PostgreSQL's files live there; those stored in the database stay readable."""
    url = postgres_server.new_schema()
    early: list[FileInfo] = []

    async def in_database(store: Store) -> None:
        early.append(await upload(store, tmp_path, await person(store), b"in the database"))

    async def in_directory(store: Store) -> None:
        info = await upload(store, tmp_path, 1, b"on disk")
        blobs = directory_of(store)
        assert blobs is not None and blobs.path_of(info.id).read_bytes() == b"on disk"
        assert store.files.spool_dir == tmp_path / "shared" / ".incoming"
        assert await read_all(store, early[0].id) == b"in the database"
        message = (await store.append("lobby", "ann", "x", account_id=1, file_id=info.id)).message
        await store.change("lobby", ChangeRequest(DELETE, message.id, "ann", 1))
        await settle(store)
        assert not blobs.path_of(info.id).exists()

    run(open_store(url), in_database)
    run(open_store(url, files_dir=str(tmp_path / "shared")), in_directory)


def write_version_9(execute: Callable[[str], object], dialect: str) -> None:
    """The schema of step 9 and a message, through ``execute``."""
    write_schema_steps(execute, dialect, 9)
    execute(
        "INSERT INTO messages (room, id, nick, message, ts, bot, guest) VALUES ('lobby', 1, 'ann', 'old', 1,"
        + (" 0, 0)" if dialect == "sqlite" else " FALSE, FALSE)")
    )
    execute("INSERT INTO rooms (room, last_id, key) VALUES ('lobby', 1, 'lobby')")


def check_upgraded(tmp: Path) -> Callable[[Store], Awaitable[None]]:
    """A scenario: the old message reads without a file; a new one carries one."""

    async def scenario(store: Store) -> None:
        assert [(m.text, m.file) for m in await store.history("lobby")] == [("old", None)]
        ann = await person(store)
        info = await upload(store, tmp, ann, b"")
        assert (
            await store.append("lobby", "ann", "new", account_id=ann, file_id=info.id)
        ).message.file == info

    return scenario


def test_a_version_9_sqlite_file_upgrades(tmp_path: Path) -> None:
    """A SQLite file of schema step 9 opens, its messages intact, and takes files."""
    path = tmp_path / "v9.db"
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        write_version_9(conn.execute, "sqlite")
    run(SQLiteStore(str(path)), check_upgraded(tmp_path))


def test_a_version_9_postgres_schema_upgrades(postgres_server: PostgresServer, tmp_path: Path) -> None:
    """A PostgreSQL schema of step 9 opens, its messages intact, and takes files."""
    url = postgres_server.new_schema()
    with postgres_server.connect() as conn:
        conn.execute(f"SET search_path TO {url.rsplit('%3D', 1)[1]}")
        write_version_9(conn.execute, "postgres")
    run(PostgresStore(url), check_upgraded(tmp_path))


def test_an_image_prepared_for_upload_is_stored_as_prepared(
    store_factory: StoreFactory, tmp_path: Path
) -> None:
    """What images.prepare makes of a photo (bare image, thumbnail) is what the store keeps and reads back."""
    upload = tmp_path / "upload"
    Image.new("RGB", (1000, 700), "teal").save(upload, "PNG")
    ready = images.prepare(upload, tmp_path, "sea.png")

    async def scenario(store: Store) -> None:
        info = await store.files.save(NewFile("lobby", await person(store), "sea.png", ATTACHMENT), ready)
        assert (info.content_type, info.width, info.height, info.thumb) == ("image/png", 1000, 700, True)
        assert await read_all(store, info.id) == ready.path.read_bytes()
        assert ready.thumb_path is not None
        assert await read_all(store, info.id, thumb=True) == ready.thumb_path.read_bytes()

    run(store_factory(), scenario)


def test_two_nodes_attaching_one_file_at_once_attach_it_once(
    shared_store_factory: StoreFactory, tmp_path: Path
) -> None:
    """Two stores on one database append messages naming one file at the same moment: one carries it."""

    async def scenario(left: Store, right: Store) -> None:
        ann = await person(left)
        info = await upload(left, tmp_path, ann, b"contested")
        outcomes = await asyncio.gather(
            left.append("lobby", "ann", "mine", account_id=ann, file_id=info.id),
            right.append("lobby", "ann", "no, mine", account_id=ann, file_id=info.id),
            return_exceptions=True,
        )
        assert sorted(type(o).__name__ for o in outcomes) == ["Appended", "ChangeRefusedError"]
        carried = [m.file for m in await right.history("lobby")]
        assert carried == [info]

    run_on_two_nodes(shared_store_factory, scenario)

"""`python -m chatroom export` and `import`: JSON Lines that carry a database's history, whole, to another."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from chatroom.backend import StoredMessage
from chatroom.events import DELETE, EDIT, PIN, REACTION, StoredChange
from chatroom.store import migrations
from chatroom.store.accounts_base import AccountStore
from chatroom.store.change_rules import ChangeRequest
from chatroom.store.records import (
    BOT,
    CLOSED,
    DIRECT,
    OPEN,
    PERSON,
    Account,
    BotKey,
    BotWebhook,
    Membership,
    RoomBar,
    RoomRecord,
)
from chatroom.store.sqlite import SQLiteStore
from chatroom.tokens import new_token, token_hash

from .pg_server import PostgresServer
from .support import REPO, ServerProcess, free_port, in_store, make_bot
from .web_client import PASSWORD, WebClient

# Rooms and texts a byte-for-byte copy must keep: other scripts, combining
# characters, emoji, JSON's own special characters, line breaks.
ODD_ROOMS = ["кухня", "日本語", "café", "Ωmega", "a.b_c-d", "Zed"]
ODD_TEXTS = [
    "héllo 👋",
    'quotes " and \\ backslashes',
    "two\nlines\tand a tab",
    "</script><b>not markup</b>",
    "مرحبا بالعالم",
    "e\u0301 decomposed",
]


# A password hash as argon2 writes them; an export carries it as it is.
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaA"


def chatroom(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m chatroom ARGS`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "chatroom", *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def one_line(result: subprocess.CompletedProcess[bytes]) -> str:
    """The single line a command printed on stderr."""
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, result.stderr.decode()
    return lines[0]


def refuses_import(tmp_path: Path, lines: list[bytes], number: int, says: str) -> None:
    """Importing ``lines`` into a new database exits 2 with one line naming line ``number`` and saying
    ``says``, and makes no database."""
    target = tmp_path / "target.db"
    result = chatroom("import", "--db", str(target), stdin=b"".join(line + b"\n" for line in lines))
    assert result.returncode == 2
    said = one_line(result)
    assert f"line {number}:" in said and says in said
    assert not target.exists()


def fill(path: Path) -> list[StoredMessage | StoredChange]:
    """A SQLite database with many rooms, one of them long, odd names and texts, accounts, bots,
    rooms of every kind with members: every message in it."""

    async def main() -> list[StoredMessage | StoredChange]:
        store = SQLiteStore(str(path))
        await store.start()
        try:
            sends = [
                store.append(f"room-{n:03}", f"nick{n % 7}", f"message {n}", guest=n % 5 == 0)
                for n in range(150)
            ]
            sends += [store.append("long", "ann", f"line {n}", bot=n % 3 == 0) for n in range(2500)]
            for room in ODD_ROOMS:
                sends += [store.append(room, "Zoë", text, bot=room == "Zed") for text in ODD_TEXTS]
            await asyncio.gather(*sends)
            await add_access(store)
            await add_changes(store)
            return await everything(store)
        finally:
            await store.close()

    return asyncio.run(main())


TEAM_TOPIC = "Plans — “next”: Friday's demo ✨"


async def add_access(store: SQLiteStore) -> None:
    """Accounts of each kind (hashed passwords, bot keys, one deactivated and renamed), created rooms of
    each kind (one archived, one empty) and memberships, one in a room that only has history."""
    accounts = store.accounts
    ann = await accounts.create_account("Ann", PERSON, is_admin=True, password_hash=HASH)
    zoe = await accounts.create_account("Zoë", PERSON, password_hash=HASH.replace("aGFzaA", "b3RoZXI"))
    outsider = await accounts.create_account("sso.user", PERSON, external=True)
    await accounts.deactivate_account(outsider.id)
    await accounts.rename_account(outsider.id, "sso.person")
    ci = await accounts.create_account("ci", BOT)
    await accounts.create_bot_key(ci.id, token_hash(new_token()))
    old_key = token_hash(new_token())
    await accounts.create_bot_key(ci.id, old_key)
    await accounts.revoke_bot_key(old_key)
    await accounts.set_webhook(ci.id, "https://hooks.example.com/ci?token=x")
    await accounts.create_room(
        "team", CLOSED, title="The “Team” ✨", creator_id=ann.id, members=[zoe.id, ci.id]
    )
    await store.append("team", "Ann", "closed talk")
    await accounts.set_topic("team", TEAM_TOPIC)
    await accounts.set_room_mentions("team", "managers")
    await accounts.create_room("dm-ann-zoe", DIRECT, members=[ann.id, zoe.id])
    await accounts.create_room("quiet", OPEN, creator_id=zoe.id)
    await accounts.archive_room("quiet")
    await accounts.add_member("long", ann.id)
    # A room everyone is in (the deactivated outsider too), and a person who left it: neither is undone by
    # the way back.
    await accounts.set_everyone_in("long", True)
    await accounts.remove_member("long", zoe.id)
    # A bar from an open room by its owner, and one from a closed room by nobody known any more.
    await accounts.bar_account("quiet", ci.id, zoe.id)
    await accounts.bar_account("team", outsider.id, None)


async def add_changes(store: SQLiteStore) -> None:
    """Changes to messages of "long": an edit, reactions put on and taken back, pins (one taken back,
    one of a message deleted later), a reply, a deletion."""
    ann, zoe = [await store.accounts.account_by_name(name) for name in ("Ann", "Zoë")]
    assert ann is not None and zoe is not None
    draft = (await store.append("long", "Ann", "draft", account_id=ann.id)).message.id
    await store.change("long", ChangeRequest(EDIT, draft, "Ann", ann.id, text="final"))
    for who, emoji, on in ((zoe, "👍", True), (ann, "🎉", True), (zoe, "👍", False), (zoe, "❤️", True)):
        await store.change("long", ChangeRequest(REACTION, draft, who.name, who.id, emoji=emoji, on=on))
    for who, target, on in ((zoe, draft, True), (ann, 4, True), (zoe, 4, False), (ann, 5, True)):
        await store.change("long", ChangeRequest(PIN, target, who.name, who.id, on=on))
    await store.append("long", "Zoë", "yes", account_id=zoe.id, reply_to=draft)
    await store.change("long", ChangeRequest(DELETE, 5, "Ann", ann.id, any_author=True))


Access = tuple[
    list[Account],
    list[BotKey],
    list[RoomRecord],
    list[Membership],
    list[BotWebhook],
    list[list[str]],
    list[RoomBar],
]


async def access_of(store: SQLiteStore) -> Access:
    """Every account, bot key, room record, membership, bot webhook, former name and room bar of the store."""
    accounts = await store.accounts.list_accounts(limit=10_000)
    keys = [key for account in accounts for key in await store.accounts.bot_keys_of(account.id)]
    rooms = await store.room_names("", 10_000)
    records = [record for room in rooms if (record := await store.accounts.room_record(room))]
    members = [m for room in rooms for m in await store.accounts.members_of(room)]
    formers = [await store.accounts.former_names_of(account.id) for account in accounts]
    bars = [bar for room in rooms for bar in await store.accounts.bars_of(room)]
    return accounts, keys, records, members, await store.accounts.webhooks(), formers, bars


async def everything(store: SQLiteStore) -> list[StoredMessage | StoredChange]:
    """Every message and change of the store, rooms by name, ids in order, and the newest of
    "long" as history shows them (reactions and pins included), and its pins."""
    messages: list[StoredMessage | StoredChange] = []
    for room in await store.room_names("", 10_000):
        messages += await store.export_messages(room, 0, 10_000)
    return messages + list(await store.history("long", limit=10)) + list(await store.pinned("long"))


def read_back(path: Path) -> list[StoredMessage | StoredChange]:
    """Every message of a SQLite database."""

    async def main() -> list[StoredMessage | StoredChange]:
        store = SQLiteStore(str(path))
        await store.start()
        try:
            return await everything(store)
        finally:
            await store.close()

    return asyncio.run(main())


def read_access(path: Path) -> Access:
    """Every account, bot key, room record and membership of a SQLite database."""

    async def main() -> Access:
        store = SQLiteStore(str(path))
        await store.start()
        try:
            return await access_of(store)
        finally:
            await store.close()

    return asyncio.run(main())


def empty_sqlite(path: Path) -> str:
    """Create an empty SQLite database: its epoch."""

    async def main() -> str:
        store = SQLiteStore(str(path))
        await store.start()
        epoch = await store.epoch()
        await store.close()
        return epoch

    return asyncio.run(main())


def header(export: bytes) -> dict[str, object]:
    """The first line of an export, decoded."""
    decoded = orjson.loads(export.split(b"\n", 1)[0])
    assert isinstance(decoded, dict)
    return decoded


# --- a round trip ------------------------------------------------------------------


def test_sqlite_to_postgres_and_back_keeps_every_message(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """SQLite → JSONL → PostgreSQL → JSONL → SQLite: the same ids, nicks, texts, times and bot marks."""
    source, copy, first = tmp_path / "source.db", tmp_path / "copy.db", tmp_path / "first.jsonl"
    original = fill(source)
    postgres = postgres_server.new_schema()

    exported = chatroom("export", "--database", str(source), "--output", str(first))
    assert exported.returncode == 0, exported.stderr
    assert one_line(exported) == "chatroom: exported 2689 messages in 160 rooms, and 4 accounts"
    imported = chatroom("import", "--database", postgres, "--keep-epoch", stdin=first.read_bytes())
    assert imported.returncode == 0, imported.stderr
    assert "imported 2689 messages in 160 rooms, and 4 accounts" in one_line(imported)
    second = chatroom("export", "--database", postgres)
    assert second.returncode == 0, second.stderr
    back = chatroom("import", "--db", str(copy), "--input", str(first), "--keep-epoch")
    assert back.returncode == 0, back.stderr
    third = chatroom("export", "--db", str(copy))

    assert second.stdout == first.read_bytes() == third.stdout
    assert read_back(copy) == original
    assert read_access(copy) == read_access(source)
    records = [orjson.loads(line) for line in first.read_bytes().splitlines()[1:]]
    kinds = [record["type"] for record in records]
    assert kinds[:8] == [
        *("account", "account", "account", "former_name"),
        *("account", "bot_key", "bot_key", "webhook"),
    ]
    assert [r["name"] for r in records if r["type"] == "former_name"] == ["sso.user"]
    assert kinds.count("room") == 160 and kinds.count("membership") == 8
    bars = [(r["room"], r["account"], r["by"]) for r in records if r["type"] == "room_bar"]
    assert bars == [("quiet", 4, 2), ("team", 3, None)]
    messages = [record for record in records if record["type"] == "message"]
    # Read twice: the ten of history, and the one pinned message of "long".
    assert len(messages) == len([m for m in original if isinstance(m, StoredMessage)]) - 11
    changes = [record for record in records if record["type"] == "change"]
    assert [c["kind"] for c in changes] == ["edit", *["reaction"] * 4, *["pin"] * 4, "delete"]
    long = [m for m in messages if m["room"] == "long"]
    assert {"reply_to", "account"} <= set(long[-1]) and (long[4]["deleted"], long[4]["message"]) == (True, "")
    key_at = kinds.index("direct_room_key")  # the file brings direct rooms
    # Then the read positions: of those the room everyone is in took in, at its newest message then; last,
    # the moderation history: Ann's deletion of another's message.
    assert {(r["type"], r["room"]) for r in records[key_at + 1 : -1]} == {("read_position", "long")}
    assert (records[-1]["type"], records[-1]["act"], records[-1]["message"]) == (
        "moderation_act",
        "delete_message",
        5,
    )
    assert [r["room"] for r in records if r["type"] == "room" and r["everyone_in"]] == ["long"]
    assert [(r["room"], r["topic"]) for r in records if r["type"] == "room" and r["topic"]] == [
        ("team", TEAM_TOPIC)
    ]
    kept = [r["room"] for r in records if r["type"] == "room" and r["room_mentions"] == "managers"]
    assert kept == ["team"]
    rooms = [record["room"] for record in records[8:key_at]]
    assert rooms == sorted(rooms, key=lambda room: room.encode("utf-8"))
    assert messages[0] == {
        "type": "message",
        "room": original[0].room,
        "id": original[0].id,
        "nick": original[0].nick,
        "message": original[0].text,
        "ts": original[0].ts,
        "bot": original[0].bot,
        "guest": original[0].guest,
    }


def test_an_import_keeps_the_databases_epoch_unless_told_to_keep_the_exports(tmp_path: Path) -> None:
    """Without --keep-epoch the new database has its own epoch (clients start over); with it, the export's."""
    export = tmp_path / "chat.jsonl"
    fill(tmp_path / "source.db")
    assert chatroom("export", "--db", str(tmp_path / "source.db"), "-o", str(export)).returncode == 0
    exported_epoch = header(export.read_bytes())["epoch"]

    own_epoch = empty_sqlite(tmp_path / "own.db")
    assert chatroom("import", "--db", str(tmp_path / "own.db"), "-i", str(export)).returncode == 0
    assert header(chatroom("export", "--db", str(tmp_path / "own.db")).stdout)["epoch"] == own_epoch
    assert own_epoch != exported_epoch

    assert (
        chatroom("import", "--db", str(tmp_path / "kept.db"), "-i", str(export), "--keep-epoch").returncode
        == 0
    )
    assert header(chatroom("export", "--db", str(tmp_path / "kept.db")).stdout)["epoch"] == exported_epoch


def test_keep_epoch_into_a_database_with_messages_is_refused(tmp_path: Path) -> None:
    """--keep-epoch needs a database without messages: exit 1, one line, nothing imported."""
    fill(tmp_path / "other.db")
    before = read_back(tmp_path / "other.db")
    export = tmp_path / "chat.jsonl"
    export.write_bytes(
        b'{"type":"chatroom-export","version":1,"schema":2,"epoch":"e"}\n'
        b'{"type":"message","room":"fresh","id":1,"nick":"ann","message":"hi","ts":5,"bot":false}\n'
    )
    result = chatroom("import", "--db", str(tmp_path / "other.db"), "-i", str(export), "--keep-epoch")
    assert result.returncode == 1
    assert "--keep-epoch" in one_line(result)
    assert read_back(tmp_path / "other.db") == before


# --- refusals ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_importing_twice_fails_and_changes_nothing(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    """The second import of the same export exits 1 with one line naming a room; the database is as it was."""
    fill(tmp_path / "source.db")
    export = chatroom("export", "--db", str(tmp_path / "source.db")).stdout
    if kind == "sqlite":
        target = str(tmp_path / "target.db")
    else:
        target = request.getfixturevalue("postgres_server").new_schema()
    assert chatroom("import", "--db", target, stdin=export).returncode == 0

    again = chatroom("import", "--db", target, stdin=export)
    assert again.returncode == 1
    line = one_line(again)
    assert line.startswith("chatroom: error: the database already has messages of room")
    assert "nothing was imported" in line
    after = chatroom("export", "--db", target).stdout
    assert after.splitlines()[1:] == export.splitlines()[1:]


GOOD_HEADER = b'{"type":"chatroom-export","version":1,"schema":2,"epoch":"e1"}'
GOOD_MESSAGE = (
    b'{"type":"message","room":"lobby","id":1,"nick":"ann","message":"hi","ts":5,"bot":false,"guest":true}'
)
GOOD_ACCOUNT = (
    b'{"type":"account","id":1,"name":"ann","kind":"person","admin":true,"external":false,'
    b'"password_hash":null,"color":"#b71c1c","created_at":5,"deactivated_at":null}'
)
GOOD_BOT_KEY = (
    b'{"type":"bot_key","account":1,"key_hash":"' + b"ab" * 32 + b'","created_at":5,"revoked_at":null}'
)
GOOD_FORMER_NAME = b'{"type":"former_name","account":1,"name":"anne"}'
GOOD_SETTING = b'{"type":"setting","name":"guests","value":"on"}'
GOOD_ROOM = (
    b'{"type":"room","room":"lobby","kind":"closed","title":"Lobby","creator":1,'
    b'"created_at":5,"archived_at":null,"topic":"Plans","posting":"managers","room_mentions":"managers",'
    b'"everyone_in":false}'
)
GOOD_MEMBERSHIP = b'{"type":"membership","room":"lobby","account":1,"role":"owner","added_at":5}'
GOOD_BAR = b'{"type":"room_bar","room":"lobby","account":1,"by":null,"barred_at":5}'
GOOD_CHANGE = (
    b'{"type":"change","room":"lobby","id":2,"kind":"edit","target":1,"nick":"ann","account":null,'
    b'"message":"new","emoji":"","on":false,"ts":6}'
)


@pytest.mark.parametrize(
    ("lines", "number", "says"),
    [
        ([GOOD_HEADER, GOOD_MESSAGE, b"not json"], 3, "not JSON"),
        (
            [GOOD_HEADER, GOOD_MESSAGE, b'{"type":"reaction","room":"lobby"}'],
            3,
            "unknown record type 'reaction'",
        ),
        ([GOOD_HEADER, b"[1, 2]"], 2, "not a JSON object"),
        ([GOOD_HEADER, GOOD_MESSAGE.replace(b'"nick":"ann",', b"")], 2, "'nick'"),
        ([GOOD_HEADER, GOOD_MESSAGE.replace(b'"id":1', b'"id":"1"')], 2, "'id'"),
        ([GOOD_HEADER, GOOD_MESSAGE.replace(b'"bot":false', b'"bot":0')], 2, "'bot'"),
        ([GOOD_HEADER, GOOD_MESSAGE, GOOD_MESSAGE], 3, "must increase"),
        ([GOOD_HEADER, GOOD_MESSAGE, GOOD_HEADER], 3, "second header"),
        ([GOOD_MESSAGE], 1, "not a chatroom export"),
        ([GOOD_HEADER.replace(b'"version":1', b'"version":2'), GOOD_MESSAGE], 1, "version 2"),
        ([], 1, "empty"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_MEMBERSHIP], 3, "room 'lobby', which no line before it brings"),
        ([GOOD_HEADER, GOOD_ROOM], 2, "account 1, which no line before it brings"),
        ([GOOD_HEADER, GOOD_BOT_KEY], 2, "account 1, which no line before it brings"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM, GOOD_ROOM], 4, "a second time"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_BAR], 3, "room 'lobby', which no line before it brings"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM, GOOD_BAR.replace(b"null", b"2")], 4, "account 2, which no"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM, GOOD_BAR, GOOD_BAR], 5, "a second time"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM, GOOD_BAR.replace(b"5}", b"-5}")], 4, "'barred_at'"),
        (
            [GOOD_HEADER, GOOD_ACCOUNT, GOOD_ACCOUNT.replace(b'"id":1', b'"id":2').replace(b"ann", b"ANN")],
            3,
            "too like",
        ),
        ([GOOD_HEADER, GOOD_ACCOUNT.replace(b'"ann"', b'"\xef\xbc\xa1nn"')], 2, "normal form"),
        ([GOOD_HEADER, GOOD_ACCOUNT.replace(b'"person"', b'"robot"')], 2, "'kind'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_BOT_KEY.replace(b"abab", b"zz")], 3, "'key_hash'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM.replace(b'"closed"', b'"secret"')], 3, "'kind'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM, GOOD_MEMBERSHIP.replace(b"owner", b"king")], 4, "'role'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM.replace(b'"managers"', b'"teachers"')], 3, "'posting'"),
        (
            [
                GOOD_HEADER,
                GOOD_ACCOUNT,
                GOOD_ROOM.replace(b'"room_mentions":"managers"', b'"room_mentions":1'),
            ],
            3,
            "'room_mentions'",
        ),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM.replace(b"false}", b'"yes"}')], 3, "'everyone_in'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM.replace(b"false}", b"true}")], 3, "only an open room"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM.replace(b'"Plans"', b"7")], 3, "'topic'"),
        (
            [GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM.replace(b'"closed"', b'"direct"')],
            3,
            "everyone posts in a direct room",
        ),
        (
            [GOOD_HEADER, GOOD_ACCOUNT, b'{"type":"webhook","account":1,"url":"https://h.example"}'],
            3,
            "no bot",
        ),
        ([GOOD_HEADER, b'{"type":"webhook","account":1,"url":""}'], 2, "'url'"),
        ([GOOD_HEADER, GOOD_FORMER_NAME], 2, "account 1, which no line before it brings"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_FORMER_NAME.replace(b"anne", b"ANN")], 3, "too like 'ann'"),
        (
            [
                GOOD_HEADER,
                GOOD_ACCOUNT,
                GOOD_FORMER_NAME,
                GOOD_ACCOUNT.replace(b":1,", b":2,", 1).replace(b"ann", b"Anne"),
            ],
            4,
            "too like 'anne'",
        ),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_FORMER_NAME.replace(b"anne", b" anne")], 3, "normal form"),
        ([GOOD_HEADER, GOOD_CHANGE], 2, "names message 1, which no line before it brings"),
        ([GOOD_HEADER, GOOD_MESSAGE, GOOD_CHANGE.replace(b'"edit"', b'"undo"')], 3, "'kind'"),
        ([GOOD_HEADER, GOOD_MESSAGE, GOOD_CHANGE.replace(b'"id":2', b'"id":1')], 3, "must increase"),
        ([GOOD_HEADER, GOOD_MESSAGE.replace(b'"message":"hi"', b'"message":""')], 2, "'message'"),
    ],
)
def test_a_bad_line_fails_with_its_number_and_imports_nothing(
    tmp_path: Path, lines: list[bytes], number: int, says: str
) -> None:
    """A malformed line or an unknown record type exits 2 naming the line; no database is made."""
    export = tmp_path / "bad.jsonl"
    export.write_bytes(b"".join(line + b"\n" for line in lines))
    target = tmp_path / "target.db"
    result = chatroom("import", "--db", str(target), "--input", str(export))
    assert result.returncode == 2
    line = one_line(result)
    assert f"{export}, line {number}:" in line and says in line
    assert not target.exists()


def test_unknown_fields_are_ignored_and_blank_lines_skipped(tmp_path: Path) -> None:
    """Fields a later chatroom may add do not stop an import; neither do blank lines."""
    extended = GOOD_MESSAGE.replace(b'"bot":false', b'"bot":false,"edited":null')
    result = chatroom(
        "import", "--db", str(tmp_path / "t.db"), stdin=GOOD_HEADER + b"\n\n" + extended + b"\n\n"
    )
    assert result.returncode == 0, result.stderr
    assert read_back(tmp_path / "t.db") == [StoredMessage(1, "lobby", "ann", "hi", 5, False, guest=True)]


# --- the export itself ----------------------------------------------------------------


def test_export_of_an_empty_database_is_just_the_header(tmp_path: Path) -> None:
    """An empty database exports one line: the header with the schema and the database's epoch."""
    epoch = empty_sqlite(tmp_path / "empty.db")
    result = chatroom("export", env={"CHATROOM_DATABASE": str(tmp_path / "empty.db")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(b"\n") == 1
    assert header(result.stdout) == {
        "type": "chatroom-export",
        "version": 1,
        "schema": migrations.LATEST,
        "epoch": epoch,
    }
    assert one_line(result) == "chatroom: exported 0 messages in 0 rooms, and 0 accounts"


def test_export_of_a_missing_database_fails_and_creates_none(tmp_path: Path) -> None:
    """A --database that does not exist is an error (exit 1), not an empty export of a new file."""
    result = chatroom("export", "--db", str(tmp_path / "typo.db"))
    assert result.returncode == 1
    assert "typo.db" in one_line(result)
    assert result.stdout == b""
    assert not (tmp_path / "typo.db").exists()


def test_a_failed_export_leaves_no_file(tmp_path: Path) -> None:
    """An export that fails (the database cannot be reached) exits 1 and leaves no half-written --output."""
    unreachable = f"postgresql://postgres@127.0.0.1:{free_port()}/chat"
    result = chatroom("export", "--db", unreachable, "-o", str(tmp_path / "backup.jsonl"))
    assert result.returncode == 1
    assert "cannot connect" in one_line(result)
    assert list(tmp_path.iterdir()) == []
    missing = chatroom("export", "--db", unreachable, "-o", str(tmp_path / "no" / "backup.jsonl"))
    assert missing.returncode == 1
    assert f"cannot write {tmp_path / 'no' / 'backup.jsonl'}" in one_line(missing)


def test_an_output_that_is_not_a_file_is_written_into_not_replaced(tmp_path: Path) -> None:
    """--output naming a pipe (or /dev/stdout, /dev/null) writes the export into it: the pipe stays a
    pipe, where renaming a finished file over it would have put a file in its place; a symbolic link
    stays a link to the file written whole."""
    database = tmp_path / "chat.db"
    assert chatroom("import", "--db", str(database), stdin=GOOD_HEADER + b"\n" + GOOD_MESSAGE).returncode == 0
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    try:
        result = chatroom("export", "--db", str(database), "-o", str(pipe))
        received = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    kinds = [orjson.loads(line)["type"] for line in received.splitlines()]
    assert kinds == ["chatroom-export", "room", "message"]
    link = tmp_path / "latest.jsonl"
    link.symlink_to("backup.jsonl")
    assert chatroom("export", "--db", str(database), "-o", str(link)).returncode == 0
    assert link.is_symlink() and (tmp_path / "backup.jsonl").read_bytes() == received
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["backup.jsonl", "chat.db", "chat.db.files", "latest.jsonl", "pipe"]


def test_an_input_that_is_a_pipe_is_read_as_standard_input_is(tmp_path: Path) -> None:
    """--input naming a pipe (/dev/stdin, a shell's <(...)) imports, although it cannot be read twice."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    command = [sys.executable, "-m", "chatroom", "import", "--db", str(tmp_path / "t.db"), "-i", str(pipe)]
    importing = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, env={"PATH": "/usr/bin:/bin"})
    with open(pipe, "wb") as writer:
        writer.write(GOOD_HEADER + b"\n" + GOOD_MESSAGE + b"\n")
    _, errors = importing.communicate(timeout=60)
    assert importing.returncode == 0, errors.decode()
    assert "imported 1 messages in 1 rooms" in errors.decode()


def test_the_commands_have_their_own_help_and_flags() -> None:
    """--help of the server names both commands; each command lists its flags; a bad one exits 2."""
    assert b"chatroom export" in chatroom("--help").stdout
    for command, flag in (("export", b"--output"), ("import", b"--keep-epoch")):
        result = chatroom(command, "--help")
        assert result.returncode == 0 and flag in result.stdout and b"--database" in result.stdout
    bad = chatroom("import", "--no-such-flag")
    assert bad.returncode == 2
    assert "--no-such-flag" in one_line(bad)
    memory = chatroom("export", "--db", ":memory:")
    assert memory.returncode == 2 and ":memory:" in one_line(memory)


def test_accounts_rooms_and_memberships_import_into_a_new_database(tmp_path: Path) -> None:
    """A hand-written file with every record type imports, and exports back line for line."""
    lines = [
        *(GOOD_HEADER, GOOD_ACCOUNT, GOOD_BOT_KEY, GOOD_FORMER_NAME),
        *(GOOD_SETTING, GOOD_ROOM, GOOD_MEMBERSHIP, GOOD_MESSAGE),
    ]
    result = chatroom("import", "--db", str(tmp_path / "t.db"), stdin=b"\n".join(lines) + b"\n")
    assert result.returncode == 0, result.stderr
    assert "imported 1 messages in 1 rooms, and 1 accounts" in one_line(result)
    exported = chatroom("export", "--db", str(tmp_path / "t.db")).stdout.splitlines()
    assert [orjson.loads(line) for line in exported[1:]] == [orjson.loads(line) for line in lines[1:]]

    async def anne_is_held(accounts: AccountStore) -> bool:
        return await accounts.name_is_held("ANNE")

    assert in_store(str(tmp_path / "t.db"), anne_is_held)


def test_a_message_of_an_export_without_guest_marks_imports_as_not_a_guests(tmp_path: Path) -> None:
    """A file written before guests' messages were marked has no "guest": the message is an account's."""
    older = GOOD_MESSAGE.replace(b',"guest":true', b"")
    result = chatroom("import", "--db", str(tmp_path / "t.db"), stdin=GOOD_HEADER + b"\n" + older + b"\n")
    assert result.returncode == 0, result.stderr
    exported = chatroom("export", "--db", str(tmp_path / "t.db")).stdout.splitlines()
    assert orjson.loads(exported[-1])["guest"] is False


def test_a_room_of_an_export_without_posting_imports_as_one_where_everyone_posts(tmp_path: Path) -> None:
    """A file written before rooms said who posts in them has no "posting": everyone posts, as then."""
    older = GOOD_ROOM.replace(b',"posting":"managers"', b"").replace(b',"room_mentions":"managers"', b"")
    lines = [GOOD_HEADER, GOOD_ACCOUNT, older, GOOD_MEMBERSHIP]
    result = chatroom("import", "--db", str(tmp_path / "t.db"), stdin=b"\n".join(lines) + b"\n")
    assert result.returncode == 0, result.stderr
    exported = chatroom("export", "--db", str(tmp_path / "t.db")).stdout.splitlines()
    rooms = [orjson.loads(line) for line in exported if b'"type":"room"' in line]
    assert [(room["room"], room["posting"]) for room in rooms] == [("lobby", "everyone")]
    assert [room["room_mentions"] for room in rooms] == ["everyone"]


def test_a_room_of_an_export_without_topics_imports_with_none(tmp_path: Path) -> None:
    """A file written before rooms had topics has no "topic": the room has none; one that has keeps it."""
    older = GOOD_ROOM.replace(b',"topic":"Plans"', b"")
    news = GOOD_ROOM.replace(b'"lobby"', b'"news"').replace(b'"Plans"', '"what — next"'.encode())
    lines = [GOOD_HEADER, GOOD_ACCOUNT, older, GOOD_MEMBERSHIP, news]
    result = chatroom("import", "--db", str(tmp_path / "t.db"), stdin=b"\n".join(lines) + b"\n")
    assert result.returncode == 0, result.stderr
    exported = chatroom("export", "--db", str(tmp_path / "t.db")).stdout.splitlines()
    rooms = [orjson.loads(line) for line in exported if b'"type":"room"' in line]
    assert [(room["room"], room["topic"]) for room in rooms] == [("lobby", ""), ("news", "what — next")]


def test_a_room_everyone_is_in_comes_back_one_and_an_older_exports_rooms_are_not(tmp_path: Path) -> None:
    """ "everyone_in" imports as it was (a person made after the import joins the room); a file written
    before rooms everyone is in has none: those rooms import as ordinary ones, their members as listed."""
    open_room = GOOD_ROOM.replace(b'"closed"', b'"open"')
    news = open_room.replace(b'"lobby"', b'"news"').replace(b"false}", b"true}")
    older = open_room.replace(b',"everyone_in":false', b"")
    lines = [GOOD_HEADER, GOOD_ACCOUNT, older, GOOD_MEMBERSHIP, news]
    result = chatroom("import", "--db", str(tmp_path / "t.db"), stdin=b"\n".join(lines) + b"\n")
    assert result.returncode == 0, result.stderr
    exported = chatroom("export", "--db", str(tmp_path / "t.db")).stdout.splitlines()
    rooms = [orjson.loads(line) for line in exported if b'"type":"room"' in line]
    assert [(room["room"], room["everyone_in"]) for room in rooms] == [("lobby", False), ("news", True)]

    async def newcomer_joins(accounts: AccountStore) -> list[str]:
        bea = await accounts.create_account("bea", PERSON)
        return [record.room for record in await accounts.rooms_of(bea.id)]

    assert in_store(str(tmp_path / "t.db"), newcomer_joins) == ["news"]


def test_accounts_into_a_database_with_accounts_are_refused(tmp_path: Path) -> None:
    """A file that brings accounts is refused by a database that has some: exit 1, nothing imported."""
    fill(tmp_path / "source.db")
    export = chatroom("export", "--db", str(tmp_path / "source.db")).stdout
    target = tmp_path / "target.db"

    async def one_account() -> None:
        store = SQLiteStore(str(target))
        await store.start()
        await store.accounts.create_account("admin", PERSON, is_admin=True)
        await store.close()

    asyncio.run(one_account())
    result = chatroom("import", "--db", str(target), stdin=export)
    assert result.returncode == 1
    assert "already has accounts" in one_line(result) and "nothing was imported" in one_line(result)
    assert read_back(target) == []
    assert [a.name for a in read_access(target)[0]] == ["admin"]


def test_keep_epoch_into_a_database_with_empty_rooms_is_allowed(tmp_path: Path) -> None:
    """Rooms without messages do not stop --keep-epoch: only messages do."""
    target = tmp_path / "target.db"

    async def empty_room() -> None:
        store = SQLiteStore(str(target))
        await store.start()
        await store.accounts.create_room("waiting", OPEN)
        await store.close()

    asyncio.run(empty_room())
    result = chatroom("import", "--db", str(target), "--keep-epoch", stdin=GOOD_HEADER + b"\n" + GOOD_MESSAGE)
    assert result.returncode == 0, result.stderr
    assert header(chatroom("export", "--db", str(target)).stdout)["epoch"] == "e1"


def test_a_setting_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    """An administrator's setting comes once: a second line for it is refused, and nothing is imported."""
    lines = [GOOD_HEADER, GOOD_SETTING, GOOD_SETTING.replace(b'"on"', b'"off"')]
    result = chatroom("import", "--db", str(tmp_path / "t.db"), stdin=b"\n".join(lines) + b"\n")
    assert result.returncode == 2
    line = one_line(result)
    assert "line 3:" in line and "the setting 'guests' a second time" in line


# --- what an import lets people do ----------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_after_an_import_passwords_sign_in_keys_post_and_closed_rooms_stay_closed(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    """Moved to another database: each person signs in with the same password, a bot's key posts in its
    room, a closed room's member reads it and an account outside it gets 404."""
    source = str(tmp_path / "source.db")
    for name in ("Ann", "Bob", "Cat"):
        made = chatroom("admin", "create-user", name, "--db", source, stdin=PASSWORD.encode())
        assert made.returncode == 0, made.stderr
    bot = make_bot(source, "ci", rooms=["builds"])

    async def closed_room(accounts: AccountStore) -> None:
        ann, bob = await accounts.account_by_name("Ann"), await accounts.account_by_name("Bob")
        assert ann is not None and bob is not None
        await accounts.create_room("team", CLOSED, creator_id=ann.id, members=[ann.id, bob.id])

    in_store(source, closed_room)
    export = chatroom("export", "--db", source)
    assert export.returncode == 0, export.stderr
    target = (
        str(tmp_path / "target.db")
        if kind == "sqlite"
        else request.getfixturevalue("postgres_server").new_schema()
    )
    imported = chatroom("import", "--db", target, stdin=export.stdout)
    assert imported.returncode == 0, imported.stderr

    with ServerProcess(target, guests=False) as server:
        people = {name: WebClient(server.url) for name in ("Ann", "Bob", "Cat")}
        for name, browser in people.items():
            assert browser.sign_in(name, "not the password").error == (401, "bad_credentials")
            assert browser.sign_in(name).status == 200
        status, posted = bot.post(server, "builds", "green")
        assert (status, posted["nick"], posted["bot"]) == (201, "ci", True)
        assert people["Bob"].get("/api/rooms/team/messages").status == 200
        assert people["Cat"].get("/api/rooms/team/messages").error == (404, "not_found")
        assert "team" not in [room["room"] for room in people["Cat"].get("/api/rooms").json["rooms"]]

"""Link previews in the store: a preview change, its removal, cards read recently and pictures, on SQLite
and PostgreSQL alike."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from chatroom import changes
from chatroom.events import DELETE, EDIT, PREVIEW
from chatroom.preview_pages import Card, Picture, picture_of, stored_card, stored_form
from chatroom.store import sql_previews
from chatroom.store.base import Store
from chatroom.store.change_rules import FORBIDDEN, NO_MESSAGE, ChangeRefusedError, ChangeRequest
from chatroom.store.pg_qmark import pg
from chatroom.store.postgres import PostgresStore
from chatroom.store.previews_base import CARDS_KEPT_MS, KeptCard, PreviewImage
from chatroom.store.sqlite import SQLiteStore

from .pg_server import PostgresServer
from .stores import StoreFactory, postgres_plan, run, sqlite_plan

ANN, BOB = 1, 2
PICTURE = Picture("ab" * 32, "image/png", 2, 1)
CARD = Card("https://x.org/", "X", "The X", "All about x")
CARDS = stored_form([stored_card(CARD, PICTURE)])


def picture(digest: str) -> Picture:
    """PICTURE, under another digest."""
    return replace(PICTURE, digest=digest)


def shows(digest: str) -> str:
    """Previews of one card showing the picture of ``digest``."""
    return stored_form([stored_card(CARD, picture(digest))])


def preview(target: int, text: str = CARDS, read_for: str | None = None) -> ChangeRequest:
    """The server's previews of bob's message ``target`` (read for its text ``read_for``)."""
    return ChangeRequest(PREVIEW, target, "bob", BOB, text=text, on=True, read_for=read_for)


def removal(target: int, account: int = BOB, nick: str = "bob", *, manager: bool = False) -> ChangeRequest:
    """Someone's removal of the previews of message ``target`` (bob's own by default)."""
    return ChangeRequest(PREVIEW, target, nick, account, any_author=manager)


def test_previews_take_the_rooms_next_id_show_on_the_message_and_are_removed_for_good(
    store_factory: StoreFactory,
) -> None:
    """The previews are a change with an id, read with the message; the same ones again take no id; a
    removal takes one, leaves none, and later previews are not taken."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "bob", "see https://x.org/", account_id=BOB)
        shown = await store.change("lobby", preview(1))
        assert shown.change is not None and (shown.change.id, shown.change.kind) == (2, PREVIEW)
        (message,) = await store.history("lobby")
        assert message.preview == CARDS and picture_of(message.preview, 0) == PICTURE
        frame = changes.message_frame(message)
        assert frame["previews"] == [
            {"url": "https://x.org/", "site": "X", "title": "The X", "description": "All about x",
             "image": {"width": 2, "height": 1}}
        ]  # fmt: skip
        assert (await store.change("lobby", preview(1))).change is None
        with pytest.raises(ChangeRefusedError) as refused:
            await store.change("lobby", removal(1, ANN, "ann"))
        assert refused.value.code == FORBIDDEN
        gone = await store.change("lobby", removal(1))
        assert gone.change is not None and gone.change.id == 3 and not gone.change.on
        assert changes.change_frame(gone.change)["previews"] == []
        assert (await store.change("lobby", preview(1))).change is None
        (message,) = await store.history("lobby")
        assert message.preview == "" and "previews" not in changes.message_frame(message)
        assert [(c.kind, c.on) for c in await store.changes("lobby", after=1)] == [
            (PREVIEW, True),
            (PREVIEW, False),
        ]

    run(store_factory(), scenario)


def test_a_manager_removes_anyones_previews_and_a_deleted_message_takes_none(
    store_factory: StoreFactory,
) -> None:
    """A manager's removal (any_author) is taken; a deleted message loses its previews and takes no more."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "bob", "https://x.org/", account_id=BOB)
        await store.append("lobby", "bob", "https://x.org/ again", account_id=BOB)
        await store.change("lobby", preview(1))
        assert (await store.change("lobby", removal(1, ANN, "ann", manager=True))).change is not None
        await store.change("lobby", preview(2))
        await store.change("lobby", ChangeRequest(DELETE, 2, "bob", BOB))
        assert (await store.history("lobby"))[1].preview is None
        with pytest.raises(ChangeRefusedError) as refused:
            await store.change("lobby", preview(2))
        assert refused.value.code == NO_MESSAGE

    run(store_factory(), scenario)


def test_previews_read_for_a_text_the_message_no_longer_holds_are_not_taken(
    store_factory: StoreFactory,
) -> None:
    """Cards read for a message's first text, stored after an edit changed it, take no id and show
    nothing; read for the text it holds now, they are taken."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "bob", "see https://x.org/", account_id=BOB)
        await store.change("lobby", ChangeRequest(EDIT, 1, "bob", BOB, text="see https://y.org/"))
        assert (await store.change("lobby", preview(1, read_for="see https://x.org/"))).change is None
        assert (await store.history("lobby"))[0].preview is None
        taken = await store.change("lobby", preview(1, read_for="see https://y.org/"))
        assert taken.change is not None and taken.change.id == 3
        assert (await store.history("lobby"))[0].preview == CARDS

    run(store_factory(), scenario)


def test_cards_are_kept_by_address_and_pictures_by_digest(store_factory: StoreFactory) -> None:
    """The latest card of an address is kept, old ones dropped; a picture is kept once per digest, its time
    the latest keep's."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        assert await accounts.kept_card("https://x.org/") is None
        await accounts.keep_card(KeptCard("https://old.org/", 1000, ""))
        await accounts.keep_card(KeptCard("https://x.org/", 2000, "first"))
        await accounts.keep_card(KeptCard("https://x.org/", 3000 + CARDS_KEPT_MS, "second"))
        assert await accounts.kept_card("https://x.org/") == KeptCard(
            "https://x.org/", 3000 + CARDS_KEPT_MS, "second"
        )
        assert await accounts.kept_card("https://old.org/") is None
        image = PreviewImage("cd" * 32, "image/jpeg", 4, 3, 5, b"\xff\xd8bytes")
        await accounts.keep_preview_image(image)
        await accounts.keep_preview_image(PreviewImage("cd" * 32, "image/png", 1, 1, 6, b"other"))
        assert await accounts.preview_image("cd" * 32) == replace(image, created=6)  # kept again at 6
        await accounts.import_preview_images([PreviewImage("cd" * 32, "image/png", 1, 1, 5, b"other")])
        image = replace(image, created=6)
        assert await accounts.preview_image("cd" * 32) == image  # an import leaves it as it is
        assert await accounts.preview_image("ef" * 32) is None
        assert await accounts.preview_images("", 10) == [image]
        assert await accounts.preview_images("cd" * 32, 10) == []

    run(store_factory(), scenario)


def test_pictures_that_nothing_names_are_swept_once_old(
    store_factory: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sweep deletes the old pictures that no message's cards and no kept card name (those of previews
    removed, of an edit's, of a deleted message), reading the messages a page at a time; it keeps those
    named and those kept since the time it is given."""
    monkeypatch.setattr(sql_previews, "SWEEP_PAGE", 1)

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        names = ("a1", "a2", "b1", "c1", "d1", "kept", "lone", "recent")
        digest = {name: f"{n:064x}" for n, name in enumerate(names)}
        for name in names:
            created = 3000 if name == "recent" else 1000
            await accounts.keep_preview_image(PreviewImage(digest[name], "image/png", 2, 1, created, b"png"))
        for name in ("a1", "a2", "b1", "c1", "d1"):
            room = name[0]
            posted = await store.append(room, "bob", "see https://x.org/", account_id=BOB)
            await store.change(room, preview(posted.message.id, shows(digest[name])))
        await store.change("b", removal(1))
        await store.change("c", ChangeRequest(EDIT, 1, "bob", BOB, text="no link now"))
        await store.change("c", preview(1, "[]"))
        await store.change("d", ChangeRequest(DELETE, 1, "bob", BOB))
        await accounts.keep_card(KeptCard("https://y.org/", 1000, stored_card(CARD, picture(digest["kept"]))))
        assert await accounts.sweep_preview_images(2000) == 4
        kept = [image.digest for image in await accounts.preview_images("", 10)]
        assert kept == [digest[name] for name in ("a1", "a2", "kept", "recent")]
        assert await accounts.sweep_preview_images(2000) == 0

    run(store_factory(), scenario)


async def messages_few_with_cards(store: Store) -> None:
    """300 messages in a room, two of them showing cards."""
    for n in range(1, 301):
        await store.append("lobby", "bob", f"message {n}", account_id=BOB)
    for target in (7, 200):
        await store.change("lobby", preview(target))


def test_sqlite_sweeps_by_the_index_of_messages_with_cards(tmp_path: Path) -> None:
    """The sweep's read of the messages showing cards goes by their index, not past every message."""
    path = tmp_path / "chat.db"
    run(SQLiteStore(str(path)), messages_few_with_cards)
    plan = sqlite_plan(path, sql_previews.SHOWN_AFTER, ("", 0, 500))
    assert "INDEX messages_with_cards" in plan, plan


def test_postgres_sweeps_by_the_index_of_messages_with_cards(postgres_server: PostgresServer) -> None:
    """On PostgreSQL too, the sweep's read goes by the index of messages with cards."""
    url = postgres_server.new_schema()
    run(PostgresStore(url), messages_few_with_cards)
    plan = postgres_plan(postgres_server, url, pg(sql_previews.SHOWN_AFTER), ("", 0, 500), table="messages")
    assert "messages_with_cards" in plan and "Seq Scan" not in plan, plan

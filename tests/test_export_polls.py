"""Polls and their votes in an export: the poll's message and its ``vote`` and ``close_poll`` changes go
through ``python -m chatroom export`` and ``import``, SQLite to PostgreSQL and back, votes rebuilt."""

from __future__ import annotations

from pathlib import Path

import orjson

from chatroom import changes, polls
from chatroom.events import CLOSE_POLL, VOTE
from chatroom.store.base import Store
from chatroom.store.change_rules import ChangeRequest
from chatroom.store.records import OPEN, PERSON

from .pg_server import PostgresServer
from .test_export_reading import on_store, there_and_back

LUNCH = polls.poll_text("Lunch?", ["Pizza", "Sushi", "Salad"])
DAYS = polls.poll_text("Days?", ["Mon", "Tue", "Wed"], several=True)


async def fill(store: Store) -> None:
    """A poll of one choice whose voter changed her mind, then closed; one of several with a vote taken
    back; a deleted poll whose votes went with it."""
    accounts = store.accounts
    ann = await accounts.create_account("ann", PERSON)
    zoe = await accounts.create_account("Zoë", PERSON)
    await accounts.create_room("lobby", OPEN, creator_id=ann.id)
    for text in (LUNCH, DAYS, LUNCH):
        await store.append("lobby", "ann", text, account_id=ann.id)
    votes = [(1, zoe, 0, True), (1, zoe, 2, True), (1, ann, 2, True), (2, zoe, 0, True), (2, zoe, 1, True),
             (2, zoe, 0, False), (3, ann, 1, True)]  # fmt: skip
    for target, who, option, on in votes:
        request = ChangeRequest(VOTE, target, who.name, who.id, emoji=str(option), on=on)
        assert (await store.change("lobby", request)).change is not None
    await store.change("lobby", ChangeRequest(CLOSE_POLL, 1, "ann", ann.id))
    await store.change("lobby", ChangeRequest("delete", 3, "ann", ann.id))


async def shown(store: Store) -> list[object]:
    """The lobby's polls as members read them."""
    messages = await store.history("lobby", limit=10)
    return [changes.message_frame(m).get("poll") for m in messages]


def test_sqlite_to_postgresql_and_back_keeps_polls_and_votes(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """Who chose what, in order, and which poll is closed come back the same on both stores."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    assert on_store(copy, shown) == on_store(postgres, shown) == on_store(source, shown)
    lunch, days, deleted = on_store(copy, shown)
    assert isinstance(lunch, dict) and isinstance(days, dict) and deleted is None
    assert [o["nicks"] for o in lunch["options"]] == [[], [], ["Zoë", "ann"]] and lunch["closed"]
    assert [o["nicks"] for o in days["options"]] == [[], ["Zoë"], []] and not days["closed"]
    kinds = [orjson.loads(line).get("kind") for line in exported.splitlines()[1:]]
    assert kinds.count("vote") == 7 and kinds.count("close_poll") == 1

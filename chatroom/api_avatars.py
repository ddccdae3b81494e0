"""Avatars: ``PUT``/``DELETE /api/me/avatar`` (one's own), ``GET``/``HEAD /avatars/{account name}``.

An avatar is an image uploaded like a room's file (uploads.py: the same
limits, rate and quota), made a square 256x256 picture without its metadata
(images.prepare_avatar), and kept as the account's; a new one replaces the
old, whose bytes go. Anyone who may be on the server (signed in, or a guest
where guests are let in) sees every avatar; an account without one is 404.
Once a change is stored, every node tells the connections of accounts (who
may look up which picture each account shows) at once (notices.py).
"""

from __future__ import annotations

import logging
from typing import Any

from . import images, metrics, protocol
from .api import ApiError
from .api_files import FileServingHandler, PreparingHandler
from .backend import tell_processes
from .events import AvatarNotice
from .identity import Identity
from .store.files_base import AVATAR, NewFile

log = logging.getLogger("chatroom.files")

AVATAR_NAME = "avatar"
# Asked again each time: a picture set since shows at the next look (a page signed in
# learns who has one from /api/accounts and asks for no one else's).
NO_AVATAR_CACHE_CONTROL = "private, no-cache"


def avatar_not_found() -> ApiError:
    """The answer for an account without an avatar (or no such account)."""
    return ApiError(404, protocol.NOT_FOUND, "this account has no avatar")


class AvatarHandler(PreparingHandler):
    """``PUT /api/me/avatar`` (the body: an image) sets one's avatar; ``DELETE`` removes it."""

    async def put(self) -> None:
        who = self.require_account()
        spool = self.received()
        async with self.quota_reserved(spool.size):
            spool_dir = self.uploads.files.spool_dir
            prepared = await self.prepared(lambda: images.prepare_avatar(spool.path, spool_dir))
            new = NewFile(None, who.account_id, AVATAR_NAME, AVATAR)
            info = await self.unavailable_if_failing(self.uploads.files.save(new, prepared))
        try:
            await self.unavailable_if_failing(self.uploads.files.set_avatar(who.account_id, info.id))
        except ApiError:
            await self.discard(info.id)
            raise
        metrics.UPLOADS.inc()
        await self.uploads.count_stored()
        await self._tell_nodes(who, info.id)
        self.send_json({"avatar": protocol.file_part(info)})

    async def delete(self) -> None:
        who = self.require_account()
        files = self.uploads.files
        had = await self.unavailable_if_failing(files.avatar_ids([who.account_id]))
        await self.unavailable_if_failing(files.set_avatar(who.account_id, None))
        await self.uploads.count_stored()
        # Removing nothing tells nobody: a DELETE repeated costs one answer, never a frame to everyone.
        if had:
            await self._tell_nodes(who, None)
        self.set_status(204)
        self.finish()

    async def _tell_nodes(self, who: Identity, avatar: str | None) -> None:
        """Tell every node's open pages the account's new picture (None: removed).

        The picture is stored already: when the other nodes cannot be told,
        their pages show it when they next load, so this is logged, not refused.
        """
        notice = AvatarNotice(who.name, avatar)
        await tell_processes(self.backend, notice, about=f"{who.name!r}'s new picture", log=log)


class AvatarImageHandler(FileServingHandler):
    """``GET``/``HEAD /avatars/{account name}``: the account's avatar image, 404 when it has none.

    The address stays when the avatar changes: browsers ask again each time
    (``no-cache``, as for every file), and get 304 while it is the same.
    """

    async def get(self, name: str) -> None:
        await self._answer(name, body=True)

    async def head(self, name: str) -> None:
        await self._answer(name, body=False)

    async def _answer(self, name: str, *, body: bool) -> None:
        account = await self.unavailable_if_failing(self.backend.accounts.account_by_name(name))
        stored = None
        if account is not None:
            stored = await self.unavailable_if_failing(self.backend.files.avatar(account.id))
        if stored is None:
            raise avatar_not_found()
        await self.serve(stored, thumb=False, body=body)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 404:
            self.set_header("Cache-Control", NO_AVATAR_CACHE_CONTROL)
        super().write_error(status_code, **kwargs)

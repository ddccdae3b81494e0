"""``POST /api/file-links``: signed, short-lived addresses of the files a page shows (file_links.py).

The body is ``{"files": [file id, ...]}`` (at most MAX_FILES_ASKED ids); the
answer ``{"expires": <unix time>, "links": {<id>: {"file": <address>,
"thumb": <address>}}}``, ``thumb`` only for a file with a thumbnail. Each id
is asked about exactly as a download asks (api_files.may_see): a file the
account may not see, like one that does not exist, is simply left out of
``links``. Links are an account's: a guest gets 403 (a guest's page needs
none, it fetches open rooms' files without credentials).
"""

from __future__ import annotations

import time
from typing import Any

from . import protocol
from .api import ApiError, JsonHandler
from .api_files import may_see
from .file_links import FULL_VARIANT, THUMB_VARIANT, expiry, link_key, link_path
from .identity import Identity
from .store.files_base import StoredFile

MAX_FILES_ASKED = 100
_MAX_FILE_ID = 64


class FileLinksHandler(JsonHandler):
    """``POST /api/file-links``: links to the files of a list the asker may see (see the module)."""

    async def post(self) -> None:
        who = self.who
        if who is None:
            raise ApiError(403, protocol.FORBIDDEN, "file links are for accounts: sign in first")
        wanted = self._file_ids(self.json_object())
        key = link_key(await self.unavailable_if_failing(self.authenticator.cookie_secret()))
        expires = expiry(time.time())
        links: dict[str, dict[str, str]] = {}
        for file_id in wanted:
            stored = await self._visible(who, file_id)
            if stored is not None:
                links[file_id] = self._links_of(key, stored, who.account_id, expires)
        self.send_json({"expires": expires, "links": links})

    async def _visible(self, who: Identity, file_id: str) -> StoredFile | None:
        """The file if ``who`` may download it now; None, as for a file that does not exist."""
        stored = await self.unavailable_if_failing(self.backend.files.get(file_id))
        if stored is None or not await self.unavailable_if_failing(may_see(self.access, who, stored)):
            return None
        return stored

    @staticmethod
    def _links_of(key: bytes, stored: StoredFile, account_id: int, expires: int) -> dict[str, str]:
        info = stored.info
        links = {"file": link_path(key, info.id, info.name, FULL_VARIANT, account_id, expires)}
        if info.thumb:
            links["thumb"] = link_path(key, info.id, info.name, THUMB_VARIANT, account_id, expires)
        return links

    @staticmethod
    def _file_ids(body: dict[str, Any]) -> list[str]:
        """The body's ``files``, each once, in order; 400 unless a list of at most MAX_FILES_ASKED strings."""
        files = body.get("files")
        if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
            raise ApiError(400, protocol.BAD_REQUEST, 'the body must be {"files": [file id, ...]}')
        if len(files) > MAX_FILES_ASKED:
            raise ApiError(400, protocol.BAD_REQUEST, f"at most {MAX_FILES_ASKED} files at once")
        return [file_id for file_id in dict.fromkeys(files) if len(file_id) <= _MAX_FILE_ID]

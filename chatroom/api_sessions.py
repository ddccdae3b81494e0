"""One's devices: the sessions one is signed in with, and signing one of them out (``/api/me/sessions``).

- ``GET /api/me/sessions``: ``{"sessions": [{"id", "device", "created_at",
  "last_seen_at", "current"}]}``, the asker's open sessions, the one asking
  first (``current``), then the one used last first: ``device`` says the
  browser in words (devices.py);
- ``DELETE /api/me/sessions/{id}``: end that session: the browser holding
  it is signed out, and its sockets, on every node, get ``unauthorized``
  and 4401 ("this device was signed out from another one"); ``200
  {"signed_out": 1}``. Ending the asker's own session signs this browser
  out as ``DELETE /api/session`` does. An id that is none of the asker's
  open sessions (another person's, one ended already) is ``404``, alike.

A session's ``id`` is a digest of what the store keeps (the SHA-256 of the
cookie's id), so the list holds nothing a cookie could be made from. People
only: bots have keys, not sessions (403); nobody signed in, or a guest, 401.
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import devices, protocol
from .api import ApiError
from .api_accounts import AccountHandler, tell_nodes
from .events import SIGNED_OUT, SIGNED_OUT_ELSEWHERE
from .identity import Identity
from .store.sessions_base import Session

# Hex digits of a session's id: 64 bits, unique among one person's sessions.
ID_DIGITS = 16


def public_id(session: Session) -> str:
    """A session's id as its person sees it: a digest of the stored hash, never the hash itself."""
    return hashlib.sha256(b"chatroom session " + session.id_hash).hexdigest()[:ID_DIGITS]


class SessionsBaseHandler(AccountHandler):
    """What both endpoints share: the person asking and their open sessions."""

    def person(self) -> Identity:
        return self.person_asking("a bot signs in with its key and has no sessions")

    async def sessions(self, who: Identity) -> list[Session]:
        return await self.unavailable_if_failing(self.backend.accounts.sessions_of(who.account_id))


class SessionsHandler(SessionsBaseHandler):
    """``GET``: the asker's open sessions, the one asking first, then the one used last first."""

    async def get(self) -> None:
        who = self.person()
        entries = [entry(session, who) for session in await self.sessions(who)]
        # Its use is noted once a minute: the session asking is the one in use now, whatever the list says.
        entries.sort(key=lambda listed: not listed["current"])
        self.send_json({"sessions": entries})


class SessionEndHandler(SessionsBaseHandler):
    """``DELETE``: sign the session with this id out, wherever its browser is."""

    async def delete(self, raw_id: str) -> None:
        who = self.person()
        found = next((s for s in await self.sessions(who) if public_id(s) == raw_id), None)
        if found is None:
            raise ApiError(404, protocol.NOT_FOUND, "no such session: it ended already, or it is not yours")
        await self.unavailable_if_failing(self.backend.accounts.revoke_session(found.id_hash))
        own = found.id_hash == who.session_hash
        await tell_nodes(
            self.backend, who.account_id, SIGNED_OUT if own else SIGNED_OUT_ELSEWHERE, found.id_hash
        )
        if own:
            self.forget_session_cookie()
        self.send_json({"signed_out": 1})


def entry(session: Session, who: Identity) -> dict[str, Any]:
    """A session as its person sees it in the list."""
    return {
        "id": public_id(session),
        "device": devices.describe(session.agent),
        "created_at": session.created_at,
        "last_seen_at": session.last_seen_at,
        "current": session.id_hash == who.session_hash,
    }

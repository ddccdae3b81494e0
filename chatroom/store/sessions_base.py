"""Sessions: where each person is signed in (the AccountStore's part; sql_sessions.py runs it).

A session is one browser's sign-in, kept by the SHA-256 of its cookie's id
(chatroom/tokens.py), never the id itself. It ends when its person signs out
there, everywhere, or from another device (``GET``/``DELETE
/api/me/sessions``), or after SESSION_IDLE_MS unused; an ended session is
kept, revoked, and opens nothing. What browser made it is kept as the
``User-Agent`` it sent (up to AGENT_LENGTH characters), for its person to
tell their devices apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .records import Account

# The most of a User-Agent header a session keeps.
AGENT_LENGTH = 512


@dataclass(frozen=True)
class Session:
    """An open session: its id's hash, when it began and was last used (ms), and the browser's agent."""

    id_hash: bytes
    created_at: int
    last_seen_at: int
    agent: str | None


class SessionStore(Protocol):
    """Who is signed in where."""

    async def create_session(self, account_id: int, id_hash: bytes, agent: str | None = None) -> None:
        """Record a new session of the account, begun by a browser sending ``agent`` (None: none)."""
        ...

    async def session_account(self, id_hash: bytes, *, now: int | None = None) -> Account | None:
        """The account signed in with this session; None when the session is unknown,
        revoked, unused for SESSION_IDLE_MS, or its account deactivated.

        Notes the session's use, at most once every SESSION_TOUCH_MS.
        """
        ...

    async def sessions_of(self, account_id: int, *, now: int | None = None) -> list[Session]:
        """The account's open sessions (neither revoked nor unused for SESSION_IDLE_MS), the one used
        last first."""
        ...

    async def revoke_session(self, id_hash: bytes) -> bool:
        """End a session (sign out); whether it was open."""
        ...

    async def revoke_sessions_of(self, account_id: int) -> int:
        """End every open session of the account (sign out everywhere); how many."""
        ...

"""Setup, join and reset links: making them, finding the link a token names, and whether setup is done.

A link is ``<base>/<kind>?token=<token>``; the store keeps the token's hash
(chatroom/tokens.py). A setup link (one-time) lets whoever reads the
server's log create the first administrator; a join link lets anyone who
has it create an account until an administrator revokes it; a reset link
(one-time, for a day) lets one account choose a new password.

A join link is a standing invitation that administrators hand around, so
they must be able to see it again: its token is also kept as a store secret
named after its hash. Setup and reset tokens are shown once, never kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from .clock import now_ms
from .store.accounts_base import AccountStore
from .store.records import DAY_MS, JOIN, RESET, SETUP, Account, Link
from .tokens import new_token, token_hash

RESET_LINK_MS = DAY_MS
ACCOUNTS_PAGE = 500
# The store secret that keeps a join link's token, followed by the hex of its hash.
JOIN_TOKEN_SECRET = "join_link_token:"


def link_url(base: str, kind: str, token: str) -> str:
    """The address of a link, on the server whose address is ``base`` (``http://host:port``)."""
    return f"{base.rstrip('/')}/{kind}?token={token}"


async def has_active_admin(accounts: AccountStore) -> bool:
    """Whether an active administrator exists: setup is done."""
    after = 0
    while page := await accounts.list_accounts(after_id=after, limit=ACCOUNTS_PAGE):
        if any(account.is_admin and account.active and not account.is_bot for account in page):
            return True
        after = page[-1].id
    return False


class SetupState:
    """Whether this server has an administrator: asked of the store until it has, then known for good.

    Once setup is done it stays done for this process (another node's setup
    is seen on the next question, since the answer "not yet" is never kept).
    """

    def __init__(self, accounts: AccountStore) -> None:
        self.accounts = accounts
        self._done = False

    async def done(self) -> bool:
        """Whether an administrator exists (StoreError when the store cannot say)."""
        if not self._done:
            self._done = await has_active_admin(self.accounts)
        return self._done

    def mark_done(self) -> None:
        """The first administrator was just created here."""
        self._done = True


async def issue_setup_link(accounts: AccountStore, base: str) -> str:
    """A new setup link; the older ones stop working (only the newest printed one is good)."""
    token = new_token()
    await accounts.revoke_links(SETUP)
    await accounts.create_link(SETUP, token_hash(token))
    return link_url(base, SETUP, token)


async def setup_link_if_needed(accounts: AccountStore, base: str) -> str | None:
    """At start: a new setup link when there is no administrator yet, else None."""
    if await has_active_admin(accounts):
        return None
    return await issue_setup_link(accounts, base)


@dataclass(frozen=True, slots=True)
class JoinLink:
    """A join link in force, with its address when it is known (made by this version)."""

    link: Link
    url: str | None


async def issue_join_link(accounts: AccountStore, base: str) -> JoinLink:
    """A new join link; those made before stop working (there is one invitation at a time)."""
    token = new_token()
    hashed = token_hash(token)
    await accounts.revoke_links(JOIN)
    await accounts.get_or_create_secret(JOIN_TOKEN_SECRET + hashed.hex(), lambda: token)
    link = await accounts.create_link(JOIN, hashed)
    return JoinLink(link, link_url(base, JOIN, token))


async def join_links(accounts: AccountStore, base: str) -> list[JoinLink]:
    """The join links in force, oldest first, with their addresses."""
    found = []
    for link in await accounts.active_links(JOIN):
        # A link whose token was not kept reads as "" (and stays so): shown without an address.
        token = await accounts.get_or_create_secret(JOIN_TOKEN_SECRET + link.token_hash.hex(), str)
        found.append(JoinLink(link, link_url(base, JOIN, token) if token else None))
    return found


async def issue_reset_link(accounts: AccountStore, account: Account, base: str) -> tuple[str, int]:
    """A one-time link for the account to choose a new password, and when it expires (ms).

    The account's earlier reset links stop working.
    """
    token = new_token()
    expires_at = now_ms() + RESET_LINK_MS
    await accounts.revoke_links(RESET, account_id=account.id)
    await accounts.create_link(RESET, token_hash(token), account_id=account.id, expires_at=expires_at)
    return link_url(base, RESET, token), expires_at


async def usable_link(accounts: AccountStore, kind: str, token: str) -> Link | None:
    """The link of that kind the token names if it still works, without using it up."""
    if not token:
        return None
    hashed = token_hash(token)
    for link in await accounts.active_links(kind):
        if link.token_hash == hashed:
            return link
    return None

"""The chat socket's way in: who connects, whether the room lets them in, and the nick they hold.

The socket handler (handlers.ChatSocketHandler) carries out its session's
effects; the ones of the way in ask identity.py, access.py, moderation.py
and the backend, and are answered here, with the session's next effects.
One Admission serves every connection of an application: it holds nothing
of any one connection (a connection lasts for days, and its memory counts).
"""

from __future__ import annotations

from . import effects, moderation, protocol
from .access import Access
from .backend import Backend
from .effects import Effects
from .identity import Authenticator, Identity, IdentityError
from .links import SetupState
from .opening import Known
from .session import Session


class Admission:
    """Answers the way-in effects of chat sessions (Admit, ClaimRoom, Reserve)."""

    def __init__(
        self, backend: Backend, authenticator: Authenticator, access: Access, setup: SetupState
    ) -> None:
        self.backend = backend
        self.authenticator = authenticator
        self.access = access
        self.setup = setup
        self.jwt_accounts = authenticator.settings.jwt_secret is not None

    async def identify(
        self, authorization: str | None, query_token: str | None, cookie: str | None
    ) -> tuple[Identity | None, str]:
        """Who the upgrade's credentials prove (None: nobody), and why they do not hold, if they do not.

        A failing store raises StoreError: the caller answers unavailable.
        """
        try:
            return await self.authenticator.identify(authorization, query_token, cookie), ""
        except IdentityError as error:
            return None, str(error)

    async def admit(self, session: Session, room: str, address: str) -> tuple[Effects, bool]:
        """The session's answer to Admit, and whether the room is a direct one.

        What the store knows of the way in is read at once (store/way_in.py),
        and decided on in this order: a barred guest is turned away before
        anything about the room counts; so is an account (a bot made from the
        command line, say) while the server has no administrator: until setup,
        only guests get in. Under --jwt-secret a token makes its account, and
        nothing waits for setup.
        """
        who = session.who
        if who is not None and not self.jwt_accounts and not await self.setup.done():
            return self._setup_required(session), False
        nick = session.first_nick
        read = await self.backend.way_in(
            room,
            address=address if who is None else None,
            account_id=None if who is None else who.account_id,
            nick=nick,
        )
        if who is None and (barred := moderation.bar_refusal(read.barred_until)):
            refusal = [effects.Send((barred,)), *session.close(protocol.CLOSE_FORBIDDEN, protocol.FORBIDDEN)]
            return refusal, False
        entry = self.access.entry(who, room, read.record, read.membership, barred=read.barred)
        if entry is None:
            return session.admitted(False, False), False
        known = Known(read.holder, nick, read.account_named)
        session.deletes_any = entry.deletes_any
        session.mentions_room = entry.mentions_room
        if entry.direct:
            # Who else is in it, so that a block of this account by them refuses its messages at once.
            session.direct_others = await self.access.others_in(who, room)
            session.blocked_by = await self.access.blocker_in(who, room)
        return session.admitted(True, entry.may_post, known, may_react=entry.may_react), entry.direct

    @staticmethod
    def _setup_required(session: Session) -> Effects:
        message = "this server has no administrator yet: open the setup link in the server's log"
        refusal = protocol.error_frame(protocol.SETUP_REQUIRED, message)
        return [
            effects.Send((refusal,)),
            *session.close(protocol.CLOSE_TRY_AGAIN_LATER, protocol.SETUP_REQUIRED),
        ]

    async def claim(self, session: Session, claim: effects.ClaimRoom) -> Effects:
        """The session's answer to ClaimRoom: the room's look-alike key, held or not."""
        return session.room_claimed(
            await self.backend.claim_room(claim.room, store_checked=claim.store_checked)
        )

    async def reserve(self, session: Session, reserve: effects.Reserve) -> Effects:
        """The session's answer to Reserve: the nick held in its room, or refused.

        A guest never passes for an account: an account's name, or a
        look-alike of it, is taken for a guest (unless the admission read
        that no account holds it, this is asked now).
        """
        nick = reserve.nick
        if (
            session.who is None
            and not reserve.name_checked
            and await self.backend.accounts.name_is_held(nick)
        ):
            return session.reserved(nick, None, account_named=True)
        return session.reserved(nick, await self.backend.reserve(session.room, nick, session.owner))

"""A group's members: ``PUT``/``DELETE /api/groups/{name}/members/{person}``.

Any person joins or leaves a group themselves, as in Zulip: a group is a
way to be told, and whoever wants to hear what designers hear may; who
does not may always leave. Adding or removing someone else is for the
group's creator and the administrators (an administrator's, in another's
group, goes into the moderation history). A member is a person's account,
active: a bot, a deactivated account or a name nobody has is 404.
"""

from __future__ import annotations

from . import protocol
from .api import ApiError
from .api_groups import GroupBaseHandler
from .clock import now_ms
from .group_frames import GroupNotice
from .identity import Identity
from .store.groups_base import Group
from .store.records import PERSON, Account


class GroupMemberHandler(GroupBaseHandler):
    """``PUT``: put ``person`` in the group; ``DELETE``: take them out. Both answer with the group."""

    async def put(self, name: str, person: str) -> None:
        who, group, account = await self._asked(name, person, "adds others to it")
        accounts = self.backend.accounts
        if await self.unavailable_if_failing(accounts.add_group_member(group.id, account.id, now_ms())):
            await self._told(who, group, account, f"added {account.name} to @{group.name}")
        await self.answer_with(group.name)

    async def delete(self, name: str, person: str) -> None:
        who, group, account = await self._asked(name, person, "removes others from it")
        accounts = self.backend.accounts
        if await self.unavailable_if_failing(accounts.remove_group_member(group.id, account.id)):
            await self._told(who, group, account, f"removed {account.name} from @{group.name}")
        await self.answer_with(group.name)

    async def _asked(self, name: str, person: str, doing: str) -> tuple[Identity, Group, Account]:
        """Who asks, the group, the person; 404 for either unknown, 403 for another's change by one who
        may not make it."""
        who = self.person()
        group = await self.group(name)
        account = await self.unavailable_if_failing(self.backend.accounts.account_by_name(person))
        if account is None or account.kind != PERSON or not account.active:
            raise ApiError(404, protocol.NOT_FOUND, f"there is no person called {person!r}")
        if account.id != who.account_id:
            self.manager(who, group, doing)
        return who, group, account

    async def _told(self, who: Identity, group: Group, account: Account, detail: str) -> None:
        await self.tell_nodes(GroupNotice(group.name, group.name))
        await self.keep_if_moderation(who, group, detail, account.id)

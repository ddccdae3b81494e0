"""Groups: ``GET``/``POST /api/groups``, ``GET``/``PATCH``/``DELETE /api/groups/{name}``.

A group is named people mentioned as one (``@designers``, mentions.py). Any
account reads the groups (a bot too: it may mention them); a person (not a
guest, not a bot) creates one. Its creator and the administrators rename
it, describe it and delete it, and add and remove its members; any person
joins or leaves a group themselves (api_group_members.py). An
administrator's change to another's group is an act of the moderation
history. Every change, once stored, is told to every node
(group_frames.GroupNotice), whose pages follow at once.
"""

from __future__ import annotations

import logging

from . import protocol
from .access import Access
from .allowances import Allowance
from .api import ApiError, JsonHandler, spend_allowance
from .backend import Backend, BackendError, tell_processes
from .clock import now_ms
from .config import Settings
from .group_frames import GroupNotice, group_entry
from .group_names import BadDescriptionError, BadGroupError, check_description, check_group_name
from .identity import Authenticator, Identity
from .links import SetupState
from .moderation import keep_act
from .store.acts_base import MANAGE_GROUP, ModerationAct
from .store.base import StoreError
from .store.groups_base import Group, GroupNameTakenError

log = logging.getLogger("chatroom.groups")

# Groups one account may create a minute, per process.
CREATIONS_PER_MINUTE = 10


class GroupBaseHandler(JsonHandler):
    """What the group endpoints share: who asks, the group named, who may manage it, telling every node."""

    def person(self) -> Identity:
        """Who asks, a person; 401 for nobody or a guest, 403 for a bot."""
        return self.person_asking("only people manage groups", "guests have no groups")

    def reader(self) -> Identity:
        """Who asks, any account; 401 for a guest."""
        if self.who is None:
            raise ApiError(401, protocol.UNAUTHORIZED, "sign in first: guests have no groups")
        return self.who

    async def group(self, name: str) -> Group:
        """The group called ``name``; 404 not_found."""
        group = await self.unavailable_if_failing(self.backend.accounts.group_named(name))
        if group is None:
            raise ApiError(404, protocol.NOT_FOUND, f"there is no group @{name}")
        return group

    @staticmethod
    def manager(who: Identity, group: Group, doing: str) -> Identity:
        """``who``, when they created the group or are an administrator; 403 forbidden otherwise."""
        if group.creator_id != who.account_id and not who.is_admin:
            raise ApiError(
                403, protocol.FORBIDDEN, f"only who created @{group.name}, or an administrator, {doing}"
            )
        return who

    async def keep_if_moderation(self, who: Identity, group: Group, detail: str, subject_id: int = 0) -> None:
        """An administrator's change to another's group goes into the moderation history (but their own
        joining or leaving, ``subject_id`` their own account, does not)."""
        if group.creator_id == who.account_id or subject_id == who.account_id:
            return
        act = ModerationAct(
            MANAGE_GROUP,
            now_ms(),
            who.name,
            group.creator or "",
            who.account_id,
            group.creator_id,
            detail=detail,
        )
        await keep_act(self.backend.accounts, act)

    async def tell_nodes(self, notice: GroupNotice) -> None:
        """Tell every node's pages; the change is stored, so a bus away is logged: pages see it at their
        next load."""
        await tell_processes(self.backend, notice, about=f"the group @{notice.name}", log=log)

    async def answer_with(self, name: str, status: int = 200) -> None:
        """Answer with the group as it is now."""
        self.send_json({"group": group_entry(await self.group(name))}, status)


async def tell_groups_of(backend: Backend, account_id: int) -> None:
    """The account was renamed, deactivated or reactivated: every page hears its groups again, whose
    members' names changed (a failure is logged: pages see them when they next load)."""
    try:
        names = await backend.accounts.groups_of(account_id)
        if names:
            await backend.notify(*(GroupNotice(name, name) for name in names))
    except (BackendError, StoreError) as error:
        log.warning("cannot tell the other processes of the groups of account %d: %s", account_id, error)


def refused_name(error: BadGroupError | GroupNameTakenError) -> ApiError:
    """A name the rules refuse (400 bad_name) or that is held (409 name_taken); a description the rules
    refuse (400 bad_request)."""
    if isinstance(error, GroupNameTakenError):
        return ApiError(409, protocol.NAME_TAKEN, str(error))
    if isinstance(error, BadDescriptionError):
        return ApiError(400, protocol.BAD_REQUEST, str(error))
    return ApiError(400, protocol.BAD_NAME, str(error))


class GroupsHandler(GroupBaseHandler):
    """``GET /api/groups``: every group with its members; ``POST``: create one."""

    def initialize(  # type: ignore[override]
        self,
        config: Settings,
        backend: Backend,
        authenticator: Authenticator,
        access: Access,
        creations: Allowance,
        setup: SetupState | None = None,
    ) -> None:
        super().initialize(config, backend, authenticator, access, setup)
        # Groups one account may create a minute, per process: each is a frame to every account's page.
        self.creations = creations

    async def get(self) -> None:
        self.reader()
        groups = await self.unavailable_if_failing(self.backend.accounts.groups())
        self.send_json({"groups": [group_entry(group) for group in groups]})

    async def post(self) -> None:
        who = self.person()
        body = self.json_object()
        try:
            name = check_group_name(body.get("name"))
            description = check_description(body.get("description"))
            await self._take_turn(who)
            group = await self.unavailable_if_failing(
                self.backend.accounts.create_group(name, description, who.account_id, now_ms())
            )
        except (BadGroupError, GroupNameTakenError) as error:
            raise refused_name(error) from None
        await self.tell_nodes(GroupNotice(group.name, group.name))
        await self.answer_with(group.name, 201)

    async def _take_turn(self, who: Identity) -> None:
        """Count a group to create; 429 rate_limited when ``who`` creates too fast."""
        await spend_allowance(self.creations, str(who.account_id), "too many groups at once")


class GroupHandler(GroupBaseHandler):
    """``GET /api/groups/{name}``: the group; ``PATCH``: rename or describe it; ``DELETE``: delete it."""

    async def get(self, name: str) -> None:
        self.reader()
        await self.answer_with(name)

    async def patch(self, name: str) -> None:
        who = self.person()
        body = self.json_object()
        group = await self.group(name)
        self.manager(who, group, "renames or describes it")
        if not {"name", "description"} & body.keys():
            raise ApiError(400, protocol.BAD_REQUEST, "send a new name, a new description, or both")
        try:
            new_name = check_group_name(body["name"]) if "name" in body else group.name
            description = check_description(body["description"]) if "description" in body else None
            await self._change(group, new_name, description)
        except (BadGroupError, GroupNameTakenError) as error:
            raise refused_name(error) from None
        await self.tell_nodes(GroupNotice(group.name, new_name))
        await self.keep_if_moderation(who, group, _what_changed(group, new_name, description))
        await self.answer_with(new_name)

    async def _change(self, group: Group, name: str, description: str | None) -> None:
        accounts = self.backend.accounts
        if name != group.name and not await self.unavailable_if_failing(
            accounts.rename_group(group.id, name)
        ):
            raise ApiError(404, protocol.NOT_FOUND, f"there is no group @{group.name}")
        if description is not None:
            await self.unavailable_if_failing(accounts.describe_group(group.id, description))

    async def delete(self, name: str) -> None:
        who = self.person()
        group = await self.group(name)
        self.manager(who, group, "deletes it")
        if await self.unavailable_if_failing(self.backend.accounts.delete_group(group.id)):
            await self.tell_nodes(GroupNotice(group.name, None))
            await self.keep_if_moderation(who, group, f"deleted @{group.name}")
        self.set_status(204)
        self.finish()


def _what_changed(group: Group, name: str, description: str | None) -> str:
    """The moderation history's words for a change of name or description."""
    changes = []
    if name != group.name:
        changes.append(f"renamed @{group.name} to @{name}")
    if description is not None and description != group.description:
        changes.append(
            f"described @{name} as {description!r}" if description else f"cleared @{name}'s description"
        )
    return "; ".join(changes) or f"left @{name} as it was"

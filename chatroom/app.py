"""make_app: the URL table of a chatroom server."""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.resources
import logging
from pathlib import Path
from typing import Any

import tornado.web

from .access import Access
from .admission import Admission
from .allowances import Allowance
from .api import HealthHandler, MetricsHandler, NotFoundHandler
from .api_accounts import MeHandler, SessionHandler, SignOutEverywhereHandler
from .api_acts import ModerationHistoryHandler
from .api_admin import (
    AccountSignOutHandler,
    AccountStateHandler,
    AdminAccountsHandler,
    AdminRoomsHandler,
    GuestRemovalsHandler,
)
from .api_admin_role import AdminRoleHandler
from .api_avatars import AvatarHandler, AvatarImageHandler
from .api_bars import BarHandler, BarsHandler
from .api_blocks import BlockHandler, BlocksHandler
from .api_bot_changes import (
    BotMessageHandler,
    BotPinHandler,
    BotPollCloseHandler,
    BotPreviewsHandler,
    BotReactionHandler,
    BotVoteHandler,
)
from .api_bots import BotKeyHandler, BotKeysHandler, BotRoomHandler, BotsHandler, BotWebhookHandler
from .api_direct import DirectHandler
from .api_emoji import ADDS_PER_MINUTE, EmojiHandler, EmojiImageHandler, EmojiListHandler
from .api_file_links import FileLinksHandler
from .api_files import FileHandler, RoomFilesHandler
from .api_forward import FORWARDS_PER_MINUTE, ForwardedHandler, ForwardHandler
from .api_group_members import GroupMemberHandler
from .api_groups import CREATIONS_PER_MINUTE as GROUP_CREATIONS
from .api_groups import GroupHandler, GroupsHandler
from .api_links import JoinHandler, JoinLinksHandler, ResetHandler, ResetLinkHandler, SetupHandler
from .api_manage import CreateRoomsHandler, RoomHandler
from .api_members import AccountsHandler, MemberHandler, MembersHandler
from .api_moderation import AccountMessagesHandler
from .api_previews import PreviewImageHandler
from .api_push import PushKeyHandler, PushSettingsHandler, PushSubscriptionsHandler
from .api_reminders import ReminderHandler, RemindersHandler
from .api_rooms import MessagesHandler, PinsHandler
from .api_saved import SavedHandler, SavedInRoomHandler, SavedMessageHandler
from .api_scheduled import ScheduledHandler, ScheduledMessageHandler, SendScheduledHandler
from .api_search import SearchHandler
from .api_sessions import SessionEndHandler, SessionsHandler
from .api_settings import SettingsHandler
from .api_stars import StarHandler, StarredHandler
from .api_status import CHANGES_PER_MINUTE, DndHandler, StatusHandler
from .api_threads import FollowHandler, ThreadReadHandler, ThreadsHandler
from .api_unread import MarkUnreadHandler, NotifyHandler, ReadEverythingHandler, ReadHandler
from .backend import Backend
from .config import Settings
from .emoji_names import shortcodes_in
from .guest_access import GuestAccess
from .handlers import ChatSocketHandler
from .hub import Hub
from .identity import Authenticator
from .import_map import build_import_map
from .limits import JoinLimit, SignInLimit
from .links import SetupState
from .notices import NoticeDesk
from .pages import IndexHandler, JoinPageHandler, ResetPageHandler, SetupPageHandler, SignInPageHandler
from .passwords import Passwords
from .peers import PeerDesk
from .pings import PingSweep
from .previews import LinkPreviews
from .push import Pusher
from .reminder_sender import ReminderSender
from .reminder_sending import ReminderSending
from .scheduled_sender import ScheduledSender
from .scheduled_sending import ScheduledSending
from .static_files import StaticCompression, StaticHandler
from .thread_desk import ThreadDesk
from .unread import UnreadDesk
from .upgrade import ConnectionCounter
from .uploads import Uploads
from .webhooks import Webhooks

access_log = logging.getLogger("chatroom.access")

# Where as_file had to make the page's files real (a zipped package), they stay
# until the process exits: every Application of the process serves from them.
_asset_files = contextlib.ExitStack()
atexit.register(_asset_files.close)


@functools.cache
def asset_dir(name: str) -> Path:
    """The page's ``templates`` or ``static`` directory, as a path Tornado can read.

    Installed, it is part of the package (setup.cfg maps it in). A checkout, or
    an editable install that imports from one, has it at the repository's top
    level, beside the package's own directory.
    """
    packaged = importlib.resources.files("chatroom") / name
    if packaged.is_dir():
        return _asset_files.enter_context(importlib.resources.as_file(packaged))
    return Path(__file__).resolve().parent.parent / name


def log_request(handler: tornado.web.RequestHandler) -> None:
    """One access line per HTTP request, without the query string.

    The query string can carry a token, so it never reaches the log.
    WebSocket sessions log their own line when they end.
    """
    status = handler.get_status()
    if status == 101:
        return
    request = handler.request
    # A 5xx is an error, unless the handler says it was meant (a page waiting for setup).
    meant = getattr(handler, "expected_unavailable", False)
    level = logging.INFO if status < 500 or meant else logging.ERROR
    access_log.log(
        level,
        "%d %s %s %s %.1fms",
        status,
        request.method,
        request.path,
        request.remote_ip,
        1000.0 * request.request_time(),
    )


class ChatApplication(tornado.web.Application):
    """The chatroom's Application, with the hub its chat sockets share (the server closes them through it)."""

    def __init__(
        self,
        hub: Hub[ChatSocketHandler],
        guest_access: GuestAccess,
        unread: UnreadDesk,
        pusher: Pusher,
        scheduled_sender: ScheduledSender,
        reminder_sender: ReminderSender,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The page's scripts and styles go gzipped to browsers that take it (static_files.py).
        self.add_transform(StaticCompression)
        self.hub = hub
        # Read marks wait in it for a moment: the server stores them before it stops.
        self.unread = unread
        # Web Push for the messages this process stores; the server closes it before the backend.
        self.pusher = pusher
        # Whether guests are let in: the server reads the stored setting into it before serving.
        self.guest_access = guest_access
        # Sends the scheduled messages when due: the server starts it once serving, stops it first.
        self.scheduled_sender = scheduled_sender
        # Makes reminders due at their time, likewise.
        self.reminder_sender = reminder_sender


def make_app(settings: Settings, backend: Backend) -> ChatApplication:
    """The chatroom Application for ``settings``, storing through ``backend``."""
    # The hub fills the card's class-level registry of members per room.
    hub = Hub(settings, backend, members=ChatSocketHandler.clients)
    authenticator = Authenticator(settings, backend.accounts)
    guest_access = GuestAccess(settings.guests)
    access = Access(settings, backend.accounts, guest_access)
    setup = SetupState(backend.accounts)
    shared = {"config": settings, "backend": backend, "authenticator": authenticator, "access": access}
    # Every JSON handler shares one SetupState: once an administrator exists, it asks no more.
    api = {**shared, "setup": setup}
    accounts = {**api, "passwords": Passwords(), "sign_ins": SignInLimit(backend)}
    # The Application's static settings, which the pages' import map follows too.
    static = {
        "static_path": str(asset_dir("static")),
        "static_url_prefix": "/static/",
        "static_handler_class": StaticHandler,
    }
    pages = {
        "config": settings,
        "authenticator": authenticator,
        "setup": setup,
        "guests": guest_access,
        "import_map": build_import_map(static),
    }
    unread = UnreadDesk(backend, hub.sessions)
    unread.start(hub.spawn)
    manage = {
        **api,
        "creations": Allowance(backend, "new-rooms", settings.new_rooms_per_minute),
        "unread": unread,
    }
    peers = PeerDesk(backend)
    peers.start(hub.spawn)
    threads = ThreadDesk(backend, access, hub.sessions)
    threads.start(hub.spawn)
    NoticeDesk(backend, access, hub.sessions, unread, peers, threads).start(hub.spawn)
    following = {**api, "threads": threads}
    pusher = Pusher(settings, backend)
    push = {**api, "pusher": pusher}
    statuses = {**api, "changes": Allowance(backend, "status-changes", CHANGES_PER_MINUTE)}
    forwards = {**api, "forwards": Allowance(backend, "forwards", FORWARDS_PER_MINUTE)}
    bot_writes = {**api, "bot_writes": Allowance(backend, "bot-writes", settings.bot_messages_per_minute)}
    webhooks = Webhooks(settings, backend.accounts)
    if settings.link_previews:
        LinkPreviews(settings, backend, hub.spawn).start()
    sending = ScheduledSending(backend, access)
    scheduled = {**api, "sending": sending}
    reminding = ReminderSending(backend, access, pusher)
    reminders = {**api, "reminding": reminding}
    uploads = Uploads(settings, backend.files, Allowance(backend, "uploads", settings.uploads_per_minute))
    upload = {**api, "uploads": uploads}
    emoji = {
        **api,
        "standard": shortcodes_in((asset_dir("static") / "js" / "emoji_shortcodes.js").read_text("utf-8")),
        "adds": Allowance(backend, "emoji-adds", ADDS_PER_MINUTE),
    }
    socket = {
        "config": settings,
        "backend": backend,
        "admission": Admission(backend, authenticator, access, setup),
        "webhooks": webhooks,
        "hub": hub,
        "connections": ConnectionCounter(),
        "new_rooms": Allowance(backend, "new-rooms-by-address", settings.new_rooms_per_minute),
        "joins": JoinLimit(settings.join_rate, settings.join_burst),
        "unread": unread,
        "peers": peers,
        "pings": PingSweep(settings.ping_interval, settings.ping_timeout),
    }
    return ChatApplication(
        hub,
        guest_access,
        unread,
        pusher,
        ScheduledSender(sending),
        ReminderSender(reminding),
        [
            (r"/", IndexHandler, pages),
            (r"/signin", SignInPageHandler, pages),
            (r"/setup", SetupPageHandler, pages),
            (r"/join", JoinPageHandler, pages),
            (r"/reset", ResetPageHandler, pages),
            (r"/ws", ChatSocketHandler, socket),
            # The service worker's scope is the directory it is served from: the whole site.
            (r"/(sw\.js)", StaticHandler, {"path": str(asset_dir("static"))}),
            (r"/healthz", HealthHandler, {**api, "hub": hub}),
            (r"/metrics", MetricsHandler, {"refresh": uploads.count_stored}),
            (r"/api/rooms", CreateRoomsHandler, manage),
            (r"/api/rooms/([^/]+)", RoomHandler, manage),
            (r"/api/rooms/([^/]+)/messages", MessagesHandler, bot_writes),
            (r"/api/rooms/([^/]+)/messages/([^/]+)", BotMessageHandler, bot_writes),
            (r"/api/rooms/([^/]+)/messages/([^/]+)/reactions/([^/]+)", BotReactionHandler, bot_writes),
            (r"/api/rooms/([^/]+)/messages/([^/]+)/pin", BotPinHandler, bot_writes),
            (r"/api/rooms/([^/]+)/messages/([^/]+)/votes/([^/]+)", BotVoteHandler, bot_writes),
            (r"/api/rooms/([^/]+)/messages/([^/]+)/close", BotPollCloseHandler, bot_writes),
            (r"/api/rooms/([^/]+)/messages/([^/]+)/previews", BotPreviewsHandler, bot_writes),
            (r"/api/rooms/([^/]+)/pins", PinsHandler, api),
            (r"/api/rooms/([^/]+)/forwards", ForwardHandler, forwards),
            (r"/api/rooms/([^/]+)/forwards/([^/]+)", ForwardedHandler, api),
            (r"/api/search", SearchHandler, api),
            (r"/api/rooms/([^/]+)/files", RoomFilesHandler, {**upload, "webhooks": webhooks}),
            (r"/files/([^/]+)/([^/]+)", FileHandler, api),
            (r"/api/file-links", FileLinksHandler, api),
            (r"/api/me/avatar", AvatarHandler, upload),
            (r"/avatars/([^/]+)", AvatarImageHandler, api),
            (r"/api/emoji", EmojiListHandler, emoji),
            (r"/api/emoji/([^/]+)", EmojiHandler, api),
            (r"/emoji/([^/]+)", EmojiImageHandler, api),
            (r"/previews/([^/]+)/([^/]+)/([^/]+)", PreviewImageHandler, api),
            (
                r"/api/groups",
                GroupsHandler,
                {**api, "creations": Allowance(backend, "new-groups", GROUP_CREATIONS)},
            ),
            (r"/api/groups/([^/]+)", GroupHandler, api),
            (r"/api/groups/([^/]+)/members/([^/]+)", GroupMemberHandler, api),
            (r"/api/rooms/([^/]+)/read", ReadHandler, manage),
            (r"/api/rooms/([^/]+)/unread", MarkUnreadHandler, manage),
            (r"/api/rooms/([^/]+)/notify", NotifyHandler, manage),
            (r"/api/session", SessionHandler, accounts),
            (r"/api/session/everywhere", SignOutEverywhereHandler, accounts),
            (r"/api/me/sessions", SessionsHandler, accounts),
            (r"/api/me/sessions/([^/]+)", SessionEndHandler, accounts),
            (r"/api/me", MeHandler, accounts),
            (r"/api/me/blocks", BlocksHandler, api),
            (r"/api/me/blocks/([^/]+)", BlockHandler, api),
            (r"/api/me/status", StatusHandler, statuses),
            (r"/api/me/dnd", DndHandler, statuses),
            (r"/api/me/saved", SavedHandler, api),
            (r"/api/me/saved/([^/]+)", SavedInRoomHandler, api),
            (r"/api/me/saved/([^/]+)/([^/]+)", SavedMessageHandler, api),
            (r"/api/me/read", ReadEverythingHandler, manage),
            (r"/api/me/starred", StarredHandler, manage),
            (r"/api/me/starred/([^/]+)", StarHandler, api),
            (r"/api/me/threads", ThreadsHandler, following),
            (r"/api/me/threads/([^/]+)/([^/]+)/follow", FollowHandler, following),
            (r"/api/me/threads/([^/]+)/([^/]+)/read", ThreadReadHandler, following),
            (r"/api/me/scheduled", ScheduledHandler, scheduled),
            (r"/api/me/scheduled/([^/]+)", ScheduledMessageHandler, scheduled),
            (r"/api/me/scheduled/([^/]+)/send", SendScheduledHandler, scheduled),
            (r"/api/me/reminders", RemindersHandler, reminders),
            (r"/api/me/reminders/([^/]+)", ReminderHandler, reminders),
            (r"/api/setup", SetupHandler, accounts),
            (r"/api/join", JoinHandler, accounts),
            (r"/api/reset", ResetHandler, accounts),
            (r"/api/admin/join-links", JoinLinksHandler, accounts),
            (r"/api/admin/accounts/([^/]+)/reset-link", ResetLinkHandler, accounts),
            (r"/api/rooms/([^/]+)/members", MembersHandler, manage),
            (r"/api/rooms/([^/]+)/members/([^/]+)", MemberHandler, manage),
            (r"/api/rooms/([^/]+)/bars", BarsHandler, manage),
            (r"/api/rooms/([^/]+)/bars/([^/]+)", BarHandler, manage),
            (r"/api/direct", DirectHandler, manage),
            (r"/api/accounts", AccountsHandler, api),
            (r"/api/push/key", PushKeyHandler, push),
            (r"/api/push/subscriptions", PushSubscriptionsHandler, push),
            (r"/api/push/settings", PushSettingsHandler, push),
            (r"/api/admin/accounts", AdminAccountsHandler, api),
            (r"/api/admin/accounts/([^/]+)/messages", AccountMessagesHandler, api),
            (r"/api/admin/accounts/([^/]+)/admin", AdminRoleHandler, api),
            (r"/api/admin/accounts/([^/]+)/sign-out", AccountSignOutHandler, api),
            (r"/api/admin/accounts/([^/]+)/([^/]+)", AccountStateHandler, api),
            (r"/api/admin/guests/removals", GuestRemovalsHandler, api),
            (r"/api/admin/settings", SettingsHandler, api),
            (r"/api/admin/rooms", AdminRoomsHandler, api),
            (r"/api/admin/moderation", ModerationHistoryHandler, api),
            (r"/api/admin/bots", BotsHandler, api),
            (r"/api/admin/bots/([^/]+)/keys", BotKeysHandler, api),
            (r"/api/admin/bots/([^/]+)/keys/([^/]+)", BotKeyHandler, api),
            (r"/api/admin/bots/([^/]+)/webhook", BotWebhookHandler, api),
            (r"/api/admin/bots/([^/]+)/rooms/([^/]+)", BotRoomHandler, api),
        ],
        template_path=str(asset_dir("templates")),
        **static,
        default_handler_class=NotFoundHandler,
        default_handler_args=api,
        log_function=log_request,
        websocket_max_message_size=settings.max_frame_bytes,
        # No websocket_ping_interval: Tornado would keep a task per connection; pings.PingSweep pings all.
        # Pages set the _xsrf cookie; JsonHandler.check_xsrf decides which requests must echo it.
        xsrf_cookies=True,
        xsrf_cookie_kwargs={"samesite": "Strict"},
    )

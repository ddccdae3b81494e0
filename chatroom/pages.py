"""The pages: the chat page, signing in, setup, joining with a join link, choosing a new password.

Server-rendered Tornado templates (templates/) whose forms small ES modules
(static/js/forms.js) send to the JSON API. The one inline script is the
import map (chatroom/import_map.py), which the CSP allows by its hash;
every other script comes from this server. Every page sets the ``_xsrf`` cookie
and carries its token, which the scripts echo on every request that changes
something (docs/security.md, "Cross-site requests").
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import tornado.web

from .config import Settings
from .guest_access import GuestAccess
from .identity import SESSION_COOKIE, Authenticator, Identity
from .import_map import ImportMap
from .links import SetupState, usable_link
from .store.base import StoreError
from .store.records import JOIN, RESET, SETUP, Link


def content_security_policy(*inline_scripts: str) -> str:
    """The pages' policy; ``inline_scripts``: hash sources of the only inline scripts a page may run."""
    scripts = " ".join(("'self'", *inline_scripts))
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data: blob:;"
        " connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


# What a response that is no rendered page (a redirect, an error) carries: no inline script at all.
CONTENT_SECURITY_POLICY = content_security_policy()
SETUP_NEEDED = (
    "This server has no administrator yet",
    "Whoever runs it finds a setup link in the server's log (a line that says"
    " “open http://…/setup?token=…”): opening it creates the first administrator.",
)
ACCOUNT_DEACTIVATED = (
    "Your account has been deactivated",
    "An administrator deactivated it. Ask one to reactivate it; this link works again until it expires.",
)
STORE_DOWN = ("The chat is unavailable", "The server cannot reach its database right now. Try again soon.")


class PageHandler(tornado.web.RequestHandler):
    """Base of the pages: security headers, who is signed in (by the session cookie), notices."""

    expected_unavailable = False  # a 503 meant as an answer (app.log_request)

    def initialize(
        self,
        config: Settings,
        authenticator: Authenticator,
        setup: SetupState,
        guests: GuestAccess,
        import_map: ImportMap,
    ) -> None:
        self.config = config
        self.authenticator = authenticator
        self.setup = setup
        self.guests = guests
        self.import_map = import_map

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")

    def render(self, template_name: str, **kwargs: Any) -> Any:
        self.xsrf_token  # noqa: B018 - reading it sets the _xsrf cookie the scripts echo
        # Every page carries the import map before its first module; only a page allows it.
        self.set_header("Content-Security-Policy", content_security_policy(self.import_map.script_source))
        return super().render(template_name, import_map=self.import_map.script, **kwargs)

    async def signed_in(self) -> Identity | None:
        """The account this browser's session cookie belongs to, if it still holds."""
        cookie = self.get_cookie(SESSION_COOKIE)
        if not cookie:
            return None
        return await self.authenticator.identify(None, None, cookie)

    async def setup_needed(self) -> bool:
        """Whether the server waits for its first administrator (never under --jwt-secret)."""
        return self.config.jwt_secret is None and not await self.setup.done()

    def notice(self, status: int, title: str, text: str, action: tuple[str, str] | None = None) -> None:
        """A page that only says something (a link that does not work, setup needed)."""
        self.set_status(status)
        self.render("notice.html", title=title, text=text, action=action)

    def awaiting_setup(self) -> None:
        """The 503 page before setup: the server working as designed, so logged as an answer, not an error."""
        self.expected_unavailable = True
        self.notice(503, *SETUP_NEEDED)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, StoreError):
            self.clear()
            self.set_default_headers()
            self.notice(503, *STORE_DOWN)
            return
        super().write_error(status_code, **kwargs)

    def _handle_request_exception(self, error: BaseException) -> None:
        if isinstance(error, StoreError):
            # The database is away: a page that says so, not a 500 with a traceback in the log.
            self.send_error(503, exc_info=(type(error), error, error.__traceback__))
            return
        super()._handle_request_exception(error)


def local_path(target: str | None) -> str:
    """Where to go after signing in: a path on this server, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


class IndexHandler(PageHandler):
    """The chat page for ``?room=`` (default ``lobby``).

    Without guests (--guests, or an administrator's setting) and
    --jwt-secret it is for accounts: nobody signed in
    goes to /signin, and before setup the page says where the setup link is.
    """

    async def get(self) -> None:
        guests, tokens = self.guests.allowed, self.config.jwt_secret is not None
        if not guests and await self.setup_needed():
            return self.awaiting_setup()
        who = await self.signed_in()
        if who is None and not guests and not tokens:
            return self.redirect("/signin?" + urllib.parse.urlencode({"next": self.request.uri or "/"}))
        room = self.get_argument("room", "lobby")
        offer_sign_in = who is None and not tokens and await self.setup.done()
        self.render(
            "index.html",
            room=room,
            jwt_required=tokens and who is None,
            who=who,
            offer_sign_in=offer_sign_in,
            max_upload_bytes=self.config.max_upload_bytes,
        )


class SignInPageHandler(PageHandler):
    """``/signin?next=PATH``: name and password; already signed in, straight on to ``next``."""

    async def get(self) -> None:
        target = local_path(self.get_argument("next", None))
        if await self.setup_needed():
            return self.awaiting_setup()
        if await self.signed_in() is not None:
            return self.redirect(target)
        self.render("signin.html", next=target, guests=self.guests.allowed)


class LinkPageHandler(PageHandler):
    """Base of the pages opened from a link: the token must name a usable link, else 403."""

    kind = ""
    refused = ("", "")

    async def get(self) -> None:
        token = self.get_argument("token", "")
        accounts = self.authenticator.accounts
        if self.kind != SETUP and await self.setup_needed():
            return self.awaiting_setup()
        setup_done = self.kind == SETUP and await self.setup.done()
        link = None if setup_done else await usable_link(accounts, self.kind, token)
        shown = None if link is None else await self.link_arguments(link)
        if shown is None:
            return self.notice(403, *self.refused, action=("Sign in", "/signin"))
        self.render(f"{self.kind}.html", token=token, **shown)

    async def link_arguments(self, link: Link) -> dict[str, Any] | None:
        """What the page shows of the link beyond its token; None: the link does not work after all."""
        return {}


class SetupPageHandler(LinkPageHandler):
    """``/setup?token=``: the first administrator's name and password."""

    kind = SETUP
    refused = (
        "This setup link does not work",
        "It was used already, or the server was restarted and printed a newer one in its log."
        " If an administrator exists, sign in instead.",
    )


class JoinPageHandler(LinkPageHandler):
    """``/join?token=``: a new account with the join link an administrator shared."""

    kind = JOIN
    refused = (
        "This join link does not work",
        "An administrator revoked it or made a new one. Ask them for the current link.",
    )


class ResetPageHandler(LinkPageHandler):
    """``/reset?token=``: a password, from the link an administrator made.

    The page names the account. An account that never had a password (an
    administrator just made it) is welcomed and chooses its first one; the
    others choose a new one.
    """

    kind = RESET
    refused = (
        "This password link does not work",
        "It was used already, it expired (a link works for a day), or a newer one was made."
        " Ask an administrator for a new one.",
    )

    async def link_arguments(self, link: Link) -> dict[str, Any] | None:
        account_id = link.account_id
        account = None if account_id is None else await self.authenticator.accounts.account_by_id(account_id)
        if account is None or account.is_bot:
            return None
        if not account.active:
            # Told to whoever holds the link, as signing in tells whoever gives the right password.
            self.refused = ACCOUNT_DEACTIVATED
            return None
        return {"name": account.name, "first": account.password_hash is None and not account.external}

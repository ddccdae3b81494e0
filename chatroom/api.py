"""The JSON API's base handler (who asks, JSON errors) and the operational endpoints: health, metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

import orjson
import tornado.web

from . import auth, metrics, protocol
from .access import Access
from .allowances import Allowance
from .backend import Backend, BackendError
from .config import Settings
from .hub import Hub
from .identity import SESSION, SESSION_COOKIE, Authenticator, Identity, IdentityError
from .links import SetupState
from .protocol import ProtocolError, api_error_body
from .store.base import StoreError
from .store.records import PERSON

T = TypeVar("T")
# For a handler whose every method answers without a token (JsonHandler.public_methods).
ALL_METHODS = frozenset(tornado.web.RequestHandler.SUPPORTED_METHODS)


class ApiError(tornado.web.HTTPError):
    """An API refusal with its error code, answered as JSON (with ``headers``, if any)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, reason=None)
        self.code = code
        self.message = message
        self.headers = headers or {}


async def spend_allowance(allowance: Allowance, key: str, too_fast: str) -> None:
    """Spend one of ``key``'s ``allowance``; 429 ``rate_limited`` with Retry-After when it has none left:
    ``too_fast`` says what was done too fast, "try again in N s" follows."""
    wait = await allowance.spend(key)
    if wait:
        seconds = max(1, round(wait))
        message = f"{too_fast}: try again in {seconds} s"
        raise ApiError(429, protocol.RATE_LIMITED, message, {"Retry-After": str(seconds)})


def one_page(rows: list[T], limit: int) -> tuple[list[T], bool]:
    """Rows read with one more than the page holds: the page, and whether another follows it."""
    return rows[:limit], len(rows) > limit


def room_not_found() -> ApiError:
    """The answer for a room one may not see: the same as for one that does not exist.

    It does not repeat the room's name, so an outsider's answer holds no
    byte of a closed room's name even when they guessed it.
    """
    return ApiError(404, protocol.NOT_FOUND, "there is no such room, or you may not see it")


class JsonHandler(tornado.web.RequestHandler):
    """Base of the API handlers: JSON bodies, JSON errors, never a traceback.

    prepare() finds who is asking (identity.Authenticator: a session cookie,
    a JWT or a bot key) before any handler method runs, into ``self.who``,
    and answers 401 when nobody is signed in, unless guests are let in: a
    guest is ``None`` and reads what access.py lets guests read. Until the
    server has an administrator (links.SetupState) it answers 503
    ``setup_required`` to all but guests; under --jwt-secret a token makes
    its account, and no setup is asked. A handler that answers anyone lists
    those methods in ``public_methods``; one that overrides prepare()
    awaits this one first.

    Cross-site requests: Tornado checks ``_xsrf`` before prepare(), when it
    cannot know who asks yet, so that check is moved here (check_xsrf): a
    state-changing request that a session cookie authenticates must echo
    the ``_xsrf`` cookie in an ``X-XSRFToken`` header (or an ``_xsrf`` form
    field), and so must every request to a handler with ``sign_in_form``
    (signing in, setup, joining, reset: a forged sign-in is an attack too).
    A request with ``Authorization: Bearer`` carries its own credentials,
    which a foreign site cannot make a browser send: it needs none.
    """

    # Methods answered without finding who asks: none, unless a handler says so.
    public_methods: ClassVar[frozenset[str]] = frozenset()
    # Whether requests that change something need the _xsrf token even from nobody signed in.
    sign_in_form: ClassVar[bool] = False
    # Whether a JWT may come as a ``token`` query argument (file addresses take signed links instead).
    query_token_taken: ClassVar[bool] = True

    def initialize(
        self,
        config: Settings,
        backend: Backend,
        authenticator: Authenticator,
        access: Access,
        setup: SetupState | None = None,
    ) -> None:
        self.config = config
        self.backend = backend
        self.authenticator = authenticator
        self.access = access
        self.setup = setup or SetupState(backend.accounts)
        self.who: Identity | None = None

    def check_xsrf_cookie(self) -> None:
        """Nothing yet: prepare() checks once it knows how the request authenticates (check_xsrf)."""

    def check_xsrf(self) -> None:
        """403 ``xsrf`` when a state-changing request lacks the page's _xsrf token (see the class)."""
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return
        if auth.bearer_credentials(self.request.headers.get("Authorization")) is not None:
            return
        try:
            super().check_xsrf_cookie()
        except tornado.web.HTTPError:
            raise ApiError(
                403,
                protocol.XSRF,
                "the request lacks the page's _xsrf token: send the _xsrf cookie's value"
                " in an X-XSRFToken header",
            ) from None

    async def setup_required(self) -> bool:
        """Whether the server still waits for its first administrator."""
        if self.config.jwt_secret is not None:
            return False
        return not await self.unavailable_if_failing(self.setup.done())

    async def prepare(self) -> None:
        if self.request.method in self.public_methods:
            if self.sign_in_form:
                self.check_xsrf()
            return
        self.who = await self.identify()
        if self.who is not None and self.who.via == SESSION:
            self.check_xsrf()
        if (self.who is not None or not self.access.guests) and await self.setup_required():
            raise ApiError(
                503,
                protocol.SETUP_REQUIRED,
                "this server has no administrator yet: open the setup link in the server's log",
            )
        if self.who is None and not self.access.guests:
            raise ApiError(
                401,
                protocol.UNAUTHORIZED,
                "sign in first: a session cookie, or 'Authorization: Bearer <token or bot key>'",
                {"WWW-Authenticate": 'Bearer realm="chatroom"'},
            )

    async def identify(self) -> Identity | None:
        """Who the request's credentials prove; 401 when credentials were sent and do not hold.

        A JWT may also come as a ``token`` query argument, as on /ws, unless
        the handler takes none (``query_token_taken``).
        """
        values = self.request.query_arguments.get("token") if self.query_token_taken else None
        query_token = values[-1].decode("utf-8", errors="replace") if values else None
        try:
            return await self.unavailable_if_failing(
                self.authenticator.identify(
                    self.request.headers.get("Authorization"),
                    query_token,
                    self.get_cookie(SESSION_COOKIE),
                )
            )
        except IdentityError as error:
            raise ApiError(
                401, protocol.UNAUTHORIZED, str(error), {"WWW-Authenticate": 'Bearer realm="chatroom"'}
            ) from None

    def person_asking(self, bots: str, guests: str = "") -> Identity:
        """Who asks, when a person: 401 for nobody or a guest ("sign in first", then ``guests``'s words),
        403 for a bot (``bots``: why not)."""
        if self.who is None:
            raise ApiError(
                401, protocol.UNAUTHORIZED, f"sign in first: {guests}" if guests else "sign in first"
            )
        if self.who.account.kind != PERSON:
            raise ApiError(403, protocol.FORBIDDEN, bots)
        return self.who

    def bot_asking(self, people: str) -> Identity:
        """Who asks, when a bot: 401 for nobody (a bot's key is required), 403 for a person (``people``:
        why not)."""
        if self.who is None:
            raise ApiError(
                401,
                protocol.UNAUTHORIZED,
                "a bot's key is required: 'Authorization: Bearer <key>'",
                {"WWW-Authenticate": 'Bearer realm="chatroom"'},
            )
        if not self.who.is_bot:
            raise ApiError(403, protocol.FORBIDDEN, people)
        return self.who

    @staticmethod
    async def unavailable_if_failing(call: Awaitable[T]) -> T:
        """Await a call to the store or the bus; 503 ``unavailable`` when either fails."""
        try:
            return await call
        except (BackendError, StoreError):
            raise ApiError(503, protocol.UNAVAILABLE, "the chat store is unavailable") from None

    def json_object(self) -> dict[str, Any]:
        """The request's body as a JSON object (none: an empty one), or 400 bad_json / bad_request."""
        try:
            body = orjson.loads(self.request.body or b"{}")
        except orjson.JSONDecodeError:
            raise ApiError(400, protocol.BAD_JSON, "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, protocol.BAD_REQUEST, "the body must be a JSON object")
        return body

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")

    def send_json(self, body: dict[str, Any], status: int = 200) -> None:
        """Answer with ``body`` as JSON."""
        self.set_status(status)
        self.finish(orjson.dumps(body))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, ApiError):
            code, message = error.code, error.message
            for name, value in error.headers.items():
                self.set_header(name, value)
        elif status_code == 404:
            code, message = "not_found", "no such endpoint"
        elif status_code == 405:
            code, message = "method_not_allowed", "this endpoint does not take that method"
        elif status_code == 400:
            # Tornado's own 400: it could not decode a path or query argument.
            code, message = "bad_request", "the path or a query argument is not valid UTF-8"
        elif status_code < 500:
            code, message = "bad_request", self._reason
        else:
            code, message = "internal", "the server could not answer this request"
        self.set_header("Content-Type", "application/json")
        self.finish(api_error_body(code, message))

    def room_argument(self, raw: str) -> str:
        """A room name from the URL path, or 400 bad_name.

        Tornado has percent-decoded the path argument already; decoding it
        again would make ``%2541`` name the room ``A``.
        """
        try:
            return protocol.normalize_room(raw)
        except ProtocolError as error:
            raise ApiError(400, error.code, error.message) from None

    def int_argument(self, name: str) -> int | None:
        """A non-negative integer query argument, or 400 bad_request."""
        raw = self.get_argument(name, None)
        if raw is None:
            return None
        if not (raw.isascii() and raw.isdigit() and len(raw) < 19):
            raise ApiError(400, protocol.BAD_REQUEST, f"{name} must be a non-negative integer")
        return int(raw)

    def limit_argument(self, default: int, most: int) -> int:
        """The ``limit`` query argument: ``default`` when absent, ``most`` at most; 400 below 1.

        Every paged endpoint answers alike: a client asking for none is told, not given one.
        """
        limit = self.int_argument("limit")
        if limit is None:
            return default
        if limit < 1:
            raise ApiError(400, protocol.BAD_REQUEST, "limit must be at least 1")
        return min(limit, most)


class NotFoundHandler(JsonHandler):
    """Answers every unknown path with a JSON 404 (which says nothing a token guards)."""

    public_methods = ALL_METHODS

    async def prepare(self) -> None:
        raise ApiError(404, "not_found", "no such page or endpoint")


class HealthHandler(JsonHandler):
    """``GET /healthz``: 200 when the store (and broker) answer, else 503.

    Public: load balancers and supervisors hold no token.
    """

    public_methods = ALL_METHODS

    def initialize(
        self,
        config: Settings,
        backend: Backend,
        authenticator: Authenticator,
        access: Access,
        setup: SetupState | None = None,
        hub: Hub[Any] | None = None,
    ) -> None:
        super().initialize(config, backend, authenticator, access, setup)
        # The chat sockets' hub, which counts the connections open.
        self.hub = hub

    async def get(self) -> None:
        healthy = await self.backend.healthy()
        body = {
            "status": "ok" if healthy else "degraded",
            "store": getattr(self.backend, "store_kind", "unknown"),
            "bus": getattr(self.backend, "bus_kind", "unknown"),
            "connections": self.hub.connections if self.hub is not None else 0,
        }
        self.send_json(body, 200 if healthy else 503)


class MetricsHandler(tornado.web.RequestHandler):
    """``GET /metrics`` in Prometheus text format; ``refresh`` first updates what is counted in the store."""

    def initialize(self, refresh: Callable[[], Awaitable[None]] | None = None) -> None:
        self.refresh = refresh

    async def get(self) -> None:
        if self.refresh is not None:
            await self.refresh()
        body, content_type = metrics.render()
        self.set_header("Content-Type", content_type)
        self.finish(body)

"""The JSON API and the operational endpoints: health, metrics, rooms, history, publish."""

from __future__ import annotations

import urllib.parse
from typing import Any, ClassVar

import orjson
import tornado.web

from . import auth, metrics, protocol
from .backend import Backend, BackendError
from .config import Settings
from .hub import Hub
from .protocol import ProtocolError, api_error_body

MAX_API_LIMIT = 500
DEFAULT_ROOMS_LIMIT = 50
MAX_ROOMS_LIMIT = 200
# For a handler whose every method answers without a token (JsonHandler.public_methods).
ALL_METHODS = frozenset(tornado.web.RequestHandler.SUPPORTED_METHODS)


class ApiError(tornado.web.HTTPError):
    """An API refusal with its error code, answered as JSON (with ``headers``, if any)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, reason=None)
        self.code = code
        self.message = message
        self.headers = headers or {}


class JsonHandler(tornado.web.RequestHandler):
    """Base of the API handlers: JSON bodies, JSON errors, never a traceback.

    When the server requires tokens (--jwt-secret), every request must carry
    a valid one, checked by prepare() before any handler method runs: a new
    handler is guarded without doing anything. A handler that answers anyone
    lists those methods in ``public_methods``; one that overrides prepare()
    calls this one first.
    """

    # Methods answered without a token under --jwt-secret: none, unless a handler says so.
    public_methods: ClassVar[frozenset[str]] = frozenset()

    def initialize(self, config: Settings, backend: Backend) -> None:
        self.config = config
        self.backend = backend

    def prepare(self) -> None:
        if self.request.method not in self.public_methods:
            self.require_token()

    def require_token(self) -> None:
        """Answer 401 unless tokens are off or the request carries a valid one.

        The socket's check (auth.verify_token): ``Authorization: Bearer
        <token>``, or, as on /ws, a ``token`` query argument.
        """
        secret = self.config.jwt_secret
        if secret is None:
            return
        token = auth.bearer_credentials(self.request.headers.get("Authorization"))
        if token is None:
            values = self.request.query_arguments.get("token")
            token = values[-1].decode("utf-8", errors="replace") if values else ""
        try:
            if not token:
                raise auth.AuthError("none was sent")
            auth.verify_token(token, secret)
        except auth.AuthError as error:
            raise ApiError(
                401,
                protocol.UNAUTHORIZED,
                f"a valid token is required ('Authorization: Bearer <token>'): {error}",
                {"WWW-Authenticate": 'Bearer realm="chatroom"'},
            ) from None

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


class NotFoundHandler(JsonHandler):
    """Answers every unknown path with a JSON 404 (which says nothing a token guards)."""

    public_methods = ALL_METHODS

    def prepare(self) -> None:
        raise ApiError(404, "not_found", "no such page or endpoint")


class HealthHandler(JsonHandler):
    """``GET /healthz``: 200 when the store (and broker) answer, else 503.

    Public: load balancers and supervisors hold no token.
    """

    public_methods = ALL_METHODS

    def initialize(self, config: Settings, backend: Backend, hub: Hub[Any] | None = None) -> None:
        super().initialize(config, backend)
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
    """``GET /metrics`` in Prometheus text format."""

    def get(self) -> None:
        body, content_type = metrics.render()
        self.set_header("Content-Type", content_type)
        self.finish(body)


class RoomsHandler(JsonHandler):
    """``GET /api/rooms?prefix=&after=&limit=``: a page of the rooms, by name.

    Rooms with anyone online or any history, in code point order of their
    names; ``next`` is the URL of the following page, null on the last one.
    """

    async def get(self) -> None:
        prefix = self.name_argument("prefix")
        after = self.name_argument("after")
        limit = self.int_argument("limit")
        limit = DEFAULT_ROOMS_LIMIT if limit is None else min(limit, MAX_ROOMS_LIMIT)
        if limit < 1:
            raise ApiError(400, protocol.BAD_REQUEST, "limit must be at least 1")
        try:
            # One more than asked says whether another page follows.
            rooms = await self.backend.rooms(prefix=prefix, after=after, limit=limit + 1)
        except BackendError:
            raise ApiError(503, protocol.UNAVAILABLE, "the chat store is unavailable") from None
        page = rooms[:limit]
        body = [{"room": r.room, "online": r.online, "last_id": r.last_id} for r in page]
        more = len(rooms) > limit
        self.send_json(
            {"rooms": body, "next": self._next_url(prefix, page[-1].room, limit) if more else None}
        )

    def name_argument(self, name: str) -> str:
        """A room name (or the start of one) from the query, "" when absent; else 400 bad_request."""
        # Judged on what was sent: get_argument turns control characters into spaces.
        values = self.request.query_arguments.get(name)
        raw = values[-1].decode("utf-8", errors="replace") if values else ""
        if not raw:
            return ""
        try:
            return protocol.normalize_room(raw)
        except ProtocolError as error:
            raise ApiError(400, protocol.BAD_REQUEST, f"{name}: {error.message}") from None

    @staticmethod
    def _next_url(prefix: str, last: str, limit: int) -> str:
        query = {"after": last, "limit": str(limit)}
        if prefix:
            query = {"prefix": prefix, **query}
        return "/api/rooms?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)


class MessagesHandler(JsonHandler):
    """``GET`` a room's history page (a reader's token under --jwt-secret); ``POST`` a message as a bot."""

    # POST checks the API key itself: a bot holds a key, not a member's token.
    public_methods = frozenset({"POST"})

    async def get(self, raw_room: str) -> None:
        room = self.room_argument(raw_room)
        after, before = self.int_argument("after"), self.int_argument("before")
        limit = self.int_argument("limit")
        limit = 50 if limit is None else min(limit, MAX_API_LIMIT)
        if limit < 1:
            raise ApiError(400, protocol.BAD_REQUEST, "limit must be at least 1")
        # With only "after", page forwards from it; otherwise show the newest.
        newest = after is None or before is not None
        try:
            messages = await self.backend.history(
                room, after=after, before=before, limit=limit, newest=newest
            )
        except BackendError:
            raise ApiError(503, protocol.UNAVAILABLE, "the chat store is unavailable") from None
        self.send_json({"room": room, "messages": [protocol.frame_of(m) for m in messages]})

    async def post(self, raw_room: str) -> None:
        if self.config.api_key is None:
            raise ApiError(403, "forbidden", "publishing is off: start the server with --api-key")
        if not auth.bearer_matches(self.request.headers.get("Authorization"), self.config.api_key):
            raise ApiError(
                401, protocol.UNAUTHORIZED, "a valid 'Authorization: Bearer <api key>' is required"
            )
        room = self.room_argument(raw_room)
        nick, text, ref = self._read_post_body()
        await self._claim_room(room)
        await self._refuse_member_nick(room, nick)
        metrics.MESSAGES_RECEIVED.inc()
        try:
            # A retry after a lost response, with the same ref, is stored once.
            stored = await self.backend.publish(room, nick, text, ref=ref, bot=True)
        except BackendError:
            raise ApiError(503, protocol.UNAVAILABLE, "the message could not be stored; try again") from None
        metrics.MESSAGES_STORED.inc()
        self.send_json(protocol.frame_of(stored), 201)

    async def _claim_room(self, room: str) -> None:
        try:
            holder = await self.backend.claim_room(room)
        except BackendError:
            raise ApiError(503, protocol.UNAVAILABLE, "the chat store is unavailable") from None
        if holder is not None:
            raise ApiError(400, protocol.BAD_NAME, protocol.look_alike_room_message(room, holder))

    async def _refuse_member_nick(self, room: str, nick: str) -> None:
        """409 nick_in_use when a member of the room holds the nick: a bot may not pass for them."""
        try:
            online = await self.backend.is_online(room, nick)
        except BackendError:
            raise ApiError(503, protocol.UNAVAILABLE, "the chat store is unavailable") from None
        if online:
            raise ApiError(
                409,
                protocol.NICK_IN_USE,
                f"the nick {nick!r} belongs to a member of {room!r} right now: post under another nick",
            )

    def _read_post_body(self) -> tuple[str, str, str | None]:
        try:
            body = orjson.loads(self.request.body)
        except orjson.JSONDecodeError:
            raise ApiError(400, protocol.BAD_JSON, "the body is not valid JSON") from None
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("nick"), str)
            or not isinstance(body.get("message"), str)
        ):
            raise ApiError(400, protocol.BAD_REQUEST, 'the body must be {"nick": string, "message": string}')
        try:
            nick = protocol.normalize_nick(body["nick"])
            text = protocol.clean_text(body["message"], self.config.max_message_length)
        except ProtocolError as error:
            raise ApiError(400, error.code, error.message) from None
        return nick, text, self._post_ref(body)

    @staticmethod
    def _post_ref(body: dict[str, Any]) -> str | None:
        """The body's optional "ref", as a message frame's."""
        ref = body.get("ref")
        if ref is not None and (not isinstance(ref, str) or len(ref) > protocol.MAX_REF_LENGTH):
            raise ApiError(
                400,
                protocol.BAD_REQUEST,
                f'"ref" must be a string of at most {protocol.MAX_REF_LENGTH} characters',
            )
        return ref

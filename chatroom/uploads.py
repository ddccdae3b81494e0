"""Taking a file as a request's body: streamed to a spool file, limited, and never left behind.

UploadHandler is the base of the handlers that take one (api_files.py: a
room's files, one's avatar). The body is the file's raw bytes (not a form),
so the page can show the upload's progress; it is written to a file of the
store's spool directory as it arrives and never held whole in memory. Before
a byte is kept, the handler knows who asks and where to (401, 403, 404),
turns away a ``Content-Length`` over --max-upload-bytes (413), an account that
uploads too fast (429, per process, like every rate of this server) and an
upload that would pass --files-quota-bytes (507: checked before the body
comes, then reserved in the store once it has, atomically with every upload
of every process and node, until the file is stored). A body without a length is
counted as it comes, and answered 413 the moment it passes the limit. The
spool file is removed whatever happens: refused, failed, interrupted (the
client goes away), or once the store has its copy. A file left by a crash is
the store's sweep's (files_base.FileStore.sweep).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import unicodedata
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

import tornado.http1connection
import tornado.web

from . import metrics, protocol
from .access import Access
from .allowances import Allowance
from .api import ApiError, JsonHandler, spend_allowance
from .backend import Backend
from .config import Settings
from .identity import Authenticator, Identity
from .links import SetupState
from .store.base import StoreError
from .store.files_base import FileStore

log = logging.getLogger("chatroom.uploads")

TOO_LARGE = "too_large"
QUOTA_EXCEEDED = "quota_exceeded"
REFUSED_IMAGE = "refused_image"
MAX_FILE_NAME = 200
# An upload may take a minute, and then as long as the largest file takes at
# 32 KiB/s (25 MiB: about 15 minutes): the server's 60 s for a JSON body would
# cut off a phone on a slow network.
BODY_GRACE_SECONDS = 60.0
SLOWEST_UPLOAD_BYTES_PER_SECOND = 32 * 1024
# Above any --max-upload-bytes: the handler counts the body and answers 413
# itself, where the connection's own limit would answer a bare 400.
CONNECTION_BODY_LIMIT = 2**62
# Preparing a 40-megapixel photo holds about 300 MB while Pillow decodes it:
# two at once per process bounds that, where the default thread pool's width
# (cores + 4) would not. Others wait their turn, their bodies already spooled.
PREPARATIONS_AT_ONCE = 2

Result = TypeVar("Result")


def clean_file_name(raw: str) -> str:
    """The uploader's name for a file as it is kept: no folders, no control or format characters, trimmed.

    Format characters go too: a right-to-left override would show
    ``gpj.exe`` as ``exe.jpg``. Raises ValueError when nothing is left.
    """
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in base if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    name = kept.strip()[:MAX_FILE_NAME].strip()
    if not name or name in (".", ".."):
        raise ValueError("the file needs a name: ?name=photo.jpg")
    return name


def too_large(limit: int) -> ApiError:
    """413 ``too_large``: the file passes --max-upload-bytes."""
    return ApiError(413, TOO_LARGE, f"a file may have at most {limit} bytes")


class Uploads:
    """What every upload handler shares: the store's files, the per-account rate, the quota, the gauge."""

    def __init__(self, settings: Settings, files: FileStore, rate: Allowance) -> None:
        self.settings = settings
        self.files = files
        self.rate = rate
        self.preparing = asyncio.Semaphore(PREPARATIONS_AT_ONCE)

    async def prepare(self, work: Callable[[], Result]) -> Result:
        """Run ``work`` (a preparation) on a worker thread, at most PREPARATIONS_AT_ONCE at a time."""
        async with self.preparing:
            return await asyncio.to_thread(work)

    async def take(self, who: Identity) -> None:
        """Count one upload of ``who``; 429 ``rate_limited`` (with Retry-After) when they upload too fast."""
        too_fast = f"at most {self.settings.uploads_per_minute} uploads a minute"
        await spend_allowance(self.rate, str(who.account_id), too_fast)

    async def check_quota(self, incoming: int) -> None:
        """507 ``quota_exceeded`` when ``incoming`` more bytes would pass --files-quota-bytes."""
        quota = self.settings.files_quota_bytes
        if quota and await self.files.total_bytes() + incoming > quota:
            raise ApiError(507, QUOTA_EXCEEDED, "the server has no room for more files")

    async def reserve(self, incoming: int) -> str | None:
        """Room for ``incoming`` bytes under --files-quota-bytes, reserved in the store for every process
        and node to count (None: there is no quota); 507 ``quota_exceeded`` when there is no room."""
        quota = self.settings.files_quota_bytes
        if not quota:
            return None
        reservation = await self.files.reserve(incoming, quota)
        if reservation is None:
            raise ApiError(507, QUOTA_EXCEEDED, "the server has no room for more files")
        return reservation

    async def release(self, reservation: str | None) -> None:
        """Give the reserved room back (a failing store leaves it to lapse, files_base.RESERVATION_MS)."""
        if reservation is None:
            return
        try:
            await self.files.release(reservation)
        except StoreError as error:
            log.warning("cannot release the room reserved for an upload (it lapses in an hour): %s", error)

    async def count_stored(self) -> None:
        """Set chatroom_file_bytes_stored from the store (a failing store leaves the last value)."""
        try:
            metrics.FILE_BYTES_STORED.set(await self.files.total_bytes())
        except StoreError as error:
            log.warning("cannot count the bytes of stored files: %s", error)


class Spool:
    """One upload's bytes as they arrive, in a file of its own in the spool directory."""

    def __init__(self, directory: Path) -> None:
        descriptor, name = tempfile.mkstemp(dir=directory, prefix="upload-")
        self.path = Path(name)
        self.size = 0
        self._file = os.fdopen(descriptor, "wb")

    def write(self, chunk: bytes) -> None:
        """Append a chunk (a write to the page cache: it does not wait for the disk)."""
        self._file.write(chunk)
        self.size += len(chunk)

    def close(self) -> None:
        """Finish writing: the file is whole."""
        self._file.close()

    def remove(self) -> None:
        """Close and unlink the file (again: nothing happens)."""
        self._file.close()
        self.path.unlink(missing_ok=True)


@tornado.web.stream_request_body
class UploadHandler(JsonHandler):
    """Base of the handlers whose body is a file (see the module).

    A subclass checks who may upload what in ``admit()`` and handles the whole
    file in its method (post or put), reading ``self.spool``; the methods
    that take no body (DELETE) take none here either. Its work files go in
    ``self.work`` and are removed with the spool.
    """

    # The methods whose body is the file.
    upload_methods: frozenset[str] = frozenset({"POST", "PUT"})

    def initialize(  # type: ignore[override]
        self,
        config: Settings,
        backend: Backend,
        authenticator: Authenticator,
        access: Access,
        uploads: Uploads,
        setup: SetupState | None = None,
    ) -> None:
        super().initialize(config, backend, authenticator, access, setup)
        self.uploads = uploads
        self.spool: Spool | None = None
        self.work: list[Path] = []
        # True while the body is arriving: a connection that closes then is an interrupted upload.
        self.receiving = False

    async def prepare(self) -> None:
        if self.request.method not in self.upload_methods:
            await super().prepare()
            return
        # First: a refusal of who asks (401) must not find the body too large for the connection.
        self._allow_large_body()
        await super().prepare()
        await self.admit()
        declared = self._declared_length()
        if declared is not None and declared > self.config.max_upload_bytes:
            raise self.refusal(too_large(self.config.max_upload_bytes))
        await self.take_turn()
        await self.check_quota(declared or 0)
        try:
            self.spool = Spool(self.uploads.files.spool_dir)
        except OSError as error:
            log.error("cannot make a spool file: %s", error)
            raise ApiError(503, protocol.UNAVAILABLE, "the server cannot take files right now") from None
        self.receiving = True

    async def admit(self) -> None:
        """Check who asks and what they upload (4xx when refused): here, that they have an account."""
        self.require_account()

    def require_account(self) -> Identity:
        """Who asks; 403 ``forbidden`` for a guest: uploads need an account."""
        if self.who is None:
            raise ApiError(403, protocol.FORBIDDEN, "guests cannot upload files: sign in first")
        return self.who

    async def take_turn(self) -> None:
        """Count the upload against its uploader's rate: 429 when they upload too fast."""
        try:
            await self.uploads.take(self.require_account())
        except ApiError as error:
            raise self.refusal(error) from None

    async def check_quota(self, incoming: int) -> None:
        """507 when ``incoming`` more bytes would pass the quota (counted in the metrics)."""
        try:
            await self.unavailable_if_failing(self.uploads.check_quota(incoming))
        except ApiError as error:
            raise self.refusal(error) from None

    @contextlib.asynccontextmanager
    async def quota_reserved(self, incoming: int) -> AsyncIterator[None]:
        """Hold room for ``incoming`` bytes under the quota while the file is stored (507 when there is
        none, counted in the metrics); released after, whatever happens."""
        try:
            reservation = await self.unavailable_if_failing(self.uploads.reserve(incoming))
        except ApiError as error:
            raise self.refusal(error) from None
        try:
            yield
        finally:
            await self.uploads.release(reservation)

    def _allow_large_body(self) -> None:
        """Raise this request's body limits, and this request's only, to an upload's."""
        connection = self.request.connection
        if isinstance(connection, tornado.http1connection.HTTP1Connection):
            connection.set_max_body_size(CONNECTION_BODY_LIMIT)
            connection.set_body_timeout(
                BODY_GRACE_SECONDS + self.config.max_upload_bytes / SLOWEST_UPLOAD_BYTES_PER_SECOND
            )

    def _declared_length(self) -> int | None:
        raw = self.request.headers.get("Content-Length")
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, protocol.BAD_REQUEST, "Content-Length is not a number") from None

    def data_received(self, chunk: bytes) -> None:
        if self.spool is None or not self.receiving:
            return
        if self.spool.size + len(chunk) > self.config.max_upload_bytes:
            self.refuse_now(self.refusal(too_large(self.config.max_upload_bytes)))
            return
        try:
            self.spool.write(chunk)
        except OSError as error:
            log.error("cannot write an upload to its spool file: %s", error)
            self.refuse_now(ApiError(503, protocol.UNAVAILABLE, "the server cannot take files right now"))

    def refuse_now(self, error: ApiError) -> None:
        """Answer ``error`` while the body still arrives; the rest of it is never read."""
        self.receiving = False
        self.drop_files()
        self.send_error(error.status_code, exc_info=(type(error), error, None))
        # The handler's method never runs: it stops waiting for the body as on a closed connection.
        self.on_connection_close()

    @staticmethod
    def refusal(error: ApiError) -> ApiError:
        """Count a refused upload by its error code; the error."""
        metrics.UPLOADS_REFUSED.labels(error.code).inc()
        return error

    def received(self) -> Spool:
        """The whole body, once it has arrived (the first call of the method that takes it); 400 if empty."""
        if self.spool is None or not self.receiving:
            # The connection closed as the body ended: the spool file is gone already.
            raise ApiError(400, protocol.BAD_REQUEST, "the upload was interrupted")
        self.receiving = False
        self.spool.close()
        if not self.spool.size:
            raise ApiError(400, protocol.BAD_REQUEST, "the file is empty: the request's body is the file")
        return self.spool

    def on_connection_close(self) -> None:
        if self.receiving:
            self.receiving = False
            self.drop_files()
        super().on_connection_close()

    def on_finish(self) -> None:
        self.drop_files()

    def drop_files(self) -> None:
        """Remove the spool file and every work file."""
        if self.spool is not None:
            self.spool.remove()
        for path in self.work:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        self.work.clear()

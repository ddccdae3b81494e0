"""Reading a linked page or picture for a link preview, within the limits of docs/security.md.

- Only to addresses a webhook may reach (webhooks.py): never a loopback,
  private, link-local, multicast or otherwise reserved address, nor one of
  this machine's own (own_addresses.py), unless the server runs with
  --preview-allow-private. Names are checked on every address they resolve
  to, when connecting (webhooks.PublicResolver), and the connection goes to
  the addresses checked; an address given as a literal IP is checked first.
- At most MAX_REDIRECTS redirects, each to an address checked the same way.
- TIMEOUT seconds for each request, connecting included.
- Only text/html (at most MAX_PAGE_BYTES read: the head is enough) and
  images (at most MAX_IMAGE_BYTES, else refused); anything else is refused
  before its body is read.
- No cookies, no credentials, a plain user agent.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from dataclasses import dataclass

import tornado.httpclient
import tornado.httputil
import tornado.netutil
import tornado.simple_httpclient

from .own_addresses import OwnAddresses
from .preview_pages import is_web_address
from .webhooks import AddressRefusedError, PublicResolver, refusal

MAX_REDIRECTS = 3
TIMEOUT = 5.0
MAX_PAGE_BYTES = 512 * 1024
MAX_IMAGE_BYTES = 5 * 1024 * 1024
USER_AGENT = "chatroom-link-preview"
PAGE = "page"
IMAGE = "image"
# Why a fetch is refused (a metric's label, and the log's word): not an address we read, or not a
# type we read, or too big.
REFUSED_ADDRESS = "address"
REFUSED_TYPE = "type"
REFUSED_SIZE = "size"


class FetchRefusedError(Exception):
    """A fetch the rules refuse: ``reason`` is REFUSED_ADDRESS, REFUSED_TYPE or REFUSED_SIZE."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class FetchFailedError(Exception):
    """A fetch that did not come back: no answer, an error status, a timeout."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """What was read: the address finally read (after redirects), its kind (PAGE or IMAGE), its type
    as the site says, and its first bytes."""

    url: str
    kind: str
    content_type: str
    body: bytes


class _Stop(tornado.httputil.HTTPInputError):
    """Raised inside the body's callback to stop reading: the page's head is read, or the answer is
    refused. Tornado closes the connection on it (and logs one line at info on ``tornado.general``)."""


def literal_refusal(url: str, own: OwnAddresses) -> str | None:
    """Why an address given as a literal IP may not be read (webhooks.refusal), None for a name or a
    public one."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    return refusal(host, own)


class Fetcher:
    """Reads pages and pictures for link previews, one HTTP client for the process."""

    def __init__(
        self,
        *,
        allow_private: bool,
        listen: str | None = None,
        timeout: float = TIMEOUT,
        resolver: tornado.netutil.Resolver | None = None,
    ) -> None:
        """``resolver``: how names are resolved (by default the system's, keeping public addresses
        unless ``allow_private``)."""
        self.allow_private = allow_private
        self.own = OwnAddresses(listen)
        self.timeout = timeout
        if resolver is None and not allow_private:
            resolver = PublicResolver(own=self.own)
        self._client = tornado.simple_httpclient.SimpleAsyncHTTPClient(
            force_instance=True, resolver=resolver, max_clients=16
        )

    async def fetch(self, url: str, *, image_only: bool = False) -> Fetched:
        """Read ``url`` (following redirects): a page's head or a whole picture (``image_only``: only a
        picture); FetchRefusedError or FetchFailedError."""
        for _ in range(MAX_REDIRECTS + 1):
            self._check(url)
            found = await self._once(url, image_only)
            if isinstance(found, Fetched):
                return found
            url = found
        raise FetchRefusedError(REFUSED_ADDRESS, f"more than {MAX_REDIRECTS} redirects")

    def _check(self, url: str) -> None:
        if not is_web_address(url):
            raise FetchRefusedError(REFUSED_ADDRESS, "not an http(s) address")
        reason = None if self.allow_private else literal_refusal(url, self.own)
        if reason is not None:
            raise FetchRefusedError(REFUSED_ADDRESS, f"a {reason} address")

    async def _once(self, url: str, image_only: bool) -> Fetched | str:
        """One request: what it read, or the address it redirects to."""
        reading = _Reading(image_only)
        request = tornado.httpclient.HTTPRequest(
            url,
            headers={"User-Agent": USER_AGENT, "Accept": "text/html, image/*;q=0.9"},
            connect_timeout=self.timeout,
            request_timeout=self.timeout,
            follow_redirects=False,
            decompress_response=True,
            header_callback=reading.header,
            streaming_callback=reading.data,
        )
        try:
            response = await self._client.fetch(request, raise_error=False)
        except AddressRefusedError as refused:
            raise FetchRefusedError(REFUSED_ADDRESS, str(refused)) from refused
        except (OSError, ValueError, tornado.httpclient.HTTPClientError) as error:
            if reading.refused is not None:
                raise reading.refused from error
            if reading.enough:
                return Fetched(url, reading.kind or PAGE, reading.content_type, bytes(reading.body))
            raise FetchFailedError(_reason(error)) from error
        if response.code in (301, 302, 303, 307, 308) and "Location" in response.headers:
            return urllib.parse.urljoin(url, response.headers["Location"])
        if not 200 <= response.code < 300:
            raise FetchFailedError(f"answered {response.code}")
        return Fetched(url, reading.kind or reading.sort(), reading.content_type, bytes(reading.body))

    def close(self) -> None:
        """Stop the client (calls under way fail)."""
        self._client.close()


class _Reading:
    """One response as it comes: its status line and type, then its body up to the kind's bound."""

    def __init__(self, image_only: bool) -> None:
        self.image_only = image_only
        self.status = 0
        self.content_type = ""
        self.kind: str | None = None
        self.body = bytearray()
        # Why the answer is refused, once it is; whether a page's bound is reached (its head is read).
        self.refused: FetchRefusedError | None = None
        self.enough = False

    def header(self, line: str) -> None:
        if line.startswith("HTTP/"):
            # A new response (an interim 1xx, or the one that counts): its headers follow.
            self.status = int(line.split()[1]) if len(line.split()) > 1 else 0
            self.content_type = ""
        elif ":" in line:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-type":
                self.content_type = value.strip()

    def data(self, chunk: bytes) -> None:
        if not 200 <= self.status < 300:
            return
        try:
            self.kind = self.kind or self.sort()
        except FetchRefusedError as refused:
            self.refused = refused
            raise _Stop("a link preview refused the answer") from refused
        bound = MAX_PAGE_BYTES if self.kind == PAGE else MAX_IMAGE_BYTES
        room = bound - len(self.body)
        self.body += chunk[:room]
        if len(chunk) > room and self.kind == IMAGE:
            self.refused = FetchRefusedError(REFUSED_SIZE, f"a picture of more than {MAX_IMAGE_BYTES} bytes")
            raise _Stop("a link preview refused a picture too large")
        if len(chunk) > room:
            self.enough = True
            raise _Stop("a link preview read the head of the page")

    def sort(self) -> str:
        """PAGE or IMAGE, as the answer's type says; FetchRefusedError for any other type."""
        media = self.content_type.split(";", 1)[0].strip().lower()
        if media.startswith("image/"):
            return IMAGE
        if media in ("text/html", "application/xhtml+xml") and not self.image_only:
            return PAGE
        raise FetchRefusedError(REFUSED_TYPE, f"a {media or 'typeless'} answer")


def _reason(error: BaseException) -> str:
    """Why a fetch failed, in words that hold no part of the address."""
    if isinstance(error, tornado.httpclient.HTTPClientError) and error.code == 599:
        return "timed out" if "Timeout" in str(error) else str(error.message)
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return type(error).__name__

"""/metrics and /healthz of a real ``python -m chatroom``: the figures move as users act.

Each test reads the metrics before and after what a user does, and checks the
difference, so tests sharing a server do not depend on one another.
"""

from __future__ import annotations

import json
import struct
import urllib.request
from collections.abc import Iterator

import pytest
import tornado.web
from prometheus_client.parser import text_string_to_metric_families
from tornado.testing import AsyncHTTPTestCase, gen_test
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection

from chatroom import metrics
from chatroom.app import make_app
from chatroom.bus.local import LocalBus
from chatroom.config import Settings
from chatroom.handlers import ChatSocketHandler
from chatroom.service import ChatService
from chatroom.store.sqlite import SQLiteStore
from tests.clients import ANY_TYPE, join, next_of, open_ws, refused_on_open
from tests.support import NO_PROXY, Bot, ServerProcess, make_bot, wait_until

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    """A bot that posts in the room ``api`` of ``server``."""
    return make_bot(tmp_path_factory.mktemp("metrics") / "chat.db", "bot", rooms=["api"])


@pytest.fixture(scope="module")
def server(bot: Bot) -> Iterator[ServerProcess]:
    """A server of its own: its counters start at zero."""
    with ServerProcess(bot.database, "--max-connections-per-ip", "50") as running:
        yield running


def scrape(server: ServerProcess) -> Samples:
    """Every sample of /metrics, by name and labels."""
    text = NO_PROXY.open(f"{server.url}/metrics", timeout=5).read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much a sample changed between two scrapes."""
    return value(after, name, **labels) - value(before, name, **labels)


def test_metrics_are_prometheus_text(server: ServerProcess) -> None:
    """/metrics answers in Prometheus text format and lists every chatroom metric."""
    with NO_PROXY.open(f"{server.url}/metrics", timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        names = {family.name for family in text_string_to_metric_families(response.read().decode())}
    expected = {
        "chatroom_connections_open",
        "chatroom_rooms_active",
        "chatroom_messages_received",
        "chatroom_messages_stored",
        "chatroom_messages_delivered",
        "chatroom_refusals",
        "chatroom_upgrades_refused",
        "chatroom_tcp_connections_open",
        "chatroom_request_head_timeouts",
        "chatroom_slow_clients_disconnected",
        "chatroom_closes",
        "chatroom_store_seconds",
        "chatroom_broadcast_seconds",
    }
    assert expected <= names


def test_connection_and_room_gauges_follow_members(server: ServerProcess) -> None:
    """Open connections and active rooms rise as members join and fall when they leave."""
    before = scrape(server)
    with join(server, "g1", "ann"), join(server, "g1", "bob"), join(server, "g2", "cy"):
        during = scrape(server)
        assert moved(before, during, "chatroom_connections_open") == 3
        assert moved(before, during, "chatroom_rooms_active") == 2
    wait_until(
        lambda: (
            value(scrape(server), "chatroom_connections_open") == value(before, "chatroom_connections_open")
        )
    )
    wait_until(
        lambda: value(scrape(server), "chatroom_rooms_active") == value(before, "chatroom_rooms_active")
    )


def test_a_message_moves_received_stored_delivered_and_timings(server: ServerProcess) -> None:
    """One message to a room of two: received 1, stored 1, delivered 2, one store and broadcast timed."""
    with join(server, "m", "ann") as ann, join(server, "m", "bob") as bob:
        next_of(ann, "sys", skip=ANY_TYPE)
        before = scrape(server)
        ann.send(json.dumps({"type": "message", "message": "hello", "ref": "r1"}))
        next_of(ann, "ack", skip=ANY_TYPE)
        next_of(bob, "user", skip=ANY_TYPE)
        after = scrape(server)
    assert moved(before, after, "chatroom_messages_received_total") == 1
    assert moved(before, after, "chatroom_messages_stored_total") == 1
    assert moved(before, after, "chatroom_messages_delivered_total") == 2
    assert moved(before, after, "chatroom_store_seconds_count") == 1
    assert moved(before, after, "chatroom_broadcast_seconds_count") >= 1


def test_refusals_are_counted_by_code(server: ServerProcess) -> None:
    """Each refused frame counts once under its error code."""
    with join(server, "r", "ann") as ann:
        before = scrape(server)
        for frame in ("   ", "{oops", '{"type": "nope"}', "{oops"):
            ann.send(frame)
            next_of(ann, "error", skip=ANY_TYPE)
        after = scrape(server)
    assert moved(before, after, "chatroom_refusals_total", reason="empty") == 1
    assert moved(before, after, "chatroom_refusals_total", reason="bad_json") == 2
    assert moved(before, after, "chatroom_refusals_total", reason="bad_request") == 1


def test_closes_are_counted_by_code(server: ServerProcess) -> None:
    """A polite goodbye counts under 1000, a taken nick under 4409."""
    before = scrape(server)
    with join(server, "c", "ann"):
        error, code = refused_on_open(server, room="c", nick="ANN")
        assert (error["code"], code) == ("nick_taken", 4409)

    def counted() -> bool:
        after = scrape(server)
        return (
            moved(before, after, "chatroom_closes_total", code="1000") == 1
            and moved(before, after, "chatroom_closes_total", code="4409") == 1
        )

    wait_until(counted)


def test_invented_close_codes_do_not_add_labels(server: ServerProcess) -> None:
    """Close codes a client makes up are counted as "other", so the metric's labels stay few."""
    before = scrape(server)
    for code in (3001, 4999):
        join(server, "c", f"inventor{code}").close(code)
    for code in (999, 5000):  # not even valid on the wire; the library would refuse to send them
        ws = join(server, "c", f"inventor{code}")
        raw_close(ws, code)
        ws.close()

    def all_counted() -> bool:
        after = scrape(server)
        total = sum(v for (name, _), v in after.items() if name == "chatroom_closes_total")
        return total - sum(v for (name, _), v in before.items() if name == "chatroom_closes_total") == 4

    wait_until(all_counted)
    codes = {dict(labels).get("code") for name, labels in scrape(server) if name == "chatroom_closes_total"}
    assert not {"999", "3001", "4999", "5000"} & codes


def raw_close(ws: ClientConnection, code: int) -> None:
    """Send a close frame with any code, bypassing the library's checks."""
    payload = struct.pack("!H", code)
    ws.socket.sendall(bytes((0x88, 0x80 | len(payload), 0, 0, 0, 0)) + payload)


def test_refused_upgrades_are_counted(server: ServerProcess) -> None:
    """A foreign Origin (403) counts as a refused upgrade under "origin"."""
    before = scrape(server)
    with pytest.raises(InvalidStatus):
        open_ws(server, headers={"Origin": "https://evil.example"}, room="u")
    after = scrape(server)
    assert moved(before, after, "chatroom_upgrades_refused_total", reason="origin") == 1


def test_publish_api_counts_received_and_stored(server: ServerProcess, bot: Bot) -> None:
    """A message posted through the API counts as received and stored."""
    before = scrape(server)
    request = urllib.request.Request(
        f"{server.url}/api/rooms/api/messages",
        data=json.dumps({"message": "hi"}).encode(),
        headers={"Authorization": bot.authorization},
        method="POST",
    )
    assert NO_PROXY.open(request, timeout=5).status == 201
    after = scrape(server)
    assert moved(before, after, "chatroom_messages_received_total") == 1
    assert moved(before, after, "chatroom_messages_stored_total") == 1


def test_healthz_reports_the_backend(server: ServerProcess) -> None:
    """/healthz says ok, names the backend and counts connections."""
    with join(server, "h", "ann"):
        body = json.loads(NO_PROXY.open(f"{server.url}/healthz", timeout=5).read())
    assert body["status"] == "ok"
    assert (body["store"], body["bus"]) == ("sqlite", "local")
    assert body["connections"] >= 1


class UnreachableStore(ChatService):
    """A store whose health check fails, as a lost disk or database would."""

    async def healthy(self) -> bool:
        return False


class DegradedHealthTest(AsyncHTTPTestCase):
    """/healthz when the store cannot be reached."""

    def get_app(self) -> tornado.web.Application:
        ChatSocketHandler.reset_registry()
        self.backend = UnreachableStore(SQLiteStore(":memory:"), LocalBus())
        self.io_loop.run_sync(self.backend.start)
        return make_app(
            Settings(database=":memory:", ping_interval=0, ping_timeout=0, guests=True), self.backend
        )

    def tearDown(self) -> None:
        self.io_loop.run_sync(self.backend.close)
        super().tearDown()

    @gen_test
    async def test_healthz_is_503_degraded(self) -> None:
        """A store that does not answer makes /healthz 503 with status degraded."""
        response = await self.http_client.fetch(self.get_url("/healthz"), raise_error=False)
        assert response.code == 503
        assert json.loads(response.body)["status"] == "degraded"


def test_close_label_keeps_known_codes_and_folds_the_rest() -> None:
    """Codes the protocol names keep their label; anything else is "other"."""
    assert [metrics.close_label(code) for code in (1000, 1013, 4409, 3000, 4999, 65535)] == [
        "1000",
        "1013",
        "4409",
        "other",
        "other",
        "other",
    ]

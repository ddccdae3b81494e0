"""The test process's servers take its home port in turn, and a page finds its files cached there yet no data
of an earlier server's."""

from __future__ import annotations

import contextlib
import gc
import re
import socket
import threading
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.page_browser import Pages, choose_nick, expect_online
from tests.port_owner import listens_on
from tests.support import ServerProcess, call_api, claim_home_port, free_port, port_is_free
from tests.test_page import say, texts


def test_one_server_at_a_time_holds_the_home_port() -> None:
    first = ServerProcess()
    second = ServerProcess()
    assert second.port != first.port
    home = first.port
    del first
    gc.collect()
    assert ServerProcess().port == home
    assert ServerProcess(port=(chosen := free_port())).port == chosen


def test_a_busy_home_port_is_left_alone() -> None:
    holder = ServerProcess()
    home = holder.port
    del holder
    gc.collect()
    assert port_is_free(home)
    with ServerProcess(port=home):
        assert not port_is_free(home)
        assert claim_home_port(ServerProcess(port=free_port())) is None


def test_a_home_port_taken_before_the_server_binds_it_moves_the_server_to_a_free_port() -> None:
    """Another test run's server takes the home port between this server's look and its bind: its
    /healthz answers 200 there, yet this server is not taken for started; it starts on a free port, and
    answers itself."""
    server = ServerProcess()
    home = server.port
    with socket.create_server(("127.0.0.1", home)) as taken:
        answering = threading.Thread(target=answer_healthz, args=(taken,), daemon=True)
        answering.start()
        with server:
            assert server.port != home and listens_on(server.process.pid, server.port)  # type: ignore[union-attr]
            assert call_api(server, "GET", "/api/rooms")[0] == 200
        taken.shutdown(socket.SHUT_RDWR)  # wakes the answering thread's accept: the port is free again
        answering.join(5)
    gc.collect()
    assert ServerProcess().port == home


def answer_healthz(listening: socket.socket) -> None:
    """Answer every connection, as a server of another run would /healthz: 200, until the socket closes."""
    with contextlib.suppress(OSError):
        while True:
            connection, _ = listening.accept()
            with connection:
                connection.recv(4096)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


def page_of_a_stopped_server(tmp_path: Path, pages: Pages) -> tuple[Page, int]:
    """ann's tab after she wrote in the lobby of a server, now stopped and gone, that held the home port.

    The tab is left for a blank page: trying to reconnect, it could reach the next server on the port as
    ann just before the test sends it there, and its own next page would find her nick held by that
    connection, not yet closed (a guest's nick is one connection's).
    """
    with ServerProcess(tmp_path / "first.db") as first:
        page = pages.open(f"{first.url}/?room=lobby")
        choose_nick(page, "ann")
        expect_online(page)
        say(page, "said to the first server")
    page.goto("about:blank")
    return page, first.port


def test_the_next_server_on_the_home_port_is_served_its_own_data_and_the_cached_modules(
    tmp_path: Path, pages: Pages
) -> None:
    """ann's tab showed the first server's lobby; the next server on the same address shows its own (none
    of the first's messages), and its page asks it for no module: they came from the cache."""
    page, home = page_of_a_stopped_server(tmp_path, pages)
    gc.collect()
    with ServerProcess(tmp_path / "second.db") as second:
        assert second.port == home
        page.goto(f"{second.url}/?room=lobby")
        expect_online(page)
        say(page, "said to the second server")
        expect(page.locator("#messages .msg .text")).to_have_count(1)
        assert texts(page) == ["said to the second server"]
        assert not re.search(r"GET /static/js/", second.log())

"""The first run of the real ``python -m chatroom``: the setup link in its log, one a start, one a pool."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from chatroom.server import GC_THRESHOLDS, tune_collector

from .clients import refused_on_open, welcomed
from .redis_server import RedisServer
from .support import ServerProcess, wait_until
from .web_client import PASSWORD, SETUP_LINE, WebClient, set_up, setup_link


def test_the_first_start_logs_a_setup_link_that_makes_the_administrator(tmp_path: Path) -> None:
    """The log says ``open http://HOST:PORT/setup?token=…``; that page and link create the administrator."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        url, token = setup_link(server)
        assert url.startswith(f"http://127.0.0.1:{server.port}/setup?token=")
        browser = WebClient(server.url)
        assert browser.get(f"/setup?token={token}").status == 200
        answer = browser.call(
            "POST",
            "/api/setup",
            {"token": token, "name": "Ann", "password": PASSWORD, "password_again": PASSWORD},
        )
        assert answer.status == 201
        assert browser.get("/api/me").json["account"]["is_admin"] is True
        # The link is spent: its page says so, and the server no longer asks for setup.
        assert browser.get(f"/setup?token={token}").status == 403
        assert WebClient(server.url).sign_in("Ann").status == 200


def test_each_start_before_setup_prints_a_new_link_and_the_old_one_stops(tmp_path: Path) -> None:
    """Restarted before setup: a new link; the first one's page is refused; once set up, no link at all."""
    database = tmp_path / "chat.db"
    with ServerProcess(database, guests=False) as first:
        _, old_token = setup_link(first)
    with ServerProcess(database, guests=False) as second:
        _, new_token = setup_link(second)
        assert new_token != old_token
        browser = WebClient(second.url)
        assert browser.get(f"/setup?token={old_token}").status == 403
        assert browser.get(f"/setup?token={new_token}").status == 200
        set_up(second)
    with ServerProcess(database, guests=False) as third:
        assert "setup?token=" not in third.log()
        assert WebClient(third.url).get("/api/rooms").error == (401, "unauthorized")


def test_a_pool_of_processes_prints_one_link(tmp_path: Path) -> None:
    """``--processes 3``: the parent prints the one setup link, which every worker takes."""
    redis = RedisServer(tmp_path).start()
    try:
        with ServerProcess(
            tmp_path / "chat.db", "--processes", "3", "--redis-url", redis.url, guests=False
        ) as server:
            _, token = setup_link(server)
            wait_until(lambda: "3 workers" in server.log())
            assert len(SETUP_LINE.findall(server.log())) == 1
            # Whichever worker answers, the link is good.
            for _ in range(6):
                assert WebClient(server.url).get(f"/setup?token={token}").status == 200
    finally:
        redis.stop()


def test_before_setup_a_bots_key_opens_no_socket_until_an_administrator_exists(tmp_path: Path) -> None:
    """A bot made from the command line before setup is turned away (setup_required, 1013), then joins."""
    database = tmp_path / "chat.db"
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "chatroom",
            "admin",
            "create-bot",
            "early",
            "--room",
            "lobby",
            "--db",
            str(database),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    key = made.stdout.strip()
    headers = {"Authorization": f"Bearer {key}"}
    with ServerProcess(database, guests=False) as server:
        error, code = refused_on_open(server, room="lobby", headers=headers)
        assert (error["code"], code) == ("setup_required", 1013)
        assert "setup link" in error["message"]
        set_up(server)
        ws, welcome, _ = welcomed(server, room="lobby", headers=headers)
        with ws:
            assert welcome["nick"] == "early"


def test_the_collector_runs_less_often_and_skips_what_the_start_made() -> None:
    """After tune_collector, young collections wait longer and the start's objects are frozen."""
    before = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_threshold() == GC_THRESHOLDS and GC_THRESHOLDS[0] > before[0]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

"""The command line, and the real server process talked to by an independent client."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection

from chatroom import protocol
from chatroom.cli import parse_settings
from chatroom.store import migrations
from chatroom.store.sqlite import SQLiteStore
from tests.clients import aclose_code, ajoin, areceive
from tests.raw_ws import RawMember
from tests.support import REPO, ServerProcess, http_status

PROTOCOL_FLAGS = (
    "--port",
    "--address",
    "--db",
    "--redis-url",
    "--processes",
    "--origin",
    "--jwt-secret",
    "--history",
    "--max-message-length",
    "--max-frame-bytes",
    "--rate",
    "--burst",
    "--ping-interval",
    "--ping-timeout",
    "--max-backlog-bytes",
    "--max-connections-per-ip",
    "--xheaders",
    "--log-level",
)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m chatroom`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "chatroom", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


# --- flags -------------------------------------------------------------------


def test_help_lists_every_flag() -> None:
    """--help names every flag of PROTOCOL.md's table and the CHATROOM_ variables."""
    result = run_cli("--help")
    assert result.returncode == 0
    for flag in PROTOCOL_FLAGS:
        assert flag in result.stdout
    assert "CHATROOM_" in result.stdout


def test_help_gives_each_flags_default_as_the_readme_does() -> None:
    """--help says each flag's default: the ones README.md's table of options gives."""
    # One entry per option: a line that starts with two spaces and a dash, and the lines under it.
    entries = [" ".join(entry.split()) for entry in re.split(r"\n(?=  -)", run_cli("--help").stdout)]
    for flag, default in [
        ("--port PORT", "8888"),
        ("--address ADDRESS", "127.0.0.1"),
        ("--db DATABASE", "chatroom.db"),
        ("--redis-presence-ttl REDIS_PRESENCE_TTL", "15"),
        ("--processes PROCESSES", "1"),
        ("--history HISTORY", "50"),
        ("--max-message-length MAX_MESSAGE_LENGTH", "4000"),
        ("--max-frame-bytes MAX_FRAME_BYTES", "65536"),
        ("--rate RATE", "10"),
        ("--burst BURST", "20"),
        ("--ping-interval PING_INTERVAL", "20"),
        ("--ping-timeout PING_TIMEOUT", "10"),
        ("--max-backlog-bytes MAX_BACKLOG_BYTES", "1048576"),
        ("--max-connections-per-ip MAX_CONNECTIONS_PER_IP", "0"),
        ("--new-rooms-per-minute NEW_ROOMS_PER_MINUTE", "20"),
        ("--join-rate JOIN_RATE", "5"),
        ("--join-burst JOIN_BURST", "30"),
        ("--uploads-per-minute UPLOADS_PER_MINUTE", "30"),
        ("--bot-messages-per-minute BOT_MESSAGES_PER_MINUTE", "120"),
        ("--files-quota-bytes FILES_QUOTA_BYTES", "0"),
        ("--sqlite-synchronous {full,normal,off}", "full"),
    ]:
        entry = next(entry for entry in entries if flag + " " in entry)
        assert f"(default: {default})" in entry, (flag, entry)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--port", "abc"], "--port"),
        (["--port", "70000"], "--port"),
        (["--rate", "0"], "--rate"),
        (["--burst", "-1"], "--burst"),
        (["--history", "lots"], "--history"),
        (["--max-frame-bytes", "1"], "--max-frame-bytes"),
        (["--ping-interval", "5", "--ping-timeout", "10"], "--ping-timeout"),
        (["--processes", "2"], "--processes"),
        (["--log-level", "loud"], "--log-level"),
        (["--origin", "chat.example.com"], "--origin"),
        (["--redis-url", "http://x"], "--redis-url"),
        (["--new-rooms-per-minute", "-1"], "--new-rooms-per-minute"),
        (["--join-rate", "-1"], "--join-rate"),
        (["--join-burst", "many"], "--join-burst"),
        (["--redis-presence-ttl", "0"], "--redis-presence-ttl"),
        # Combinations that could not keep one gapless id order per room.
        (["--database", ":memory:", "--redis-url", "redis://127.0.0.1:1/0"], "--database"),
        (["--db", "sqlite:///:memory:", "--redis-url", "redis://127.0.0.1:1/0"], "--database"),
        (["--database", "mysql://chat@db/chat"], "--database"),
        (["--database", "sqlite://"], "--database"),
        (["--no-such-flag"], "--no-such-flag"),
        (["--push-contact", "ops@example.com"], "--push-contact"),
        (["--push-contact", "http://example.com"], "--push-contact"),
        (["--max-upload-bytes", "0"], "--max-upload-bytes"),
        (["--uploads-per-minute", "-1"], "--uploads-per-minute"),
        (["--bot-messages-per-minute", "many"], "--bot-messages-per-minute"),
        (["--files-quota-bytes", "1GB"], "--files-quota-bytes"),
        (["--files-dir", " "], "--files-dir"),
        (["--link-previews", "maybe"], "--link-previews"),
    ],
)
def test_bad_flags_exit_2_with_one_line(args: list[str], named: str) -> None:
    """A bad flag or value prints one line naming the flag and exits 2."""
    result = run_cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]


def test_bad_environment_value_names_variable_and_flag() -> None:
    """A bad CHATROOM_ value exits 2 naming the variable and its flag."""
    result = run_cli(env={"CHATROOM_PORT": "eighty"})
    assert result.returncode == 2
    assert "CHATROOM_PORT" in result.stderr and "--port" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_environment_supplies_every_flag() -> None:
    """Each flag can come from its CHATROOM_ variable; the command line wins."""
    environ = {
        "CHATROOM_PORT": "9001",
        "CHATROOM_ADDRESS": "0.0.0.0",
        "CHATROOM_DB": ":memory:",
        "CHATROOM_ORIGIN": "https://chat.example.com",
        "CHATROOM_JWT_SECRET": "s" * 32,
        "CHATROOM_HISTORY": "5",
        "CHATROOM_MAX_MESSAGE_LENGTH": "100",
        "CHATROOM_MAX_FRAME_BYTES": "4096",
        "CHATROOM_RATE": "2.5",
        "CHATROOM_BURST": "3",
        "CHATROOM_PING_INTERVAL": "30",
        "CHATROOM_PING_TIMEOUT": "15",
        "CHATROOM_MAX_BACKLOG_BYTES": "2048",
        "CHATROOM_MAX_CONNECTIONS_PER_IP": "7",
        "CHATROOM_XHEADERS": "true",
        "CHATROOM_LOG_LEVEL": "warning",
        "CHATROOM_NEW_ROOMS_PER_MINUTE": "0",
        "CHATROOM_JOIN_RATE": "0.5",
        "CHATROOM_JOIN_BURST": "0",
        "CHATROOM_REDIS_PRESENCE_TTL": "1.5",
        "CHATROOM_FILES_DIR": "/srv/chat-files",
        "CHATROOM_MAX_UPLOAD_BYTES": "1000",
        "CHATROOM_UPLOADS_PER_MINUTE": "4",
        "CHATROOM_BOT_MESSAGES_PER_MINUTE": "0",
        "CHATROOM_FILES_QUOTA_BYTES": "50000",
    }
    settings = parse_settings(["--port", "9002"], environ)
    assert settings.port == 9002
    assert (settings.address, settings.database, settings.origins) == (
        "0.0.0.0",
        ":memory:",
        ("https://chat.example.com",),
    )
    assert (settings.jwt_secret, settings.history) == ("s" * 32, 5)
    assert (settings.max_message_length, settings.max_frame_bytes) == (100, 4096)
    assert (settings.rate, settings.burst, settings.ping_interval, settings.ping_timeout) == (2.5, 3, 30, 15)
    assert (settings.max_backlog_bytes, settings.max_connections_per_ip) == (2048, 7)
    assert settings.xheaders is True and settings.log_level == "warning"
    assert settings.new_rooms_per_minute == 0
    assert (settings.join_rate, settings.join_burst) == (0.5, 0)
    assert settings.redis_presence_ttl == 1.5
    assert (settings.files_dir, settings.max_upload_bytes) == ("/srv/chat-files", 1000)
    assert (settings.uploads_per_minute, settings.files_quota_bytes) == (4, 50000)
    assert settings.bot_messages_per_minute == 0


def test_defaults_are_protocols() -> None:
    """With nothing set, the settings are PROTOCOL.md's defaults."""
    settings = parse_settings([], {})
    assert (settings.port, settings.address, settings.database, settings.processes) == (
        8888,
        "127.0.0.1",
        "chatroom.db",
        1,
    )
    assert (settings.history, settings.max_message_length, settings.max_frame_bytes) == (50, 4000, 65536)
    assert (settings.rate, settings.burst, settings.ping_interval, settings.ping_timeout) == (10, 20, 20, 10)
    assert (settings.max_backlog_bytes, settings.max_connections_per_ip) == (1048576, 0)
    assert settings.new_rooms_per_minute == 20
    assert (settings.join_rate, settings.join_burst) == (5, 30)
    assert settings.redis_presence_ttl == 15
    assert (settings.files_dir, settings.max_upload_bytes) == (None, 25 * 1024 * 1024)
    assert (settings.uploads_per_minute, settings.files_quota_bytes) == (30, 0)
    assert settings.redis_url is None and settings.xheaders is False and settings.log_level == "info"


def test_only_flags_reads_the_environment() -> None:
    """Every setting comes through the flags' parser: no other module reads os.environ."""
    readers = [
        path.name
        for path in (REPO / "chatroom").rglob("*.py")
        if any(word in path.read_text() for word in ("os.environ", "getenv"))
    ]
    assert readers == ["flags.py"]


def test_origin_may_repeat() -> None:
    """--origin can be given several times."""
    settings = parse_settings(["--origin", "https://a.example", "--origin", "http://b.example:8080/"], {})
    assert settings.origins == ("https://a.example", "http://b.example:8080")


def test_unwritable_database_exits_1_with_one_line(tmp_path: Path) -> None:
    """A --db the server cannot open gives one clear line and exit 1."""
    result = run_cli("--port", "0", "--db", str(tmp_path / "missing-dir" / "chat.db"))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "chat.db" in result.stderr


def test_a_pool_on_a_database_newer_than_this_chatroom_stops_in_one_line(tmp_path: Path) -> None:
    """--processes 2 on a database a newer chatroom wrote: one line and exit 1, as one process gives,
    before any worker starts (so Redis is not even asked)."""
    database = tmp_path / "chat.db"
    asyncio.run(_newer_database(database))
    result = run_cli(
        "--port", "0", "--db", str(database), "--processes", "2", "--redis-url", "redis://127.0.0.1:1/0"
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"chatroom: error: the database {database} has schema version 999, newer than this chatroom's"
        f" {migrations.LATEST}: run a newer chatroom, or restore a backup"
    ]


async def _newer_database(path: Path) -> None:
    store = SQLiteStore(str(path))
    await store.start()
    await store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")


def test_every_logger_is_in_the_operations_guide() -> None:
    """Each logger a log line may name has its row in docs/operations.md's table of loggers."""
    named = {
        name
        for source in (REPO / "chatroom").rglob("*.py")
        for name in re.findall(r'getLogger\("([\w.]+)"\)', source.read_text())
    }
    guide = (REPO / "docs" / "operations.md").read_text()
    rows = {
        name
        for row in re.findall(r"^\| (`[^|]+`) \|", guide, re.M)
        for name in re.findall(r"`([\w.]+)`", row)
    }
    assert named and named <= rows, sorted(named - rows)


# --- the real process ----------------------------------------------------------


def test_ready_line_says_which_url_to_open(tmp_path: Path) -> None:
    """When ready, the server logs the URL to open."""
    with ServerProcess(tmp_path / "chat.db") as server:
        assert f"open http://127.0.0.1:{server.port}/ in a browser" in server.log()
        assert http_status(server.url + "/") == 200


def test_two_independent_clients_chat_through_the_real_server(tmp_path: Path) -> None:
    """Two websockets clients see each other's messages, ids increasing, each join and leave once."""

    async def conversation(url: str) -> None:
        ann, _ = await ajoin(url, "lobby", "ann")
        bob, welcome = await ajoin(url, "lobby", "bob")
        assert welcome["users"] == ["ann", "bob"]
        assert (await areceive(ann, 5))["nick"] == "bob"
        await ann.send(json.dumps({"type": "message", "message": "hi bob", "ref": "a1"}))
        await bob.send("hi ann, from a terminal")
        seen = []
        for client in (ann, bob):
            users = [
                f
                for f in [await areceive(client, 5) for _ in range(2 + (client is ann))]
                if f["type"] == "user"
            ]
            # Sent at once on two connections: either may be stored first, but both see one order.
            assert sorted(u["message"] for u in users) == ["hi ann, from a terminal", "hi bob"]
            seen.append([(u["id"], u["message"]) for u in users])
        assert seen[0] == seen[1] and seen[0][0][0] < seen[0][1][0]
        await bob.close()
        left = await areceive(ann, 5)
        assert (left["event"], left["nick"], left["users"]) == ("leave", "bob", 1)
        with pytest.raises(TimeoutError):
            await areceive(ann, 0.3)
        await ann.close()

    with ServerProcess(tmp_path / "chat.db") as server:
        asyncio.run(conversation(server.ws_url))


def test_sigterm_closes_1001_exits_0_and_history_survives(tmp_path: Path) -> None:
    """SIGTERM sends 1001 to every client and exits 0 in time; a restart keeps history and ids."""
    db = tmp_path / "chat.db"

    async def before(url: str) -> ClientConnection:
        ann, _ = await ajoin(url, "lobby", "ann")
        for number in range(3):
            await ann.send(json.dumps({"type": "message", "message": f"m{number}", "ref": str(number)}))
        frames = [await areceive(ann, 5) for _ in range(6)]
        assert sorted(f["id"] for f in frames if f["type"] == "ack") == [1, 2, 3]
        return ann

    async def after(url: str) -> None:
        ann, welcome = await ajoin(url, "lobby", "ann")
        assert welcome["last_id"] == 3
        await ann.send("after restart")
        assert (await areceive(ann, 5))["id"] == 4
        await ann.close()

    server = ServerProcess(db).start()
    loop = asyncio.new_event_loop()
    try:
        ann = loop.run_until_complete(before(server.ws_url))
        started = time.monotonic()
        assert server.stop(signal.SIGTERM) == 0
        assert time.monotonic() - started < 5
        assert loop.run_until_complete(aclose_code(ann, 5, skip=())) == protocol.CLOSE_GOING_AWAY
    finally:
        loop.close()
    with ServerProcess(db, port=server.port) as restarted:
        asyncio.run(after(restarted.ws_url))


def test_sigint_stops_gracefully_too(tmp_path: Path) -> None:
    """SIGINT (Ctrl-C) stops the server like SIGTERM, exit 0."""
    server = ServerProcess(tmp_path / "chat.db").start()
    assert server.stop(signal.SIGINT) == 0
    assert "Traceback" not in server.log()


def test_a_second_stop_signal_does_not_cut_the_shutdown_short(tmp_path: Path) -> None:
    """SIGTERM twice (as systemd and impatient people do) still exits 0 with history written."""
    server = ServerProcess(tmp_path / "chat.db").start()
    with RawMember(server.port, "lobby", "mute") as silent:
        # A member that never answers the close handshake keeps the shutdown busy.
        silent.join()
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert server.stop(signal.SIGTERM) == 0


@pytest.mark.parametrize(("argv", "environ"), [(["--api-key", "k"], {}), ([], {"CHATROOM_API_KEY": "k"})])
def test_the_removed_api_key_says_what_replaced_it(argv: list[str], environ: dict[str, str]) -> None:
    """--api-key (or CHATROOM_API_KEY) is refused in one line that names bot accounts, exit 2."""
    result = run_cli(*argv, "--port", "0", env=environ)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "--api-key" in lines[0] and "admin create-bot" in lines[0]

"""`python -m chatroom admin`: accounts, bots, reset links, deactivation made by the real command on a real
database."""

from __future__ import annotations

import asyncio
import os
import pty
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from chatroom.store import open_store
from chatroom.store.accounts_base import AccountStore
from chatroom.store.records import OPEN, RESET
from chatroom.tokens import token_hash

from .clients import close_code, next_of, say
from .pg_server import PostgresServer
from .support import REPO, ServerProcess, in_store
from .web_client import WebClient, join, session_socket, set_up

PASSWORD = "correct horse battery"


def admin(*args: str, stdin: str | None = "") -> subprocess.CompletedProcess[str]:
    """Run ``python -m chatroom admin ARGS`` to completion, ``stdin`` piped in."""
    return subprocess.run(
        [sys.executable, "-m", "chatroom", "admin", *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed command printed on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def stored(database: str, query: str) -> list[tuple[object, ...]]:
    """Rows of a SQLite database, read directly."""
    with sqlite3.connect(database) as conn:
        return conn.execute(query).fetchall()


def test_create_user_reads_a_piped_password_and_prints_one_line(tmp_path: Path) -> None:
    """A password piped in makes the account (an argon2id hash, never the password); one line, exit 0."""
    db = str(tmp_path / "chat.db")
    result = admin("create-user", "Alice", "--admin", "--db", db, stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "created administrator Alice\n"
    assert result.stderr == ""
    [(name, kind, is_admin, password_hash)] = stored(
        db, "SELECT name, kind, is_admin, password_hash FROM accounts"
    )
    assert (name, kind, is_admin) == ("Alice", "person", 1)
    assert str(password_hash).startswith("$argon2id$")
    assert PASSWORD.encode() not in Path(db).read_bytes()
    plain = admin("create-user", "bob", "--db", db, stdin=PASSWORD)
    assert plain.returncode == 0 and plain.stdout == "created account bob\n"


def test_a_person_made_here_joins_the_rooms_everyone_is_in_and_a_bot_does_not(tmp_path: Path) -> None:
    """create-user makes a member of every room everyone is in, as the join link does; create-bot not."""
    db = str(tmp_path / "chat.db")
    assert admin("create-user", "alice", "--db", db, stdin=PASSWORD).returncode == 0

    async def announcements(accounts: AccountStore) -> None:
        await accounts.create_room("news", OPEN)
        await accounts.set_everyone_in("news", True)

    in_store(db, announcements)
    assert admin("create-user", "bob", "--db", db, stdin=PASSWORD).returncode == 0
    assert admin("create-bot", "ci", "--db", db).returncode == 0
    query = "SELECT m.room, a.name FROM memberships m JOIN accounts a ON a.id = m.account_id ORDER BY 2"
    assert stored(db, query) == [("news", "alice"), ("news", "bob")]


@pytest.mark.parametrize("taken", ["alice", "ALICE", "аlice", "ａｌｉｃｅ"])
def test_a_taken_or_look_alike_name_exits_2(tmp_path: Path, taken: str) -> None:
    """The same name, in other letters, or a look-alike: exit 2, one line, nothing made."""
    db = str(tmp_path / "chat.db")
    assert admin("create-user", "alice", "--db", db, stdin=PASSWORD).returncode == 0
    result = admin("create-user", taken, "--db", db, stdin=PASSWORD)
    assert result.returncode == 2
    assert "alice" in error_line(result) and result.stdout == ""
    assert stored(db, "SELECT count(*) FROM accounts") == [(1,)]
    bot = admin("create-bot", taken, "--db", db)
    assert bot.returncode == 2 and bot.stdout == ""


@pytest.mark.parametrize(
    ("stdin", "says"),
    [
        ("short\n", "at least 10"),
        ("", "no password"),
        ("\n", "at least 10"),
        ("bell\x07 in it ok\n", "control"),
    ],
)
def test_a_password_the_rules_refuse_exits_2_and_makes_nothing(tmp_path: Path, stdin: str, says: str) -> None:
    """Too short, missing or with control characters: exit 2 with the reason; not even a database is made."""
    db = tmp_path / "chat.db"
    result = admin("create-user", "alice", "--db", str(db), stdin=stdin)
    assert result.returncode == 2
    assert says in error_line(result)
    assert not db.exists()


def test_a_bad_name_exits_2_before_asking_for_a_password(tmp_path: Path) -> None:
    """A name the rules refuse exits 2 at once, standard input left unread."""
    result = admin("create-user", "no way!", "--db", str(tmp_path / "chat.db"), stdin=None)
    assert result.returncode == 2
    assert "letters, digits" in error_line(result)


def test_create_bot_prints_its_key_once_and_keeps_only_its_hash(tmp_path: Path) -> None:
    """The key is standard output's only line; the database holds its SHA-256, and it opens the bot."""
    db = str(tmp_path / "chat.db")
    result = admin("create-bot", "ci", "--db", db)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert result.stdout == key + "\n" and len(key) == 43
    assert key not in result.stderr and "once" in result.stderr
    assert key.encode() not in Path(db).read_bytes()
    assert stored(db, "SELECT key_hash FROM bot_keys") == [(token_hash(key),)]

    async def holder() -> str | None:
        store = open_store(db)
        await store.start()
        try:
            bot = await store.accounts.bot_key_account(token_hash(key))
            return None if bot is None else bot.name
        finally:
            await store.close()

    assert asyncio.run(holder()) == "ci"
    again = admin("create-bot", "other", "--db", db)
    assert again.stdout.strip() != key


def test_create_bot_with_rooms_makes_it_a_member_and_missing_rooms_open(tmp_path: Path) -> None:
    """--room puts the bot in each room, making an open room that is missing; a bad room, or a direct
    conversation's name, exits 2 and makes no bot."""
    db = str(tmp_path / "chat.db")
    result = admin("create-bot", "relay", "--room", "lobby", "--room", "news", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "a member of lobby, news" in result.stderr
    assert stored(db, "SELECT room, kind FROM rooms ORDER BY room") == [("lobby", "open"), ("news", "open")]
    members = stored(db, "SELECT m.room FROM memberships m JOIN accounts a ON a.id = m.account_id ORDER BY 1")
    assert members == [("lobby",), ("news",)]
    for room in ("a/b", "dm-0123456789abcdef01234567"):
        bad = admin("create-bot", "other", "--room", room, "--db", db)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, room
        assert stored(db, "SELECT name FROM accounts WHERE name = 'other'") == []
    assert "direct conversation" in bad.stderr


def test_reset_link_prints_a_one_time_link_and_the_newest_one_wins(tmp_path: Path) -> None:
    """reset-link prints URL/reset?token=…, valid once for a day; a newer link revokes the older one."""
    db = str(tmp_path / "chat.db")
    admin("create-user", "alice", "--db", db, stdin=PASSWORD)
    first = admin("reset-link", "ALICE", "--db", db)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("http://127.0.0.1:8888/reset?token=")
    assert "alice" in first.stderr and "once" in first.stderr
    second = admin("reset-link", "alice", "--db", db, "--url", "https://chat.example.com/team/")
    url = urlsplit(second.stdout.strip())
    assert (url.scheme, url.netloc, url.path) == ("https", "chat.example.com", "/team/reset")
    old_token = parse_qs(urlsplit(first.stdout.strip()).query)["token"][0]
    token = parse_qs(url.query)["token"][0]

    async def consume(token: str) -> tuple[bool, bool]:
        store = open_store(db)
        await store.start()
        try:
            link = await store.accounts.consume_link(token_hash(token), RESET)
            again = await store.accounts.consume_link(token_hash(token), RESET)
            return link is not None and link.expires_at is not None, again is not None
        finally:
            await store.close()

    assert asyncio.run(consume(old_token)) == (False, False)
    assert asyncio.run(consume(token)) == (True, False)


@pytest.mark.parametrize(("name", "says"), [("nobody", "no account"), ("ci", "bot")])
def test_reset_link_for_no_person_exits_2(tmp_path: Path, name: str, says: str) -> None:
    """A name without an account, or a bot's: exit 2, one line."""
    db = str(tmp_path / "chat.db")
    admin("create-bot", "ci", "--db", db)
    result = admin("reset-link", name, "--db", db)
    assert result.returncode == 2 and says in error_line(result)


def test_deactivate_and_reactivate_on_a_running_server(tmp_path: Path) -> None:
    """An account deactivated here is signed out and told so at sign-in; reactivated, it signs in.
    Each act is one chatroom.moderation line and one act of the moderation history; asking for what
    already is changes nothing."""
    db = tmp_path / "chat.db"
    with ServerProcess(db, guests=False) as server:
        root, join_link = set_up(server)
        bob = join(server, join_link, "bob")
        done = admin("deactivate", "BOB", "--db", str(db))
        assert done.returncode == 0, done.stderr
        assert done.stdout == "deactivated bob: signed out everywhere, it cannot sign in\n"
        assert error_line(done).endswith(
            "INFO chatroom.moderation: the command line deactivated the account 'bob' (id 2)"
        )
        assert bob.get("/api/me").status == 401
        assert WebClient(server.url).sign_in("bob").error == (403, "account_deactivated")
        again = admin("deactivate", "bob", "--db", str(db))
        assert (again.returncode, again.stdout, again.stderr) == (0, "bob is deactivated already\n", "")
        back = admin("reactivate", "bob", "--db", str(db))
        assert back.returncode == 0 and back.stdout == "reactivated bob: it may sign in again\n"
        assert "the command line reactivated the account 'bob' (id 2)" in error_line(back)
        assert WebClient(server.url).sign_in("bob").status == 200
        assert admin("reactivate", "bob", "--db", str(db)).stdout == "bob is active already\n"
        acts = root.get("/api/admin/moderation").json["acts"]
        assert [(a["actor"], a["act"], a["subject"], a["actor_account"]) for a in acts] == [
            ("the command line", "reactivate", "bob", None),
            ("the command line", "deactivate", "bob", None),
        ]


def test_deactivating_from_the_command_line_closes_the_open_sockets_of_a_running_server(
    tmp_path: Path,
) -> None:
    """The account's socket already open is told `unauthorized` and closed 4401 within seconds (the
    server reads the moderation history); another person's socket carries on."""
    db = tmp_path / "chat.db"
    with ServerProcess(db, guests=False) as server:
        root, join_link = set_up(server)
        bob = join(server, join_link, "bob")
        with session_socket(server, root) as witness, session_socket(server, bob) as bobs:
            started = time.monotonic()
            assert admin("deactivate", "bob", "--db", str(db)).returncode == 0
            error = next_of(bobs, "error", timeout=15)
            assert (error["code"], close_code(bobs)) == ("unauthorized", 4401)
            assert time.monotonic() - started < 15
            say(witness, "still here")
            assert next_of(witness, "user", skip=("sys", "typing", "presence"))["message"] == "still here"


def test_signing_out_from_the_command_line_ends_every_session_and_closes_the_open_sockets(
    tmp_path: Path,
) -> None:
    """bob lost a device: signed out here, both his sessions end, his open socket is told an administrator
    signed him out and closed 4401 within seconds, and he signs in again with his password; another
    person's socket carries on. One chatroom.moderation line, one act of the history."""
    db = tmp_path / "chat.db"
    with ServerProcess(db, guests=False) as server:
        root, join_link = set_up(server)
        bob = join(server, join_link, "bob")
        lost = WebClient(server.url)
        assert lost.sign_in("bob").status == 200
        with session_socket(server, root) as witness, session_socket(server, lost) as bobs:
            done = admin("sign-out", "BOB", "--db", str(db))
            assert (done.returncode, done.stdout) == (0, "signed bob out everywhere: 2 sessions ended\n"), (
                done
            )
            assert error_line(done).endswith(
                "INFO chatroom.moderation: the command line signed the account 'bob' (id 2) out everywhere:"
                " 2 sessions ended"
            )
            assert [client.get("/api/me").status for client in (bob, lost)] == [401, 401]
            error = next_of(bobs, "error", timeout=15)
            assert error["message"] == "an administrator signed you out everywhere: sign in again"
            assert close_code(bobs) == 4401
            say(witness, "still here")
            assert next_of(witness, "user", skip=("sys", "typing", "presence"))["message"] == "still here"
        assert WebClient(server.url).sign_in("bob").status == 200
        acts = root.get("/api/admin/moderation").json["acts"]
        assert [(a["actor"], a["act"], a["subject"], a["detail"]) for a in acts] == [
            ("the command line", "sign_out", "bob", "2 sessions ended"),
        ]
    assert admin("create-bot", "ci", "--db", str(db)).returncode == 0
    for args, says in [
        (("sign-out", "nobody"), "there is no account named 'nobody'"),
        (("sign-out", "ci"), "'ci' is a bot: it has API keys, not sessions"),
    ]:
        result = admin(*args, "--db", str(db))
        assert (result.returncode, result.stdout) == (2, ""), result
        assert says in error_line(result)


def test_make_admin_and_remove_admin_on_a_running_server(tmp_path: Path) -> None:
    """bob made an administrator here: the server marks him on every open page and his socket comes back
    with the rights (it reads the moderation history); he administers; taken back, he does not. Each act
    is one chatroom.moderation line and one act of the history; asking again changes nothing."""
    db = tmp_path / "chat.db"
    with ServerProcess(db, guests=False) as server:
        root, join_link = set_up(server)
        bob = join(server, join_link, "bob")
        with session_socket(server, root) as witness, session_socket(server, bob) as bobs:
            made = admin("make-admin", "BOB", "--db", str(db))
            assert (made.returncode, made.stdout) == (0, "made bob an administrator\n"), made.stderr
            assert error_line(made).endswith(
                "INFO chatroom.moderation: the command line made 'bob' an administrator (id 2)"
            )
            told = {"type": "admin", "name": "bob", "admin": True}
            assert next_of(witness, "admin", timeout=15) == told
            assert next_of(bobs, "admin", timeout=15) == told
            assert close_code(bobs) == 1012
        assert bob.get("/api/admin/accounts").status == 200
        again = admin("make-admin", "bob", "--db", str(db))
        assert (again.returncode, again.stdout, again.stderr) == (0, "bob is an administrator already\n", "")
        unmade = admin("remove-admin", "bob", "--db", str(db))
        assert (unmade.returncode, unmade.stdout) == (0, "bob is no longer an administrator\n")
        assert "the command line took the administration from 'bob' (id 2)" in error_line(unmade)
        assert bob.get("/api/admin/accounts").error == (403, "forbidden")
        acts = root.get("/api/admin/moderation").json["acts"]
        assert [(a["actor"], a["act"], a["subject"]) for a in acts] == [
            ("the command line", "remove_admin", "bob"),
            ("the command line", "make_admin", "bob"),
        ]


def test_make_admin_and_remove_admin_refusals_exit_2_and_change_nothing(tmp_path: Path) -> None:
    """No such account, a bot, a deactivated person made one, the last active administrator unmade: exit 2
    with one line each, nothing kept in the history."""
    db = str(tmp_path / "chat.db")
    admin("create-user", "root", "--admin", "--db", db, stdin=PASSWORD + "\n")
    admin("create-user", "dora", "--db", db, stdin=PASSWORD + "\n")
    admin("create-bot", "ci", "--db", db)
    admin("deactivate", "dora", "--db", db)
    for args, says in [
        (("make-admin", "nobody"), "there is no account named 'nobody'"),
        (("make-admin", "ci"), "'ci' is a bot: only people administer"),
        (("make-admin", "dora"), "'dora' is deactivated: reactivate it first"),
        (("remove-admin", "root"), "'root' is the last active administrator: make another first"),
    ]:
        result = admin(*args, "--db", db)
        assert (result.returncode, result.stdout) == (2, ""), result
        assert says in error_line(result)
    kinds = [row[0] for row in stored(db, "SELECT act FROM moderation_acts ORDER BY id")]
    assert kinds == ["deactivate"]


def test_the_last_administrator_is_not_deactivated_and_an_administrator_is_reactivated(
    tmp_path: Path,
) -> None:
    """Deactivating the only active administrator exits 2 (the server would wait for setup again);
    with another, it is done, and reactivating gives the page its administrator back."""
    db = str(tmp_path / "chat.db")
    admin("create-user", "root", "--admin", "--db", db, stdin=PASSWORD)
    admin("create-bot", "ci", "--db", db)
    last = admin("deactivate", "root", "--db", db)
    assert last.returncode == 2 and "last active administrator" in error_line(last) and last.stdout == ""
    admin("create-user", "second", "--admin", "--db", db, stdin=PASSWORD)
    assert admin("deactivate", "root", "--db", db).returncode == 0
    assert admin("deactivate", "second", "--db", db).returncode == 2
    assert admin("deactivate", "ci", "--db", db).returncode == 0
    listed = {line.split()[1]: line for line in admin("list-users", "--db", db).stdout.splitlines()}
    assert listed["root"].endswith("administrator, deactivated") and listed["ci"].endswith("bot, deactivated")
    assert admin("reactivate", "root", "--db", db).returncode == 0
    assert admin("list-users", "--db", db).stdout.splitlines()[0].endswith("person, administrator")
    nobody = admin("reactivate", "nobody", "--db", db)
    assert nobody.returncode == 2 and "no account named 'nobody'" in error_line(nobody)


def test_list_users_and_commands_on_a_missing_database(tmp_path: Path) -> None:
    """list-users prints one line per account; on a database that does not exist it exits 1 and makes none."""
    db = str(tmp_path / "chat.db")
    admin("create-user", "alice", "--admin", "--db", db, stdin=PASSWORD)
    admin("create-bot", "ci", "--db", db)
    listed = admin("list-users", "--db", db)
    assert listed.returncode == 0
    assert [line.split(None, 1) for line in listed.stdout.splitlines()] == [
        ["1", "alice                             person, administrator"],
        ["2", "ci                                bot"],
    ]
    for args in (["list-users"], ["reset-link", "alice"], ["deactivate", "alice"], ["reactivate", "alice"]):
        missing = admin(*args, "--db", str(tmp_path / "typo.db"))
        assert missing.returncode == 1 and "typo.db" in error_line(missing)
    assert not (tmp_path / "typo.db").exists()


def test_bad_admin_flags_exit_2_with_one_line() -> None:
    """No action, an unknown action, :memory:, a bad --url: exit 2, one line naming what is wrong."""
    for args, named in [
        ([], "ACTION"),
        (["delete-everyone"], "delete-everyone"),
        (["list-users", "--db", ":memory:"], ":memory:"),
        (["reset-link", "alice", "--url", "chat.example.com"], "--url"),
    ]:
        result = admin(*args)
        assert result.returncode == 2
        assert named in error_line(result)
    helped = admin("--help")
    assert helped.returncode == 0
    assert all(
        action in helped.stdout
        for action in ("create-user", "create-bot", "reset-link", "deactivate", "reactivate", "list-users")
    )


def test_create_user_on_postgres(postgres_server: PostgresServer) -> None:
    """The same command makes the account in a PostgreSQL database, and refuses its look-alike there."""
    url = postgres_server.new_schema()
    assert admin("create-user", "alice", "--db", url, stdin=PASSWORD).returncode == 0
    assert admin("create-user", "АLICE", "--db", url, stdin=PASSWORD).returncode == 2
    assert "alice" in admin("list-users", "--db", url).stdout


# --- on a terminal ---------------------------------------------------------------------


def on_terminal(args: list[str], typed: list[str]) -> tuple[int, str]:
    """Run the command on a terminal, typing each line when prompted: its exit status and the screen."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "chatroom", "admin", *args],
        cwd=REPO,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={"PATH": "/usr/bin:/bin"},
        # No controlling terminal: getpass then prompts on standard error and reads standard input.
        start_new_session=True,
    )
    os.close(terminal)
    screen = b""
    deadline = time.monotonic() + 60
    for prompts, line in enumerate(typed):
        # Typed only once asked: getpass discards what was typed before its prompt.
        while screen.count(b": ") <= prompts and time.monotonic() < deadline:
            screen += os.read(controller, 1024)
        os.write(controller, line.encode() + b"\n")
    try:
        status = process.wait(timeout=60)
    finally:
        process.kill()
    try:
        while chunk := os.read(controller, 1024):
            screen += chunk
    except OSError:
        pass  # the terminal closed with the process
    os.close(controller)
    return status, screen.decode(errors="replace")


def test_on_a_terminal_the_password_is_asked_twice_and_not_shown(tmp_path: Path) -> None:
    """Two hidden prompts; the same password twice makes the account, two different ones exit 2."""
    db = str(tmp_path / "chat.db")
    status, screen = on_terminal(["create-user", "alice", "--db", db], [PASSWORD, PASSWORD])
    assert status == 0, screen
    assert "Password for alice:" in screen and "again:" in screen
    assert PASSWORD not in screen
    assert "created account alice" in screen
    status, screen = on_terminal(["create-user", "bob", "--db", db], [PASSWORD, PASSWORD + "!"])
    assert status == 2 and "differ" in screen
    assert stored(db, "SELECT name FROM accounts") == [("alice",)]

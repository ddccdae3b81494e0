"""Each process loads what its command runs: a server no export code nor cryptography, a command no server."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support import REPO

# Loaded only where a token is checked, a push is encrypted or signed, or a backup written.
CRYPTOGRAPHY = ("jwt", "cryptography", "http_ece", "py_vapid")
EXPORT = ("chatroom.export", "chatroom.export_reading", "chatroom.export_check")


def loaded_after(statement: str) -> set[str]:
    """The top modules and chatroom's own modules a new interpreter holds after ``statement``."""
    script = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    names: list[str] = json.loads(out.stdout)
    return {name for name in names if name.startswith("chatroom.")} | {name.split(".")[0] for name in names}


def test_a_server_loads_neither_the_export_nor_cryptography() -> None:
    loaded = loaded_after("import chatroom.cli, chatroom.server, chatroom.workers")
    assert "chatroom.app" in loaded
    assert loaded.isdisjoint(CRYPTOGRAPHY + EXPORT)


def test_the_command_line_loads_no_server_until_it_serves() -> None:
    loaded = loaded_after("import chatroom.cli")
    assert "chatroom.admin" in loaded
    assert loaded.isdisjoint(("chatroom.server", "chatroom.app", "chatroom.workers", *EXPORT, *CRYPTOGRAPHY))


def test_a_token_check_and_a_push_key_load_cryptography_when_they_run() -> None:
    loaded = loaded_after(
        "from chatroom import auth, webpush\n"
        "key = webpush.VapidKey(webpush.new_private_key(), 'mailto:admin@example.org')\n"
        "assert key.authorization('https://push.example.org/x').startswith('vapid t=')\n"
        "try:\n    auth.verify_token('not.a.token', 'k' * 32)\nexcept auth.AuthError:\n    pass"
    )
    assert {"jwt", "cryptography", "py_vapid"} <= loaded

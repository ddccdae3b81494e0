"""A wheel installed into a fresh virtual environment serves the page too."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest

from tests.support import REPO, free_port, http_status, wait_until


@pytest.mark.timeout(300)
def test_installed_wheel_serves_page_and_static_files(tmp_path: Path) -> None:
    """`pip install .` (not -e) carries templates/ and static/, so the page works."""
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(REPO)],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert install.returncode == 0, install.stderr
    port = free_port()
    # Run outside the checkout so only the installed copy can be imported.
    server = subprocess.Popen(
        [python, "-m", "chatroom", "--port", str(port), "--db", ":memory:"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200, timeout=20)
        where = subprocess.run(
            [python, "-c", "import chatroom; print(chatroom.__file__)"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert str(environment) in where.stdout
        for path in ("/", "/?room=dev", "/static/chat.js", "/static/chat.css"):
            assert http_status(f"http://127.0.0.1:{port}{path}") == 200, path
    finally:
        server.terminate()
        assert server.wait(10) == 0

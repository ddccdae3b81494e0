"""The screenshots page tests take for people to look at: written only where CHATROOM_SCREENSHOT_DIR
names a directory (``CHATROOM_SCREENSHOT_DIR=/tmp/shots bash tests/run tests/test_page_unread.py``).

Each costs Chromium a full render and a PNG, about a tenth of a page test's time, and nobody looks at
those of a plain run: there the tests go through the same steps and check the same things, and take
none.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page


def shooting() -> bool:
    """Whether this run takes screenshots."""
    return bool(os.environ.get("CHATROOM_SCREENSHOT_DIR"))


def screenshot(page: Page, path: Path | str) -> None:
    """What ``page`` shows now, into ``path``, when this run takes screenshots."""
    if shooting():
        page.screenshot(path=str(path))

"""The frames that tell connections of changes to accounts: one's own new name, someone's new picture.

Built here, pure, and exported by protocol.py with the other server frames.
"""

from __future__ import annotations

from typing import Any


def renamed_frame(name: str) -> dict[str, Any]:
    """The account was renamed: the connection closes and comes back under ``name``."""
    return {"type": "renamed", "nick": name}

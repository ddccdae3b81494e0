"""Schema step 36: custom emoji, each a name and its image.

``custom_emoji``: one row per emoji, its name (``:name:`` in messages and
reactions), who added it and when, and its image, small (it fits 64x64), kept
in the row itself so that every node serves it whatever ``--files-dir`` is.
``digest`` (SHA-256 of the image, hex) makes its address change with it.
Nobody had one before this step.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    36,
    "custom emoji",
    sqlite=(
        "CREATE TABLE custom_emoji (name TEXT PRIMARY KEY, account_id INTEGER REFERENCES accounts (id),"
        " created INTEGER NOT NULL, content_type TEXT NOT NULL, digest TEXT NOT NULL, image BLOB NOT NULL)",
    ),
    postgres=(
        "CREATE TABLE custom_emoji (name TEXT PRIMARY KEY, account_id BIGINT REFERENCES accounts (id),"
        " created BIGINT NOT NULL, content_type TEXT NOT NULL, digest TEXT NOT NULL, image BYTEA NOT NULL)",
    ),
)

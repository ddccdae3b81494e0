"""Schema step 38: link previews, the card under a message that holds a link.

``messages.preview`` is the message's previews as they stand (JSON, the text
of its latest ``preview`` change: chatroom/preview_pages.py): NULL while it
has none, empty once its author or a manager removed them (it is not
previewed again). ``link_previews`` keeps the card read from each address
recently (``fetched``, ms; an empty ``card`` for a page that gave none), so
that a link posted by many is read once an hour at most, by any node.
``preview_images`` keeps the pictures cards show, shrunk, by the SHA-256 of
their bytes, so that every node serves them. Nothing was previewed before
this step.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    38,
    "link previews",
    sqlite=(
        "ALTER TABLE messages ADD COLUMN preview TEXT",
        "CREATE TABLE link_previews (url TEXT PRIMARY KEY, fetched INTEGER NOT NULL, card TEXT NOT NULL)",
        "CREATE TABLE preview_images (digest TEXT PRIMARY KEY, content_type TEXT NOT NULL,"
        " width INTEGER NOT NULL, height INTEGER NOT NULL, created INTEGER NOT NULL, image BLOB NOT NULL)",
    ),
    postgres=(
        "ALTER TABLE messages ADD COLUMN preview TEXT",
        'CREATE TABLE link_previews (url TEXT COLLATE "C" PRIMARY KEY, fetched BIGINT NOT NULL,'
        " card TEXT NOT NULL)",
        'CREATE TABLE preview_images (digest TEXT COLLATE "C" PRIMARY KEY, content_type TEXT NOT NULL,'
        " width INTEGER NOT NULL, height INTEGER NOT NULL, created BIGINT NOT NULL, image BYTEA NOT NULL)",
    ),
)

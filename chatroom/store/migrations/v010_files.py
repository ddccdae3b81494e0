"""Schema step 10: uploaded files, the messages that carry them, and avatars.

``files`` holds one row per file (an attachment or an avatar): who uploaded it,
where it belongs once a message carries it, what it is. ``storage`` says where
its bytes are: ``directory`` (a files directory, every dialect) or
``database`` (``file_chunks``, PostgreSQL only, parts of CHUNK_BYTES removed
with their file's row). ``messages.file_id`` names a message's file and
``accounts.avatar_file`` an account's avatar.
"""

from __future__ import annotations

from .step import Step

_FILE_COLUMNS = (
    "room TEXT{collate}, message_id {int}, account_id {int}, kind TEXT NOT NULL, name TEXT NOT NULL,"
    " content_type TEXT NOT NULL, size {int} NOT NULL, width INTEGER, height INTEGER, thumb_type TEXT,"
    " thumb_size {int} NOT NULL DEFAULT 0, storage TEXT NOT NULL, created {int} NOT NULL"
)
_INDEXES = (
    # The sweep's scan: files no message carries, oldest first.
    "CREATE INDEX files_unattached ON files (created) WHERE message_id IS NULL",
    "CREATE INDEX files_of ON files (account_id)",
    "CREATE UNIQUE INDEX files_of_messages ON files (room, message_id) WHERE message_id IS NOT NULL",
)

STEP = Step(
    10,
    "uploaded files: their rows, their bytes in PostgreSQL, the message carrying each, avatars",
    sqlite=(
        "CREATE TABLE files (id TEXT PRIMARY KEY, "
        + _FILE_COLUMNS.format(collate="", int="INTEGER")
        + ") WITHOUT ROWID",
        *_INDEXES,
        "ALTER TABLE messages ADD COLUMN file_id TEXT",
        "ALTER TABLE accounts ADD COLUMN avatar_file TEXT",
    ),
    postgres=(
        "CREATE TABLE files (id TEXT PRIMARY KEY, "
        + _FILE_COLUMNS.format(collate=' COLLATE "C"', int="BIGINT")
        + ")",
        *_INDEXES,
        "CREATE TABLE file_chunks (file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,"
        " thumb BOOLEAN NOT NULL, part INTEGER NOT NULL, data BYTEA NOT NULL,"
        " PRIMARY KEY (file_id, thumb, part))",
        "ALTER TABLE messages ADD COLUMN file_id TEXT",
        "ALTER TABLE accounts ADD COLUMN avatar_file TEXT",
    ),
)

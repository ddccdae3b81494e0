"""Schema step 26: the names accounts were renamed from, kept theirs.

A renamed account's messages keep the name they were written under, so that
name stays the account's: nobody else (no new account, no rename, no guest)
takes it or a look-alike of it, keyed as ``accounts.name_key`` is. The
account takes it back by renaming to it. No account was renamed in a way
this step could recover: earlier renames left no trace.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    26,
    "the names accounts were renamed from",
    sqlite=(
        "CREATE TABLE former_names (name_key TEXT PRIMARY KEY, account_id INTEGER NOT NULL,"
        " name TEXT NOT NULL) WITHOUT ROWID",
        "CREATE INDEX former_names_by_account ON former_names (account_id)",
    ),
    postgres=(
        "CREATE TABLE former_names (name_key TEXT PRIMARY KEY, account_id BIGINT NOT NULL,"
        " name TEXT NOT NULL)",
        "CREATE INDEX former_names_by_account ON former_names (account_id)",
    ),
)

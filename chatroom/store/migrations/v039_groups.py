"""Schema step 39: groups of people, mentioned as one (``@designers``).

``user_groups``: one row per group, its name as written and its key
(names.nick_key, unique: no two groups look alike; accounts are asked too, as
the namespace is one), a description, who created it and when.
``group_members``: who is in which group and since when; a group's deletion
takes its rows. ``group_members_by_account`` finds a reader's groups when
their unread mentions are counted. Nobody had a group before this step.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    39,
    "groups",
    sqlite=(
        "CREATE TABLE user_groups (id INTEGER PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL UNIQUE,"
        " description TEXT NOT NULL, creator_id INTEGER REFERENCES accounts (id), created INTEGER NOT NULL)",
        "CREATE TABLE group_members (group_id INTEGER NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,"
        " account_id INTEGER NOT NULL REFERENCES accounts (id), added INTEGER NOT NULL,"
        " PRIMARY KEY (group_id, account_id))",
        "CREATE INDEX group_members_by_account ON group_members (account_id)",
    ),
    postgres=(
        "CREATE TABLE user_groups (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL,"
        " name_key TEXT NOT NULL UNIQUE, description TEXT NOT NULL,"
        " creator_id BIGINT REFERENCES accounts (id), created BIGINT NOT NULL)",
        "CREATE TABLE group_members (group_id BIGINT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,"
        " account_id BIGINT NOT NULL REFERENCES accounts (id), added BIGINT NOT NULL,"
        " PRIMARY KEY (group_id, account_id))",
        "CREATE INDEX group_members_by_account ON group_members (account_id)",
    ),
)

"""Schema step 12: room reserved under --files-quota-bytes for uploads under way.

An upload reserves its bytes (``upload_reservations``) in the statement that
checks them against the quota, so that uploads arriving at once through any
process or node cannot together pass it; the reservation goes once the file
is stored (or not). One left by a crash stops counting after an hour
(files_base.RESERVATION_MS) and is swept.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    12,
    "room reserved for uploads under way",
    sqlite=(
        "CREATE TABLE upload_reservations (id TEXT PRIMARY KEY, bytes INTEGER NOT NULL,"
        " created INTEGER NOT NULL) WITHOUT ROWID",
    ),
    postgres=(
        "CREATE TABLE upload_reservations (id TEXT PRIMARY KEY, bytes BIGINT NOT NULL,"
        " created BIGINT NOT NULL)",
    ),
)

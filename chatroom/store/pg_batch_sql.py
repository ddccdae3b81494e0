"""The statements a batch of messages runs on PostgreSQL, and the function that runs them in one call.

chatroom/store/pg_batch.py says how a batch takes its rooms' locks, its ids
and its resends with them; this module holds the SQL text only.
"""

from __future__ import annotations

from .file_rows import FILE_COLUMNS

# At most this many expired ``sent`` rows are deleted by one batch.
SENT_CLEANUP_ROWS = 10_000

# Taking the rooms' rows in one order is what keeps two nodes from
# deadlocking: INSERT locks the rows in the order its SELECT yields them.
# A new room's row (last id 0) only outlives the transaction with a message.
TAKE_ROOMS = """
INSERT INTO rooms (room, last_id, key)
SELECT room, 0, key FROM unnest(%s::text[], %s::text[]) AS batch (room, key)
ORDER BY room COLLATE "C"
ON CONFLICT (room) DO UPDATE SET last_id = rooms.last_id
"""
LOCK_ROOMS = TAKE_ROOMS + "RETURNING room, last_id\n"
# Runs after the lock, as a statement of its own: its snapshot then holds
# what another node committed for the same rooms while this batch waited
# (the lock's own statement saw the rooms as they were when it began). One
# statement looks up the resends (``earlier``), numbers the others from the
# locked last ids (``fresh``), and writes the messages, the last ids and
# the sent digests; it answers each message's id, or for a resend its first copy's (``resent``).
STORE = """
WITH batch AS (
  SELECT * FROM unnest(
    %s::text[], %s::text[], %s::text[], %s::bigint[], %s::boolean[], %s::boolean[], %s::bytea[],
    %s::bigint[], %s::bigint[], %s::bigint[], %s::boolean[], %s::text[], %s::text[], %s::text[]
  ) WITH ORDINALITY
    AS b (room, nick, message, ts, bot, guest, digest, account_id, reply_to, thread_id, broadcast, folded,
      file_id, keys, n)
), earlier AS (
  SELECT b.n, m.id FROM batch b JOIN sent s ON s.digest = b.digest AND s.ts > b.ts - %s
  JOIN messages m ON m.room = s.room AND m.id = s.id
), fresh AS (
  SELECT b.room, r.last_id + row_number() OVER (PARTITION BY b.room ORDER BY b.n) AS id,
    b.nick, b.message, b.ts, b.bot, b.guest, b.digest, b.account_id, b.reply_to, b.thread_id, b.broadcast,
    b.folded, b.file_id, b.keys, b.n
  FROM batch b JOIN rooms r ON r.room = b.room
  WHERE b.n NOT IN (SELECT n FROM earlier)
), stored AS (
  INSERT INTO messages (room, id, nick, message, ts, bot, guest, account_id, reply_to, thread_id, broadcast,
    file_id)
  SELECT room, id, nick, message, ts, bot, guest, account_id, reply_to, thread_id, broadcast, file_id
  FROM fresh
), attached AS (
  UPDATE files SET room = fresh.room, message_id = fresh.id FROM fresh WHERE files.id = fresh.file_id
), indexed AS (
  INSERT INTO search_rows (room, id, ts, nick, folded, keys)
  SELECT room, id, ts, nick, folded, array_to_tsvector(string_to_array(keys, ' ')) FROM fresh
), counted AS (
  UPDATE rooms SET last_id = top.last_id
  FROM (SELECT room, max(id) AS last_id FROM fresh GROUP BY room) AS top
  WHERE rooms.room = top.room
), recorded AS (
  INSERT INTO sent (digest, room, id, ts)
  SELECT digest, room, id, ts FROM fresh WHERE digest IS NOT NULL
  ON CONFLICT (digest) DO UPDATE SET room = excluded.room, id = excluded.id, ts = excluded.ts
)
SELECT n, id, false FROM fresh UNION ALL SELECT n, id, true FROM earlier
"""
SET_LAST_IDS = """
UPDATE rooms SET last_id = batch.last_id
FROM unnest(%s::text[], %s::bigint[]) AS batch (room, last_id)
WHERE rooms.room = batch.room
"""
ATTACH_IMPORTED = """
UPDATE files SET room = batch.room, message_id = batch.id
FROM unnest(%s::text[], %s::text[], %s::bigint[]) AS batch (file_id, room, id)
WHERE files.id = batch.file_id
"""
# Locked until the batch commits: of two nodes attaching one file, the second sees it attached.
FILES = f"SELECT {FILE_COLUMNS} FROM files WHERE id = ANY(%s) ORDER BY id FOR UPDATE"
# SKIP LOCKED: the cleanup never waits for another batch, so it cannot close
# a cycle of waits with one.
FORGET_SENT = """
DELETE FROM sent WHERE digest IN
(SELECT digest FROM sent WHERE ts <= %s LIMIT %s FOR UPDATE SKIP LOCKED)
"""


def _numbered(sql: str, first: int) -> str:
    """``sql`` with its ``%s`` placeholders numbered ``$first``, ``$first + 1``..., for a function's body."""
    pieces = sql.split("%s")
    return "".join(piece + (f"${first + i}" if i < len(pieces) - 1 else "") for i, piece in enumerate(pieces))


# The parameters of the function a plain batch calls: the rooms and their
# keys (the lock's), the store statement's, then when to forget sent digests.
_STORED_FROM = 1 + TAKE_ROOMS.count("%s")
_FORGET_FROM = _STORED_FROM + STORE.count("%s")
# The lock and the store are two statements, so the store's snapshot, taken
# once the lock is held, holds what another node committed for the same
# rooms meanwhile, as in the pipeline it replaces; the call is one statement,
# and its transaction is the call's own. One statement instead of four
# pipelined costs chatroom a third less CPU a commit (docs/benchmarks/deployments.md).
_STORE_TYPES = (
    # the lock's: rooms, their keys
    "text[]", "text[]",
    # the store's: a column each of room, nick, message, ts, bot, guest, digest, account_id,
    # reply_to, thread_id, broadcast, folded, file_id and keys, then the resend window
    "text[]", "text[]", "text[]", "bigint[]", "boolean[]", "boolean[]", "bytea[]", "bigint[]",
    "bigint[]", "bigint[]", "boolean[]", "text[]", "text[]", "text[]", "bigint",
    # the cleanup's: digests of this time (ms) or older are forgotten (NULL: none), at most so many
    "bigint", "bigint",
)  # fmt: skip
STORE_FUNCTION = f"""
CREATE FUNCTION pg_temp.chatroom_store({", ".join(_STORE_TYPES)})
RETURNS TABLE (n bigint, id bigint, resent boolean)
LANGUAGE plpgsql AS $body$
#variable_conflict use_column
BEGIN
  {_numbered(TAKE_ROOMS, 1)};
  IF ${_FORGET_FROM} IS NOT NULL THEN
    {_numbered(FORGET_SENT, _FORGET_FROM)};
  END IF;
  RETURN QUERY {_numbered(STORE, _STORED_FROM)};
END
$body$
"""
# The columns go in PostgreSQL's binary array form (%b), each written in one pass by
# chatroom/store/pg_columns.py: psycopg's text arrays quote and escape every element with
# regular expressions, and even its binary lists look up every element's type.
CALL_STORE = f"SELECT * FROM pg_temp.chatroom_store({', '.join(f'%b::{kind}' for kind in _STORE_TYPES)})"

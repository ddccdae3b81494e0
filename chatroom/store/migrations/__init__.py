"""Versioned schema steps, the same numbered steps for SQLite and PostgreSQL.

A database records the last step applied in ``meta`` (key ``schema_version``).
At start every missing step runs, in order, each in its own transaction; a
database with a higher version than this code knows refuses to start. A
database written before versions were recorded (it has the tables of step 1
and no version) is at version 0: step 1 creates nothing it already has.

Each step is a module of this package, ``vNNN_what.py``, holding its SQL for
both dialects. Add a step at the end (and to STEPS below); never edit one
that has been released.
"""

from __future__ import annotations

from ..base import SchemaTooNewError
from . import (
    v001_rooms_messages,
    v002_bots_room_keys,
    v003_accounts,
    v004_webhooks_guest_bars,
    v005_settings_guest_messages,
    v006_changes,
    v007_read_positions,
    v008_push,
    v009_search,
    v010_files,
    v011_search_by_time,
    v012_upload_reservations,
    v013_search_authors,
    v014_search_words,
    v015_search_weeks,
    v016_search_keys,
    v017_search_pairs,
    v018_search_no_positions,
    v019_search_periods,
    v020_rooms_by_kind,
    v021_search_index_by_writer,
    v022_room_posting,
    v023_rooms_everyone_is_in,
    v024_room_topic,
    v025_pins,
    v026_former_names,
    v027_blocks,
    v028_room_bars,
    v029_moderation_acts,
    v030_saved_messages,
    v031_status,
    v032_threads,
    v033_room_mentions,
    v034_scheduled_messages,
    v035_thread_follows,
    v036_custom_emoji,
    v037_reminders,
    v038_link_previews,
    v039_groups,
    v040_polls,
    v041_forwards,
    v042_messages_with_cards,
    v043_session_agents,
    v044_starred_rooms,
)
from .step import Cursor, Step

STEPS: tuple[Step, ...] = (
    v001_rooms_messages.STEP,
    v002_bots_room_keys.STEP,
    v003_accounts.STEP,
    v004_webhooks_guest_bars.STEP,
    v005_settings_guest_messages.STEP,
    v006_changes.STEP,
    v007_read_positions.STEP,
    v008_push.STEP,
    v009_search.STEP,
    v010_files.STEP,
    v011_search_by_time.STEP,
    v012_upload_reservations.STEP,
    v013_search_authors.STEP,
    v014_search_words.STEP,
    v015_search_weeks.STEP,
    v016_search_keys.STEP,
    v017_search_pairs.STEP,
    v018_search_no_positions.STEP,
    v019_search_periods.STEP,
    v020_rooms_by_kind.STEP,
    v021_search_index_by_writer.STEP,
    v022_room_posting.STEP,
    v023_rooms_everyone_is_in.STEP,
    v024_room_topic.STEP,
    v025_pins.STEP,
    v026_former_names.STEP,
    v027_blocks.STEP,
    v028_room_bars.STEP,
    v029_moderation_acts.STEP,
    v030_saved_messages.STEP,
    v031_status.STEP,
    v032_threads.STEP,
    v033_room_mentions.STEP,
    v034_scheduled_messages.STEP,
    v035_thread_follows.STEP,
    v036_custom_emoji.STEP,
    v037_reminders.STEP,
    v038_link_previews.STEP,
    v039_groups.STEP,
    v040_polls.STEP,
    v041_forwards.STEP,
    v042_messages_with_cards.STEP,
    v043_session_agents.STEP,
    v044_starred_rooms.STEP,
)
LATEST = STEPS[-1].version


def pending_steps(current: int, where: str) -> list[Step]:
    """The steps a database at version ``current`` still needs; refuses a newer one."""
    if current > LATEST:
        raise SchemaTooNewError(
            f"the database {where} has schema version {current}, newer than this chatroom's {LATEST}:"
            " run a newer chatroom, or restore a backup"
        )
    return [step for step in STEPS if step.version > current]


__all__ = ["LATEST", "STEPS", "Cursor", "Step", "pending_steps"]

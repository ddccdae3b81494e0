"""Schema step 43: the browser each session was begun in, for its person to tell their devices apart.

``agent`` is the ``User-Agent`` header of the request that signed in (up to
512 characters, sessions_base.AGENT_LENGTH); sessions begun before this
step have none.
"""

from __future__ import annotations

from .step import Step

_AGENT = "ALTER TABLE sessions ADD COLUMN agent TEXT"

STEP = Step(43, "sessions' browsers", sqlite=(_AGENT,), postgres=(_AGENT,))

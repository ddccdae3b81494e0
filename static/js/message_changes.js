// Changes to messages on the page, wired together: edit, delete, reaction,
// pin, vote, close_poll and preview frames (live, and a history frame's ``changes`` after a reconnect)
// applied to the messages they target, in id order; the room's pins; the
// toolbar's actions; jumping to a message (permalinks, replies' quotes).

import {on} from "./connection.js";
import {showSendError} from "./composer.js";
import {configureState, applyChange, refreshOwnReactions, refreshReactionChips} from "./message_state.js";
import {onChangeRefused} from "./change_refusals.js";
import {deletesAny, learnAdministrator, refreshToolbar, toggleReaction, wireMessageActions} from "./message_actions.js";
import {keepingReadersPlace} from "./link_previews.js";
import * as messages from "./messages.js";
import {configurePermalinks, jumpFromAddress, jumpTo, onPage} from "./permalink.js";
import {onPinChange, refreshPins, wirePins} from "./pins.js";
import {offerPolls} from "./poll_form.js";
import {configurePolls, refreshPolls} from "./polls.js";
import {FRAME} from "./protocol.js";
import {onDeleted} from "./reply.js";

const state = {jumpedFromAddress: false};

function onChange(frame) {
  if (!frame || typeof frame.target !== "number") return;
  messages.noteId(frame.id);
  const item = messages.itemById(frame.target);
  if (item && frame.type === FRAME.PREVIEW) return keepingReadersPlace(item, () => applyChange(item, frame));
  if (item) applyChange(item, frame);
  if (frame.type === FRAME.VOTE || frame.type === FRAME.CLOSE_POLL) return;
  if (frame.type !== FRAME.REACTION) onPinChange(frame);
  if (frame.type === FRAME.PIN) refreshToolbar(); // "Pin to this room" turns "Unpin", and back
  if (frame.type !== FRAME.DELETE) return;
  onDeleted(frame.target);
  refreshToolbar(); // a deleted message offers its link alone
}

// After messages.onHistory: a replay's changes, then a pending jump.
export function onHistoryChanges(frame, purpose) {
  if (Array.isArray(frame.changes)) frame.changes.forEach(onChange);
  if (purpose === "page") return onPage();
  if (!state.jumpedFromAddress) {
    state.jumpedFromAddress = true;
    jumpFromAddress();
  }
}

// The server said whether the page is an account's (account_actions.js, showAccountActions),
// perhaps after the history was shown, or the room was archived or brought
// back: what is shown offers what one may do.
export function refreshMessageActions() {
  refreshReactionChips();
  refreshToolbar();
  refreshPolls();
  offerPolls();
  learnAdministrator();
}

// A refused change, said like a refused message; false for other refusals.
export const onRefusedChange = (frame) => onChangeRefused(frame, showSendError);

export function wireChanges() {
  const changeFrames = [FRAME.EDIT, FRAME.DELETE, FRAME.REACTION, FRAME.PIN, FRAME.VOTE, FRAME.CLOSE_POLL, FRAME.PREVIEW];
  for (const type of changeFrames) on(type, onChange);
  on(FRAME.WELCOME, refreshOwnReactions);
  on(FRAME.WELCOME, refreshPolls); // one's own choices are marked once the server named us
  configurePolls({deletesAny});
  on(FRAME.WELCOME, refreshPins); // what was pinned while the page was away, too
  wirePins();
  configureState({toggle: toggleReaction, jump: jumpTo});
  configurePermalinks({
    itemById: messages.itemById,
    oldestId: messages.oldestId,
    hasEarlier: messages.hasEarlier,
    requestEarlier: messages.requestEarlier,
    notFound: () => showSendError("That message is not in this room's history any more."),
  });
  wireMessageActions();
  window.addEventListener("hashchange", jumpFromAddress);
}

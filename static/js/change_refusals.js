// Refused changes to messages (edit, delete, react, pin), said in words: the toolbar's changes go
// out with refs of their own (REF_PREFIX), so their refusals are told from a message's.

import {ERROR} from "./protocol.js";
import {session} from "./session.js";

export const REF_PREFIX = "c";

const isChangeRef = (ref) => typeof ref === "string" && ref.startsWith(REF_PREFIX + "-");

// A refused change, said under the message box; false for a frame that is not one.
export function onChangeRefused(frame, say) {
  if (!isChangeRef(frame.ref)) return false;
  const why = {
    [ERROR.NO_MESSAGE]: "That message is no longer there: it was deleted.",
    [ERROR.READ_ONLY]: session.listening
      ? "Only the room's owner and administrators post here: messages cannot be edited or pinned."
      : "This room is archived: its messages cannot be changed.",
    [ERROR.RATE_LIMITED]: "Too many changes at once: wait a moment and try again.",
    [ERROR.TOO_MANY_PINS]: "This room has 50 pinned messages already: unpin one first.",
  };
  say(why[frame.code] || `The change was refused: ${frame.message || frame.code}.`);
  return true;
}

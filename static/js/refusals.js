// What each refusal means to the person, and what to do about it.

import {ERROR, MAX_MESSAGE_CHARS} from "./protocol.js";
import {session} from "./session.js";

const HELP = {
  [ERROR.RATE_LIMITED]: () =>
    "You are sending messages too fast. Wait a moment, then press Enter again: your message is still in the box.",
  [ERROR.TOO_LONG]: (m) =>
    `That message is too long (${m || "at most " + MAX_MESSAGE_CHARS + " characters"}). Shorten it or split it into several messages.`,
  [ERROR.EMPTY]: () => "There is nothing to send: type a message first.",
  // The server says whether someone in the room has the nick or it is an account's name (sign in, then).
  [ERROR.NICK_TAKEN]: (m) => (m ? sentence(m) : "That nick is taken. Pick another one."),
  [ERROR.BAD_NAME]: (m) =>
    `That name is not allowed: ${m || "use letters, digits, single spaces, - _ and ."}. Pick another one.`,
  [ERROR.UNAUTHORIZED]: () =>
    "Your access token was refused (missing, invalid or expired). Paste a fresh token to join.",
  [ERROR.UNAVAILABLE]: () =>
    "The server cannot store messages right now. Your message is still in the box: try again in a moment.",
  [ERROR.BAD_REQUEST]: (m) =>
    `The server did not accept that message${m ? " (" + m + ")" : ""}. Edit it and try again.`,
  [ERROR.BAD_JSON]: () => "The server could not read what this page sent. Reload the page and try again.",
  [ERROR.READ_ONLY]: () =>
    session.listening
      ? "Only the room's owner and administrators post here. Your message is still in the box."
      : "This room is archived: it can be read, not written to. Your message is still in the box.",
  [ERROR.FORBIDDEN]: () => "You are no longer a member of this room. Pick another room.",
  [ERROR.NOT_FOUND]: () => "This room doesn't exist, or you are not a member of it. Pick another room.",
  // The server names who blocked one: a name keeps its case.
  [ERROR.BLOCKED]: (m) => `${m || "This person does not take messages from you"}. Your message was not sent.`,
  [ERROR.ROOM_MENTION_FORBIDDEN]: () =>
    "Only the room's owner and administrators notify the whole room with @room or @here. Your message is still in the box.",
  [ERROR.BINARY]: () => "The server only accepts text. Reload the page and try again.",
};

// The server's words as a sentence: capitalised, with a full stop.
function sentence(text) {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${text.endsWith(".") ? "" : "."}`;
}

// The refusal ``code`` in words; ``message`` is the server's own, used where it adds detail.
export function explain(code, message) {
  const help = Object.hasOwn(HELP, code) ? HELP[code] : () => message || "The server refused that.";
  return help(typeof message === "string" ? message : "");
}

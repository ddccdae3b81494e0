// The wire protocol as the page speaks it (docs/protocol.md): name rules,
// limits, frame types, error codes and close codes, from this one place.
// The name rules mirror chatroom/names.py so that the page can explain a
// name the server would refuse before it asks; the server has the last word
// (it also refuses look-alikes, which the page cannot judge).

export const MAX_ROOM_CHARS = 64;
export const MAX_NICK_CHARS = 32;
export const MAX_MESSAGE_CHARS = 4000;
export const MAX_REF_CHARS = 64;
export const HISTORY_PAGE = 50; // what a history request asks for (the server allows up to 200)

// Frame types, both ways.
export const FRAME = Object.freeze({
  WELCOME: "welcome",
  HISTORY: "history",
  USER: "user",
  SYS: "sys",
  PRESENCE: "presence",
  TYPING: "typing",
  ACK: "ack",
  ERROR: "error",
  ROOM: "room", // a room one may see was created or changed (version 2)
  ROOM_GONE: "room_gone", // a room is no longer one's to see (version 2)
  EDIT: "edit", // a message's new text, both ways (version 2)
  DELETE: "delete", // a message deleted, both ways (version 2)
  REACTION: "reaction", // a reaction put on or taken back (version 2)
  REACT: "react", // client to server: put on or take back one's reaction (version 2)
  PIN: "pin", // a message pinned to its room or unpinned, both ways (version 2)
  VOTE: "vote", // a poll's option chosen or taken back, both ways (version 2)
  CLOSE_POLL: "close_poll", // a poll closed, both ways (version 2)
  PREVIEW: "preview", // a message's link previews came, or were removed (version 2)
  REMOVE_PREVIEW: "remove_preview", // client to server: remove a message's link previews (version 2)
  UNREAD: "unread", // one's counts in a room changed (version 2)
  PEER: "peer", // whether another person of this direct room is online anywhere (version 2)
  AVATAR: "avatar", // someone's profile picture changed (version 2)
  BLOCK: "block", // one blocked or unblocked someone, in another tab (version 2)
  ADMIN: "admin", // someone was made an administrator, or no longer is one (version 2)
  STATUS: "status", // someone set or cleared their status (version 2)
  DND: "dnd", // someone paused or resumed their notifications (version 2)
  SAVED: "saved", // one saved a message or unsaved it, in this or another tab (version 2)
  STARRED: "starred", // one starred a room or unstarred it, in this or another tab (version 2)
  EMOJI: "emoji", // a custom emoji was added or removed on the server (version 2)
  THREAD: "thread", // one followed, unfollowed or read a thread, in this or another tab (version 2)
  THREAD_REPLY: "thread_reply", // a reply in a thread one follows (version 2)
  SCHEDULED: "scheduled", // one's scheduled messages changed, in this or another tab, or one was sent
  REMINDER: "reminder", // one's reminders changed, in this or another tab, or one fell due
  GROUP: "group", // a group was created, changed or deleted (version 2)
  MESSAGE: "message", // client to server
});

// Error codes carried by error frames.
export const ERROR = Object.freeze({
  BAD_JSON: "bad_json",
  BAD_REQUEST: "bad_request",
  EMPTY: "empty",
  TOO_LONG: "too_long",
  RATE_LIMITED: "rate_limited",
  BINARY: "binary",
  UNAVAILABLE: "unavailable",
  BAD_NAME: "bad_name",
  NICK_TAKEN: "nick_taken",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not_found",
  READ_ONLY: "read_only",
  NO_MESSAGE: "no_message", // a change to a message the room does not have (version 2)
  TOO_MANY_PINS: "too_many_pins", // a pin past the room's 50 (version 2)
  BAD_THREAD: "bad_thread", // a thread reply to no message that takes one (version 2)
  BLOCKED: "blocked", // the other person of this direct conversation blocked one (version 2)
  ROOM_MENTION_FORBIDDEN: "room_mention_forbidden", // @room where only its managers may (version 2)
});

// Close codes (docs/protocol.md, "Closing").
export const CLOSE = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY_VIOLATION: 1008,
  TOO_BIG: 1009,
  RECONNECT: 1012, // come back now: one's account was renamed, or its session renewed
  TRY_AGAIN_LATER: 1013,
  BAD_NAME: 4400,
  UNAUTHORIZED: 4401,
  FORBIDDEN: 4403,
  NOT_FOUND: 4404,
  NICK_TAKEN: 4409,
});

// After these, reconnecting cannot help: the person must choose again.
export const ERROR_FOR_CLOSE = Object.freeze({
  [CLOSE.BAD_NAME]: ERROR.BAD_NAME,
  [CLOSE.UNAUTHORIZED]: ERROR.UNAUTHORIZED,
  [CLOSE.NICK_TAKEN]: ERROR.NICK_TAKEN,
  [CLOSE.FORBIDDEN]: ERROR.FORBIDDEN,
  [CLOSE.NOT_FOUND]: ERROR.NOT_FOUND,
});

// Refusals of the room itself (taken out of it, or it is not one's to see): choose another room.
export const ROOM_ERRORS = new Set([ERROR.FORBIDDEN, ERROR.NOT_FOUND]);

// Refusals of who one is (the nick or the token), answered by choosing again.
export const IDENTITY_ERRORS = new Set([ERROR.BAD_NAME, ERROR.NICK_TAKEN, ERROR.UNAUTHORIZED]);

// --- names -------------------------------------------------------------------

// Letters and digits of any script, then also combining marks and - _ .
const ROOM_RULE = /^[\p{L}\p{Nd}][\p{L}\p{Nd}\p{M}_.-]*$/u;
// The same, in words separated by single spaces.
const NICK_RULE = /^[\p{L}\p{Nd}][\p{L}\p{Nd}\p{M}_.-]*(?: [\p{L}\p{Nd}\p{M}_.-]+)*$/u;

export const codePoints = (text) => [...text].length;

// Nicks are compared without case (the server also folds look-alikes).
export const nickKey = (nick) => nick.toLowerCase();

// What the server's PRECIS enforcement does first: trim, NFKC, one space for a run.
export function normalizeNick(raw) {
  return raw.trim().normalize("NFKC").replace(/\s+/gu, " ");
}

export function normalizeRoom(raw) {
  return raw.trim().normalize("NFKC");
}

// Why a room name would be refused, in words; "" when it would not.
export function roomProblem(room) {
  const length = codePoints(room);
  if (length < 1 || length > MAX_ROOM_CHARS) return `a room name has 1 to ${MAX_ROOM_CHARS} characters`;
  if (!ROOM_RULE.test(room)) return "a room name is letters, digits, - _ and ., starting with a letter or digit";
  return "";
}

// Why a nick would be refused, in words; "" when it would not (an empty nick asks for a guest name).
export function nickProblem(nick) {
  if (codePoints(nick) > MAX_NICK_CHARS) return `a nick has at most ${MAX_NICK_CHARS} characters`;
  if (!NICK_RULE.test(nick)) {
    return "a nick is letters, digits, single spaces, - _ and ., starting with a letter or digit";
  }
  return "";
}

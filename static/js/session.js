// Who this page is and where: the room, the nick asked for and the one the
// server gave, the token when the server requires one, and whether the
// socket is live. Remembered across visits in the browser's storage.

import {nickKey, normalizeRoom} from "./protocol.js";

const NICK_KEY = "chatroom.nick";
const TOKEN_KEY = "chatroom.token";
const GUEST_KEY = "chatroom.guest-key";

const data = document.body.dataset;

export const session = {
  room: normalizeRoom(data.room || "lobby"),
  // The account signed in with this browser's session cookie, if any: its
  // name is the nick, and no prompt asks for one.
  account: data.accountName
    ? {id: Number(data.accountId), name: data.accountName, color: data.accountColor, admin: data.accountAdmin === "yes"}
    : null,
  signInOffered: data.signIn === "offered",
  jwtRequired: document.body.dataset.jwt === "required",
  nick: null, // what we ask for; "" asks the server for a guest nick
  myNick: "", // what the server gave us
  myGuest: false, // whether the server holds it as a guest's (its welcome's ``guests``)
  token: "",
  connected: false,
  roomLabel: "", // how the room is called: its title, or a direct room's people
  isAccount: false, // signed in with an account (not a guest): may create and manage rooms
  readOnly: false, // the room is archived: it can be read, not written to
  // Only the room's owner and administrators post in it, and this page's person is not one (room_voice.js).
  listening: false,
  roomMissing: false, // the room does not exist, or is not one's to see: nothing to show here
  barred: false, // its owner or an administrator barred this account from the room (room_bars.js)
  // Reconnecting cannot help (a refused name or token): the person must act.
  mustAct: false,
  // Signing out from this page: the socket's closing is expected.
  leaving: false,
  // Why the server ended this account's session (deactivated, signed out everywhere).
  endedBecause: "",
};

// Whether messages may be written here (replies and edits too): not in an archived room, nor in one
// that is not one's to see, nor where only the room's owner and administrators post, for the others.
export const mayWrite = () => !session.readOnly && !session.roomMissing && !session.listening;

// Whether this page may react to and delete messages (its own, or any as an administrator): an
// account's, in a room that is not archived (where only its managers post, the others react too).
export const mayChangeMessages = () => session.isAccount && !session.readOnly && !session.roomMissing;

export function isOwn(nick) {
  return session.myNick !== "" && nickKey(nick) === nickKey(session.myNick);
}

// Whether a message (a user frame, or a shown message's data set) is ours.
// The server says so in the history it sends an account ("own": judged by
// account id); a user frame carries no account id (docs/protocol.md,
// "Receiving"), so a live message is ours under our nick and of our kind of
// author. A message posted through the HTTP API says "bot": it is never ours,
// even under our nick. A guest's is never an account's own, nor an
// account's a guest's, whatever the nick (a guest once called "ann", an
// account that later took the name).
export function isOwnMessage({nick, bot, guest, own}) {
  if (own === true) return true;
  return !bot && Boolean(guest) === session.myGuest && isOwn(nick);
}

export function rememberIdentity() {
  try {
    if (session.account) return;
    if (!session.jwtRequired && session.nick !== null) localStorage.setItem(NICK_KEY, session.nick);
    if (session.jwtRequired && session.token) sessionStorage.setItem(TOKEN_KEY, session.token);
  } catch {
    // Storage can be full or switched off (private windows): then we ask again next time.
  }
}

// The nick or token remembered from before, if any.
export function recallIdentity() {
  if (session.account) session.nick = session.account.name;
  else if (session.jwtRequired) session.token = takeTokenFromAddress();
  else session.nick = readStorage(localStorage, NICK_KEY);
}

// A token in the address bar is taken once, then removed from it, so it is
// not left in the history or shared with a copied link.
function takeTokenFromAddress() {
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  if (token === null) return readStorage(sessionStorage, TOKEN_KEY) || "";
  params.delete("token");
  const query = params.toString();
  history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
  return token;
}

// A guest's secret, this browser's, kept beside the nick it remembers: every connection of its tabs
// presents it, so the server lets them share the guest's nick, and a tab back from a lost connection
// the server has not seen go yet is let in at once.
let heldGuestKey = "";
export function guestKey() {
  if (!heldGuestKey) {
    const kept = readStorage(localStorage, GUEST_KEY);
    // One the server would refuse (edited by hand, say) is replaced, not sent.
    heldGuestKey = kept && /^[A-Za-z0-9_-]{16,128}$/.test(kept) ? kept : newGuestKey();
  }
  return heldGuestKey;
}

function newGuestKey() {
  const random = String.fromCharCode(...crypto.getRandomValues(new Uint8Array(18)));
  const key = btoa(random).replaceAll("+", "-").replaceAll("/", "_"); // 24 characters, URL-safe
  try {
    localStorage.setItem(GUEST_KEY, key);
  } catch {
    // Storage switched off: the key lasts as long as the page, which is what a reconnect needs.
  }
  return key;
}

function readStorage(storage, key) {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

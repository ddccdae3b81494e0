// Unread counts and notifications (docs/protocol.md, "Unread counts"): the
// counts of each room the server listed or told us of, the badges the room
// list shows, marking the open room read once its newest message is seen
// (the page visible, the list at the bottom), the per-room notification
// level, and browser notifications for mentions and direct messages while
// the page is hidden. Accounts only: a guest keeps no read position, so its
// page shows no counts and sends no marks.

import {apiCall} from "./api.js";
import {isBlocked} from "./blocks.js";
import {sendFrame} from "./connection.js";
import {element} from "./dom.js";
import {fileLabel, fileOf} from "./file_view.js";
import {FRAME} from "./protocol.js";
import {session} from "./session.js";
import {chime} from "./sound.js";
import {ownPaused} from "./status.js";

const MARK_DELAY_MS = 250; // marks of a reader scrolling through a burst go as one
const SHOWN_CAP = 99; // above it the badge says "99+"
const NOTIFY_TEXT_CHARS = 140;

const state = {
  counts: new Map(), // room -> {unread, mentions, read_id, notify}
  markedUpTo: 0, // the highest id this page marked read in its room
  held: false, // the person marked the open room unread: this page marks it read no more
  markTimer: 0,
  changed: () => {}, // the room list redraws
  openRoom: () => {}, // a notification's room is opened
  seenUpTo: () => 0, // the newest id the open room's list holds
  seeingNewest: () => false, // the list is at its bottom
  kindOf: () => "open", // a room's kind, as the room list knows it
};

export function configureUnread(hooks) {
  Object.assign(state, hooks);
}

const following = () => session.isAccount || session.account !== null;

// The person's notification level for a room, as the server last told this page.
export const notifyLevel = (room) => state.counts.get(room)?.notify || "all";

// --- counts --------------------------------------------------------------------

const countsFields = (entry) => ({
  unread: Number(entry.unread) || 0,
  mentions: Number(entry.mentions) || 0,
  read_id: typeof entry.read_id === "number" ? entry.read_id : -1,
  notify: typeof entry.notify === "string" ? entry.notify : "all",
});

// A page of the rooms list: what it says of each room's counts (newer marks told by frames win).
export function learnCounts(rooms) {
  for (const entry of rooms) {
    if (!entry || typeof entry.room !== "string" || !("unread" in entry)) continue;
    const known = state.counts.get(entry.room);
    const fresh = countsFields(entry);
    if (!known || fresh.read_id >= known.read_id) state.counts.set(entry.room, fresh);
  }
}

// What the room list shows for a room: null when nothing is counted.
export function countsOf(room) {
  const counts = state.counts.get(room);
  if (!counts) return null;
  const muted = counts.notify === "muted";
  return {unread: muted ? 0 : counts.unread, mentions: counts.mentions, notify: counts.notify};
}

export const levelOf = (room) => (state.counts.get(room) || {notify: "all"}).notify;

const shown = (n) => (n > SHOWN_CAP ? `${SHOWN_CAP}+` : String(n));

// The badges of a room in the list: unread (not for a muted room) and mentions, apart.
export function badges(counts) {
  const out = [];
  if (!counts) return out;
  if (counts.mentions) out.push(element("span", "badge mention", "@" + shown(counts.mentions)));
  if (counts.unread) out.push(element("span", "badge unread", shown(counts.unread)));
  return out;
}

export function badgeWords(counts) {
  if (!counts) return "";
  const parts = [];
  if (counts.unread) parts.push(`${shown(counts.unread)} unread`);
  if (counts.mentions) parts.push(counts.mentions === 1 ? "1 mention" : `${shown(counts.mentions)} mentions`);
  return parts.join(", ");
}

// An ``unread`` frame: a room's counts changed (a new message, a read in another tab, a level chosen).
export function onUnread(frame) {
  if (typeof frame.room !== "string") return;
  const before = state.counts.get(frame.room);
  const after = countsFields(frame);
  const back = frame.back === true; // marked unread (here or in another tab): the position went back
  if (before && after.read_id < before.read_id && !back) return; // an older mark overtaken by a newer one
  state.counts.set(frame.room, after);
  if (frame.room === session.room && back) holdUnread(after.read_id);
  else if (frame.room === session.room) state.markedUpTo = Math.max(state.markedUpTo, after.read_id);
  maybeNotify(frame.room, before, after);
  state.changed();
}

// --- marking read ------------------------------------------------------------------

// The open room is read up to its newest message when that is on screen: say so, once, soon.
// (A guest's page sends them too, before it knows it is one: the server drops a guest's marks.)
export function markSeenSoon() {
  clearTimeout(state.markTimer);
  state.markTimer = setTimeout(markSeen, MARK_DELAY_MS);
}

function markSeen() {
  const newest = state.seenUpTo();
  if (state.held || document.hidden || !state.seeingNewest() || newest <= state.markedUpTo) return;
  if (sendFrame({type: "read", id: newest})) state.markedUpTo = newest;
}

// A new connection: the server may know a higher mark than this page (another tab), never a lower one.
export function onReconnected() {
  state.markedUpTo = 0;
  markSeenSoon();
}

// --- marking unread -------------------------------------------------------------------------

// The open room's message ``id`` and every one after it are unread again, for every tab of the person
// (docs/protocol.md, "Unread counts"). As in Slack, the room stays so until it is opened again: a page
// showing it, this one included, no longer marks it read as its newest message shows.
export async function markUnreadFrom(id) {
  const answer = await apiCall("PUT", `/api/rooms/${encodeURIComponent(session.room)}/unread`, {from: id});
  if (answer.ok && answer.body) onUnread({...answer.body, type: FRAME.UNREAD, back: true});
  return answer;
}

function holdUnread(readId) {
  state.held = true;
  state.markedUpTo = readId;
  clearTimeout(state.markTimer);
}

// --- every room read -----------------------------------------------------------------------

// The rooms this page shows something unread for (a badge in the list), the open one too.
export const roomsWithUnread = () => [...state.counts.keys()].filter((room) => badgeWords(countsOf(room)));

// Every room the person follows read up to its newest message, those beyond the rooms list's page too,
// in one request (POST /api/me/read); every tab of theirs gets an ``unread`` frame for each room that
// moved, and the answer brings them here at once. Whether it went.
export async function markEverythingRead() {
  const answer = await apiCall("POST", "/api/me/read");
  if (!answer.ok || !Array.isArray(answer.body && answer.body.rooms)) return false;
  for (const counts of answer.body.rooms) {
    if (!counts || typeof counts.room !== "string") continue;
    if (counts.room === session.room) state.held = false; // read on purpose: the page marks it read again
    onUnread({...counts, type: FRAME.UNREAD});
  }
  return true;
}

// --- the notification level ------------------------------------------------------------

// Stored on the server; every tab of the account hears of it (an ``unread`` frame).
export async function chooseLevel(room, level) {
  const path = `/api/rooms/${encodeURIComponent(room)}/notify`;
  const answer = await apiCall("PUT", path, {level});
  if (answer.ok && answer.body) onUnread({...answer.body, type: FRAME.UNREAD});
  return answer;
}

// --- browser notifications ---------------------------------------------------------------

const canNotify = () => "Notification" in window;

// Whether to offer "Turn on notifications": an account, a browser that can, a question not yet answered.
export const mayOffer = () => following() && canNotify() && Notification.permission === "default";

export async function askPermission() {
  if (!canNotify()) return "denied";
  return Notification.requestPermission();
}

// A mention, or a new message in a direct room, while the page is hidden, in a room not muted
// (a room at "mentions" only for mentions).
function worthNotifying(before, after) {
  if (!document.hidden || !canNotify() || Notification.permission !== "granted") return false;
  if (ownPaused()) return false; // "do not disturb": counted, not announced (static/js/status.js)
  if (after.notify === "muted" || !before || after.read_id !== before.read_id) return false;
  if (after.mentions > before.mentions) return true;
  return after.notify === "all" && after.direct && after.unread > before.unread;
}

// A message's text, or for a message that is only a file, the file's name.
function summary(message) {
  const file = fileOf(message);
  return !message.message && file ? fileLabel(file.name) : String(message.message);
}

async function maybeNotify(room, before, after) {
  const direct = state.kindOf(room) === "direct";
  if (!worthNotifying(before, {...after, direct})) return;
  const answer = await apiCall("GET", `/api/rooms/${encodeURIComponent(room)}/messages?limit=1`);
  const newest = answer.ok && answer.body && Array.isArray(answer.body.messages) ? answer.body.messages.at(-1) : null;
  if (!newest || typeof newest.nick !== "string" || isBlocked(newest.nick)) return;
  const mentioned = after.mentions > before.mentions;
  const where = direct ? "" : ` in #${room}`;
  const title = mentioned ? `${newest.nick} mentioned you${where}` : `${newest.nick}${where}`;
  // One notification per room: another tab of the same person replaces it rather than adding one.
  const notice = new Notification(title, {body: summary(newest).slice(0, NOTIFY_TEXT_CHARS), tag: `chatroom:${room}`});
  chime();
  notice.addEventListener("click", () => {
    window.focus();
    notice.close();
    state.openRoom(room);
  });
}

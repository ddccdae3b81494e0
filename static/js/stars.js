// Starred rooms (docs/protocol.md, "Version 2: starred rooms"): the rooms a
// person keeps at the top of their rooms list, in a "Starred" group of their
// own, whichever page of rooms the list holds; the ☆ beside the room's name
// (on a wide screen) and "Starred" in its settings star or unstar the room
// shown. A person's page learns it may star from the rooms list (a person's
// entries say whether each is starred), reads its starred rooms beyond that
// page from GET /api/me/starred, and follows the ``starred`` frames of its
// other tabs and devices. A frame is newer than a list asked before it came
// (told.js): the list leaves alone what it told.

import {apiCall, failure} from "./api.js";
import {announce, ui} from "./dom.js";
import {session} from "./session.js";
import {frameTold, keepTold, lookupAsked, toldSince} from "./told.js";
import {learnCounts} from "./unread.js";

const stars = {
  mayStar: false, // the rooms list said this page speaks for a person
  rooms: new Set(), // the names of the rooms starred
  entries: [], // the starred rooms' entries, as GET /api/me/starred last gave them
  asked: 0, // numbers the requests of the list, so that a late answer is dropped
};

const hooks = {
  changed: () => {}, // the rooms list draws itself again (rooms.js)
  problem: (text) => announce(text), // a star that did not go: said under the message box (app.js)
};

export function configureStars(given) {
  Object.assign(hooks, given);
}

const starPath = (room) => `/api/me/starred/${encodeURIComponent(room)}`;

export const isStarred = (room) => stars.rooms.has(room);

// Whether this page speaks for a person, who may star rooms.
export const mayStar = () => stars.mayStar;

// The starred rooms' entries, for the rooms list to draw those beyond its page.
export const starredEntries = () => stars.entries.filter((entry) => stars.rooms.has(entry.room));

// A page of GET /api/rooms, asked at ``asked`` (told.js): a person's entries say whether each room is
// starred, but for those a frame told of since.
export function learnStars(entries, asked) {
  const marked = entries.filter((entry) => entry && typeof entry.starred === "boolean");
  if (!marked.length) return;
  stars.mayStar = true;
  for (const entry of marked) if (!toldSince("starred", entry.room, asked)) mark(entry.room, entry.starred);
}

function mark(room, starred) {
  if (starred) stars.rooms.add(room);
  else stars.rooms.delete(room);
}

// Every starred room one may see, with its counts; the list draws again with them.
export async function refreshStarred() {
  if (!stars.mayStar) return;
  const asked = ++stars.asked;
  const since = lookupAsked();
  const answer = await apiCall("GET", "/api/me/starred");
  const rooms = answer.ok && Array.isArray(answer.body && answer.body.rooms) ? answer.body.rooms : null;
  if (!rooms || asked !== stars.asked) return; // the list is a convenience: it works without them
  const fresh = new Map(rooms.filter((entry) => entry && typeof entry.room === "string").map((e) => [e.room, e]));
  // Starred now (a room taken away keeps its star, without an entry), for what a frame told since.
  const now = new Map([...stars.rooms].map((room) => [room, stars.entries.find((e) => e.room === room) || null]));
  const kept = keepTold("starred", since, fresh, now);
  stars.rooms = new Set(kept.keys());
  stars.entries = [...kept.values()].filter(Boolean);
  learnCounts(stars.entries);
  hooks.changed();
}

// A ``room_gone`` frame: the room is no longer one's to see. Its star stays (the server keeps it, and
// lists the room again if it comes back), its entry goes.
export function forgetStarredEntry(room) {
  frameTold("starred", room);
  stars.entries = stars.entries.filter((entry) => entry.room !== room);
}

// A ``starred`` frame: this person starred or unstarred a room, here or elsewhere.
export function onStarredFrame(frame) {
  if (typeof frame.room !== "string" || typeof frame.starred !== "boolean") return;
  stars.mayStar = true;
  frameTold("starred", frame.room);
  mark(frame.room, frame.starred);
  hooks.changed();
  // A room starred elsewhere may lie beyond the page of rooms: its entry comes with the list.
  if (frame.starred && !stars.entries.some((entry) => entry.room === frame.room)) refreshStarred();
}

// The ☆ beside the room's name: for a person, in a room there is (``entry``: its entry, once known).
export function showStar(entry) {
  ui.starRoom.hidden = !stars.mayStar || !entry || session.roomMissing;
  const starred = isStarred(session.room);
  ui.starRoom.setAttribute("aria-pressed", String(starred));
  ui.starRoom.title = starred ? "Unstar this room" : "Star this room: keep it at the top of your rooms";
  ui.starRoom.firstElementChild.textContent = starred ? "★" : "☆";
}

// Star the room or unstar it (``starring``); the server's answer.
export async function starRoom(room, starring) {
  const answer = await apiCall(starring ? "PUT" : "DELETE", starPath(room));
  if (!answer.ok) return answer;
  frameTold("starred", room); // stored: a list asked before now may not have it yet
  mark(room, starring);
  hooks.changed();
  announce(starring ? "Starred: this room stays at the top of your rooms." : "No longer starred.");
  return answer;
}

async function toggleStar() {
  const answer = await starRoom(session.room, !isStarred(session.room));
  if (!answer.ok) hooks.problem(failure(answer));
}

export function wireStars() {
  ui.starRoom.addEventListener("click", toggleStar);
}

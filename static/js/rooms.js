// Room navigation: one list of rooms, in groups (the rooms one starred, open
// rooms, closed rooms, direct messages; a group shows only when it has
// rooms), a search by the start of a name, a form to join or create one, in a side panel on a wide
// screen and a drawer on a phone. It holds one page of GET /api/rooms:
// never thousands of elements, however many rooms the server has. The
// server's ``room`` and ``room_gone`` frames keep it live; a direct room is
// shown by the names of the other people in it, an announcements or archived room marked so.
// The current room's entry is kept apart from the page of rooms (it may be
// beyond it): whether it is archived decides whether the page may write.

import {apiCall, roomUrl} from "./api.js";
import {PRESENCE_WORDS, directPresence, othersIn, presenceDot, showDirectPresence} from "./direct_presence.js";
import {element, textNode, ui} from "./dom.js";
import {hasDraft} from "./drafts.js";
import {wireDrawer} from "./drawer.js";
import {nickKey, normalizeRoom, roomProblem} from "./protocol.js";
import {updateTitle} from "./messages.js";
import {onlineNow} from "./people.js";
import {markWords, roomMarks} from "./room_marks.js";
import {showTopic} from "./room_topic.js";
import {showVoice} from "./room_voice.js";
import {session} from "./session.js";
import {forgetStarredEntry, isStarred, learnStars, refreshStarred, showStar, starredEntries} from "./stars.js";
import {statusMark} from "./status.js";
import {lookupAsked} from "./told.js";
import {askPermission, badgeWords, badges, countsOf, learnCounts, mayOffer} from "./unread.js";

export const ROOMS_SHOWN = 50; // one page of GET /api/rooms
const ROOM_SEARCH_DELAY_MS = 250;
// Frames keep the list's rooms live, but not how many are online in rooms other than this one:
// while the page is looked at, the list is asked for again this often (one request a minute).
const ROOM_COUNTS_EVERY_MS = 60000;

// The groups, in the order shown. A starred room is in the first (stars.js);
// else a room's ``kind`` says which it is in, and a room without one is open.
const GROUPS = [
  {kind: "starred", title: "Starred"},
  {kind: "open", title: "Open rooms"},
  {kind: "closed", title: "Closed rooms"},
  {kind: "direct", title: "Direct messages"},
];

const nav = {
  rooms: [],
  current: null, // the current room's entry, from the list or on its own; null until the server gave it
  lookedUp: new Map(), // room -> the promise of its entry (or null), for rooms beyond the page
  meanwhile: new Map(), // room -> entry (null: gone) from frames that came while the page of rooms was asked for
  drawn: "",
  more: false, // the server has rooms beyond the page shown
  prefix: "", // what the search box asked the server for
  asked: 0, // numbers the requests, so that a late answer is dropped
  searchTimer: 0,
};

const hooks = {
  mayChangeMessages: () => {}, // what messages may be added or changed here turned (room_voice.js)
};

export function configureRooms(given) {
  Object.assign(hooks, given);
}

export function goToRoom(raw) {
  const room = normalizeRoom(raw);
  const problem = roomProblem(room);
  if (problem) {
    ui.roomError.textContent = `That room name does not work: ${problem}.`;
    ui.roomName.focus();
    return;
  }
  location.assign(roomUrl(room));
}

// How a room is called on the page: the other people of a direct room, else
// its title (its name when it has none), as "#name".
export function roomLabel(entry) {
  if (!entry) return "#" + session.room;
  if (entry.kind === "direct" && Array.isArray(entry.members)) {
    const others = othersIn(entry);
    return others.length ? others.join(", ") : "Only you";
  }
  return "#" + (typeof entry.title === "string" && entry.title ? entry.title : entry.room);
}

// A room's kind as the list knows it ("open" when it does not).
export const roomKind = (room) => {
  const entry = nav.rooms.find((r) => r && r.room === room);
  return entry ? kindOf(entry) : "open";
};

// The page of rooms the list holds, and the starred ones beyond it (the quick switcher filters them).
export const listedRooms = () => withStarred(nav.rooms.filter((r) => r && typeof r.room === "string"));

function withStarred(rooms) {
  const listed = new Set(rooms.map((r) => r.room));
  return [...rooms, ...starredEntries().filter((r) => !listed.has(r.room))];
}

// The current room's entry, once the server gave it.
export const currentEntry = () => nav.current;

// A room's entry as the rooms list has it, the server asked once for a room
// beyond the page shown; null when it is not one's to see.
export function roomEntry(room) {
  const known = room === session.room ? nav.current : nav.rooms.find((r) => r && r.room === room);
  if (known) return Promise.resolve(known);
  if (!nav.lookedUp.has(room)) nav.lookedUp.set(room, lookUpRoom(room));
  return nav.lookedUp.get(room);
}

async function lookUpRoom(room) {
  const answer = await apiCall("GET", "/api/rooms?" + new URLSearchParams({prefix: room, limit: "1"}));
  const rooms = answer.ok && Array.isArray(answer.body && answer.body.rooms) ? answer.body.rooms : null;
  if (!rooms) nav.lookedUp.delete(room); // asked again next time
  return (rooms || []).find((r) => r && r.room === room) || null;
}

const kindOf = (room) => (GROUPS.some((g) => g.kind === room.kind) ? room.kind : "open");
const byName = (a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0);

// The page of rooms the server gave, with the current room always in it
// (unless it is not one's to see); its count comes from our own online list,
// which is live.
function entries(rooms) {
  const listed = withStarred(rooms.filter((r) => r && typeof r.room === "string"));
  const current = nav.current;
  const others = listed.filter((r) => r.room !== session.room);
  const here = {...(current || {}), room: session.room, online: onlineNow()};
  if (current && !session.connected) here.online = current.online;
  return [...others, ...(session.roomMissing ? [] : [here])]
    .filter((r) => r.room.startsWith(nav.prefix))
    .map((r) => ({
      room: r.room,
      online: Number(r.online) || 0,
      kind: kindOf(r),
      group: isStarred(r.room) ? "starred" : kindOf(r),
      label: roomLabel(r),
      archived: r.archived === true,
      announcements: r.posting === "managers",
      counts: countsOf(r.room),
      presence: directPresence(r),
      person: kindOf(r) === "direct" && Array.isArray(r.members) && othersIn(r).length === 1 ? othersIn(r)[0] : "",
      draft: r.room !== session.room && hasDraft(r.room), // this room's is in the box
    }))
    .sort(byName);
}

// Each shown room's list item and each group's section are kept from one
// drawing to the next and changed in place: a click whose press and release
// straddle a redraw (an unread count, someone coming online) lands on the
// link it was pressed on, where a replaced element would swallow it.
const listNodes = {items: new Map(), groups: new Map()};

// A conversation with one other person: their status and paused notifications beside their name.
function showPersonStatus(link, name, person) {
  const mark = link.querySelector(":scope > .status-mark");
  if (mark && mark.dataset.statusOf === (person && nickKey(person))) return;
  mark?.remove();
  if (person) name.after(statusMark(person));
}

function roomItem(entry) {
  let item = listNodes.items.get(entry.room);
  if (!item) {
    item = element("li");
    item.append(element("a", "room-link"));
    item.firstChild.append(element("bdi"), element("span", "room-side"));
    listNodes.items.set(entry.room, item);
  }
  updateLink(item.firstChild, entry);
  return item;
}

function updateLink(link, entry) {
  const {room, online, label, archived, counts, presence} = entry;
  link.href = roomUrl(room);
  link.dataset.room = room;
  const name = link.querySelector(":scope > bdi");
  if (name.textContent !== label) name.textContent = label;
  showPersonStatus(link, name, entry.person);
  // Nobody there: no "0" beside every quiet room; the rooms with people stand out.
  const side = link.querySelector(":scope > .room-side");
  const count = element("span", online ? "count" : "count none", String(online));
  side.replaceChildren(...roomMarks(entry), ...badges(counts), count);
  link.classList.toggle("archived", archived);
  const dot = link.querySelector(":scope > .presence-dot");
  if (!presence) dot?.remove();
  else if (dot) dot.dataset.presence = presence;
  else link.prepend(presenceDot(presence));
  const unread = badgeWords(counts);
  link.classList.toggle("has-unread", Boolean(unread));
  const who = presence ? `${PRESENCE_WORDS[presence]}, ` : "";
  link.setAttribute("aria-label", `${label}, ${markWords(entry)}${who}${unread ? unread + ", " : ""}${online} online`);
  link.title = label; // a long title or many people is cut short in the list
  if (room === session.room) link.setAttribute("aria-current", "page");
  else link.removeAttribute("aria-current");
}

function groupSection({kind, title}, rooms) {
  let section = listNodes.groups.get(kind);
  if (!section) {
    section = element("section", "room-group");
    section.dataset.kind = kind;
    const heading = element("h3", "", title);
    heading.id = `rooms-${kind}`;
    section.setAttribute("aria-labelledby", heading.id);
    section.append(heading, element("ul", "room-list"));
    listNodes.groups.set(kind, section);
  }
  keepChildren(section.lastChild, rooms.map(roomItem));
  return section;
}

// The parent's children become these, the parent untouched when it has them already, in order.
function keepChildren(parent, children) {
  const same = parent.children.length === children.length && children.every((child, i) => parent.children[i] === child);
  if (!same) parent.replaceChildren(...children);
}

export function showRooms(rooms = nav.rooms) {
  nav.rooms = rooms;
  nav.current = rooms.find((r) => r && r.room === session.room) || nav.current;
  showStar(nav.current); // starred or not, whether the list draws again (a search may leave it out)
  const shown = entries(rooms);
  // Redraw only on change, and keep focus, so a refresh never pulls the
  // rug from under someone tabbing through the list.
  // The header follows the current room's entry, shown in the list or not (a search for others).
  const drawn = JSON.stringify([shown, nav.prefix, nav.more, nav.current]);
  if (drawn === nav.drawn) return;
  nav.drawn = drawn;
  const focused = document.activeElement && document.activeElement.closest("#rooms a");
  const focusedRoom = focused ? focused.dataset.room : null;
  const groups = GROUPS.map((group) => [group, shown.filter((r) => r.group === group.kind)]);
  keepChildren(ui.rooms, groups.filter(([, list]) => list.length).map(([group, list]) => groupSection(group, list)));
  const kept = new Set(shown.map((r) => r.room));
  for (const room of listNodes.items.keys()) if (!kept.has(room)) listNodes.items.delete(room);
  ui.roomsNote.textContent = roomsNote(shown.length);
  ui.notifyOn.hidden = !mayOffer();
  // On a phone the list is in the drawer: its button says when another room has something new.
  ui.unreadElsewhere.hidden = !shown.some((r) => r.room !== session.room && badgeWords(r.counts));
  showHeader();
  const again = [...ui.rooms.querySelectorAll("a")].find((a) => a.dataset.room === focusedRoom);
  if (again) again.focus();
}

function roomsNote(shown) {
  const prefix = nav.prefix;
  if (prefix && !shown) return `No room starts with “${prefix}”. You can create it below.`;
  if (nav.more && prefix) return `Showing the first ${ROOMS_SHOWN} rooms starting with “${prefix}”: type more to narrow it.`;
  if (nav.more) return `Showing the first ${ROOMS_SHOWN} rooms: search to find the others.`;
  return "";
}

// One page of rooms, from the search box's prefix; an answer that comes
// after a newer question is dropped.
export async function refreshRooms() {
  const prefix = normalizeRoom(ui.roomSearch.value);
  const asked = ++nav.asked;
  if (prefix && roomProblem(prefix)) {
    // No room name starts like that: nothing to ask the server.
    nav.prefix = prefix;
    nav.more = false;
    return showRooms([]);
  }
  // With tokens required the API answers only to one: until we have it, there is nothing to ask.
  if (session.jwtRequired && !session.token) return;
  const query = new URLSearchParams({limit: String(ROOMS_SHOWN)});
  if (prefix) query.set("prefix", prefix);
  nav.meanwhile = new Map();
  const since = lookupAsked();
  const answer = await apiCall("GET", "/api/rooms?" + query);
  // The list is a convenience: when it cannot be had, the chat works without it.
  if (!answer.ok || asked !== nav.asked || !Array.isArray(answer.body && answer.body.rooms)) return;
  nav.prefix = prefix;
  nav.more = Boolean(answer.body.next);
  learnCounts(answer.body.rooms);
  learnStars(answer.body.rooms, since);
  showRooms(withChangesMeanwhile(answer.body.rooms, prefix));
  if (!nav.current && !session.roomMissing) learnCurrent();
  refreshStarred(); // those beyond the page, drawn when they come
}

// A page of rooms is older than the frames that came while it was on its way
// (a room archived at once after the page loaded): theirs is the last word.
function withChangesMeanwhile(rooms, prefix) {
  const kept = rooms.filter((r) => !(r && nav.meanwhile.has(r.room)));
  const changed = [...nav.meanwhile.values()].filter((entry) => entry && entry.room.startsWith(prefix));
  return [...kept, ...changed];
}

// The current room beyond the page of rooms (or not in a search's): its entry on its own.
async function learnCurrent() {
  const entry = await roomEntry(session.room);
  if (!entry || nav.current) return;
  nav.current = entry;
  showRooms();
}

// The header names the room as the list does (a title, a direct room's people).
function showHeader() {
  const entry = currentEntry();
  const label = roomLabel(entry);
  ui.roomTitle.replaceChildren(element("bdi", "", label));
  // "the start of #Launch week"; a direct room's label is people, not a place.
  const what = entry && entry.kind === "direct" ? "your conversation with " : "";
  ui.historyStart.replaceChildren(textNode(`This is the start of ${what}`), element("bdi", "", label), textNode("."));
  ui.roomTitle.dataset.kind = entry ? kindOf(entry) : "open";
  showDirectPresence(entry);
  session.roomLabel = label;
  updateTitle();
  showTopic(entry);
  // Archived, or only its managers posting: on this page at once (a ``room`` frame says so).
  showVoice(entry, hooks.mayChangeMessages);
}

// A ``room`` frame: a room one may see was created or changed.
export function onRoomFrame(frame) {
  const entry = frame.room;
  if (!entry || typeof entry.room !== "string") return;
  nav.lookedUp.delete(entry.room);
  nav.meanwhile.set(entry.room, entry);
  if (entry.room === session.room) nav.current = entry;
  const others = nav.rooms.filter((r) => r && r.room !== entry.room);
  // Only into the page of rooms shown: the search asked for those starting so.
  showRooms(entry.room.startsWith(nav.prefix) ? [...others, entry] : others);
}

// A ``room_gone`` frame: a room is no longer one's to see.
export function onRoomGone(frame) {
  nav.lookedUp.delete(frame.room);
  forgetStarredEntry(frame.room);
  nav.meanwhile.set(frame.room, null);
  if (frame.room === session.room) nav.current = null;
  showRooms(nav.rooms.filter((r) => r && r.room !== frame.room));
}

function searchRoomsSoon() {
  clearTimeout(nav.searchTimer);
  nav.searchTimer = setTimeout(refreshRooms, ROOM_SEARCH_DELAY_MS);
}

export function wireRooms() {
  ui.roomSearch.addEventListener("input", searchRoomsSoon);
  ui.roomSearch.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    clearTimeout(nav.searchTimer);
    refreshRooms();
  });
  ui.roomSearch.addEventListener("focus", refreshRooms);
  ui.roomForm.addEventListener("submit", (event) => {
    event.preventDefault();
    goToRoom(ui.roomName.value);
  });
  ui.roomName.addEventListener("input", () => (ui.roomError.textContent = ""));
  // Asked for only when the person asks: never on page load.
  ui.notifyOn.addEventListener("click", async () => {
    await askPermission();
    ui.notifyOn.hidden = !mayOffer();
  });
  wireDrawer(refreshRooms);
  // Changes come as frames; other rooms' online counts when the page is looked at again, and
  // each minute while it is.
  document.addEventListener("visibilitychange", () => !document.hidden && refreshRooms());
  setInterval(() => !document.hidden && session.connected && refreshRooms(), ROOM_COUNTS_EVERY_MS);
}

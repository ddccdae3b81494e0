// Room navigation: one list of rooms, in groups (open rooms, closed rooms,
// direct messages; a group shows only when it has rooms), a search by the
// start of a name, a form to join or create one, in a side panel on a wide
// screen and a drawer on a phone. It holds one page of GET /api/rooms:
// never thousands of elements, however many rooms the server has.

import {element, ui} from "./dom.js";
import {normalizeRoom, roomProblem} from "./protocol.js";
import {onlineNow} from "./people.js";
import {session} from "./session.js";

const ROOMS_REFRESH_MS = 30000;
export const ROOMS_SHOWN = 50; // one page of GET /api/rooms
const ROOM_SEARCH_DELAY_MS = 250;

// The groups, in the order shown. A room's ``kind`` says which it is in;
// a room without one (every room today) is open.
const GROUPS = [
  {kind: "open", title: "Open rooms"},
  {kind: "closed", title: "Closed rooms"},
  {kind: "direct", title: "Direct messages"},
];

const nav = {
  rooms: [],
  drawn: "",
  more: false, // the server has rooms beyond the page shown
  prefix: "", // what the search box asked the server for
  asked: 0, // numbers the requests, so that a late answer is dropped
  searchTimer: 0,
};

export function roomUrl(room) {
  return "?" + new URLSearchParams({room});
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

const kindOf = (room) => (GROUPS.some((g) => g.kind === room.kind) ? room.kind : "open");
const byName = (a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0);

// The page of rooms the server gave, with the current room always in it;
// its count comes from our own online list, which is live.
function entries(rooms) {
  const listed = rooms.filter((r) => r && typeof r.room === "string");
  const current = listed.find((r) => r.room === session.room);
  const others = listed.filter((r) => r !== current);
  const here = {room: session.room, online: onlineNow(), kind: current ? current.kind : undefined};
  if (current && !session.connected) here.online = current.online;
  return [...others, here]
    .filter((r) => r.room.startsWith(nav.prefix))
    .map((r) => ({room: r.room, online: Number(r.online) || 0, kind: kindOf(r)}))
    .sort(byName);
}

function roomLink({room, online}) {
  const item = element("li");
  const link = element("a", "room-link");
  link.href = roomUrl(room);
  link.dataset.room = room;
  link.append(element("bdi", "", "#" + room), element("span", "count", String(online)));
  link.setAttribute("aria-label", `#${room}, ${online} online`);
  if (room === session.room) link.setAttribute("aria-current", "page");
  item.append(link);
  return item;
}

function groupSection({kind, title}, rooms) {
  const section = element("section", "room-group");
  section.dataset.kind = kind;
  const heading = element("h3", "", title);
  heading.id = `rooms-${kind}`;
  section.setAttribute("aria-labelledby", heading.id);
  const list = element("ul", "room-list");
  list.append(...rooms.map(roomLink));
  section.append(heading, list);
  return section;
}

export function showRooms(rooms = nav.rooms) {
  nav.rooms = rooms;
  const shown = entries(rooms);
  // Redraw only on change, and keep focus, so a refresh never pulls the
  // rug from under someone tabbing through the list.
  const drawn = JSON.stringify([shown, nav.prefix, nav.more]);
  if (drawn === nav.drawn) return;
  nav.drawn = drawn;
  const focused = document.activeElement && document.activeElement.closest("#rooms a");
  const focusedRoom = focused ? focused.dataset.room : null;
  const groups = GROUPS.map((group) => [group, shown.filter((r) => r.kind === group.kind)]);
  ui.rooms.replaceChildren(...groups.filter(([, list]) => list.length).map(([group, list]) => groupSection(group, list)));
  ui.roomsNote.textContent = roomsNote(shown.length);
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
  const headers = {Accept: "application/json"};
  if (session.jwtRequired) headers.Authorization = `Bearer ${session.token}`;
  try {
    const response = await fetch("/api/rooms?" + query, {headers});
    if (!response.ok) return;
    const body = await response.json();
    if (asked !== nav.asked || !Array.isArray(body.rooms)) return;
    nav.prefix = prefix;
    nav.more = Boolean(body.next);
    showRooms(body.rooms);
  } catch {
    // The list is a convenience; the chat works without it.
  }
}

function searchRoomsSoon() {
  clearTimeout(nav.searchTimer);
  nav.searchTimer = setTimeout(refreshRooms, ROOM_SEARCH_DELAY_MS);
}

// --- the drawer (on a phone; on a wide screen the panel is always there) ---

const drawerOpen = () => ui.sidebar.classList.contains("open");

export function toggleDrawer(open) {
  ui.sidebar.classList.toggle("open", open);
  ui.drawerToggle.setAttribute("aria-expanded", String(open));
  ui.scrim.hidden = !open;
  if (open) {
    refreshRooms();
    ui.sidebarClose.focus();
  }
}

function closeDrawer() {
  toggleDrawer(false);
  ui.drawerToggle.focus();
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
  ui.drawerToggle.addEventListener("click", () => toggleDrawer(!drawerOpen()));
  ui.sidebarClose.addEventListener("click", closeDrawer);
  ui.scrim.addEventListener("click", closeDrawer);
  ui.sidebar.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && drawerOpen()) closeDrawer();
  });
  setInterval(() => !document.hidden && refreshRooms(), ROOMS_REFRESH_MS);
}

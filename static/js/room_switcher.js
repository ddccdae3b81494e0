// The quick room switcher: Ctrl+K (⌘K on a Mac), as in Slack, Discord or
// Zulip, opens a small dialog whose field filters the rooms one may open by
// name, title or a direct room's people (or, after those, its topic): those of the rooms list
// (static/js/rooms.js) at once, and those beyond its page from the rooms
// API's search by the start of a name; one's starred rooms (stars.js) come
// first among those that answer alike. Up and Down choose, Enter (or a
// click) opens one, Escape closes and gives the focus back. The field is a
// combobox pointing at the chosen room (aria-activedescendant).

import {apiCall, roomUrl} from "./api.js";
import {commandKey, element, ui} from "./dom.js";
import {normalizeRoom, roomProblem} from "./protocol.js";
import {listedRooms, roomLabel} from "./rooms.js";
import {session} from "./session.js";
import {isStarred} from "./stars.js";

const MAX_SHOWN = 10;
const ASK_DELAY_MS = 150;

const $ = (id) => document.getElementById(id);

const sw = {
  dialog: null,
  field: null,
  list: null,
  note: null,
  shown: [], // {entry, label} in the order shown
  active: 0,
  found: [], // rooms the server gave for what is typed
  asked: 0, // numbers the questions, so that a late answer is dropped
  timer: 0,
  backTo: null, // what had the focus before the dialog opened
};

// How well a room answers ``typed`` (lower is better), or -1: its name starts so, a word of
// its label does (a title, a person of a direct room), the label has it inside, its topic does.
function rank(entry, label, typed) {
  if (!typed) return 0;
  if (entry.room.startsWith(normalizeRoom(typed))) return 0;
  const words = label.toLowerCase().replace(/^#/, "");
  if (words.split(/[\s,]+/).some((word) => word.startsWith(typed))) return 1;
  if (words.includes(typed)) return 2;
  return typeof entry.topic === "string" && entry.topic.toLowerCase().includes(typed) ? 3 : -1;
}

function candidates(typed) {
  const rooms = new Map();
  for (const entry of [...listedRooms(), ...sw.found]) {
    if (entry && typeof entry.room === "string" && entry.room !== session.room) rooms.set(entry.room, entry);
  }
  return [...rooms.values()]
    .map((entry) => {
      const label = roomLabel(entry);
      return {entry, label, rank: rank(entry, label, typed), starred: isStarred(entry.room)};
    })
    .filter((found) => found.rank >= 0)
    .sort((a, b) => a.rank - b.rank || b.starred - a.starred || a.label.localeCompare(b.label))
    .slice(0, MAX_SHOWN);
}

function optionFor({entry, label, starred}, index) {
  const option = element("li", "switcher-option");
  option.id = `switcher-option-${index}`;
  option.setAttribute("role", "option");
  option.setAttribute("aria-selected", String(index === sw.active));
  option.append(element("bdi", "", label));
  if (starred) option.append(element("span", "switcher-star", "★ starred"));
  if (label !== `#${entry.room}` && entry.kind !== "direct") option.append(element("span", "hint", entry.room));
  if (entry.archived) option.append(element("span", "room-tag", "archived"));
  option.addEventListener("click", () => go(index));
  return option;
}

function draw() {
  const typed = sw.field.value.trim().toLowerCase();
  const before = sw.shown[sw.active]?.entry.room;
  sw.shown = candidates(typed);
  const kept = sw.shown.findIndex((found) => found.entry.room === before);
  sw.active = kept >= 0 ? kept : 0;
  sw.list.replaceChildren(...sw.shown.map(optionFor));
  sw.list.hidden = !sw.shown.length;
  sw.field.setAttribute("aria-expanded", String(sw.shown.length > 0));
  if (sw.shown.length) sw.field.setAttribute("aria-activedescendant", `switcher-option-${sw.active}`);
  else sw.field.removeAttribute("aria-activedescendant");
  sw.list.children[sw.active]?.scrollIntoView({block: "nearest"});
  sw.note.textContent = sw.shown.length ? "" : typed ? `No room you may open matches “${typed}”.` : "No other rooms yet.";
}

// Rooms beyond the list's page, from the server, for a name's start.
function askSoon() {
  clearTimeout(sw.timer);
  const prefix = normalizeRoom(sw.field.value.trim());
  const asked = ++sw.asked;
  if (!prefix || roomProblem(prefix) || (session.jwtRequired && !session.token)) return;
  sw.timer = setTimeout(async () => {
    const answer = await apiCall("GET", "/api/rooms?" + new URLSearchParams({prefix, limit: String(MAX_SHOWN)}));
    if (asked !== sw.asked || !answer.ok || !Array.isArray(answer.body?.rooms)) return;
    sw.found = answer.body.rooms;
    draw();
  }, ASK_DELAY_MS);
}

function go(index) {
  const found = sw.shown[index];
  if (!found) return;
  sw.dialog.close();
  location.assign(roomUrl(found.entry.room));
}

function onFieldKey(event) {
  const moves = {ArrowDown: 1, ArrowUp: -1};
  if (event.key in moves && sw.shown.length) {
    sw.active = (sw.active + moves[event.key] + sw.shown.length) % sw.shown.length;
    draw();
  } else if (event.key === "Enter" && !event.isComposing) {
    go(sw.active);
  } else return;
  event.preventDefault();
}

function open() {
  sw.backTo = document.activeElement;
  sw.field.value = "";
  sw.found = [];
  sw.shown = [];
  draw();
  sw.dialog.showModal();
  sw.field.focus();
}

// Ctrl+K, or ⌘K on a Mac.
function isShortcut(event) {
  return commandKey(event) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "k";
}

function onPageKey(event) {
  if (!isShortcut(event) || event.isComposing) return;
  event.preventDefault();
  if (sw.dialog.open) return sw.dialog.close();
  if (!document.querySelector("dialog[open]")) open(); // not over another dialog
}

export function wireRoomSwitcher() {
  Object.assign(sw, {
    dialog: $("switcher-dialog"),
    field: $("switcher-field"),
    list: $("switcher-rooms"),
    note: $("switcher-note"),
  });
  document.addEventListener("keydown", onPageKey);
  sw.field.addEventListener("input", () => {
    sw.found = [];
    draw();
    askSoon();
  });
  sw.field.addEventListener("keydown", onFieldKey);
  sw.list.addEventListener("mousedown", (event) => event.preventDefault()); // the field keeps the focus
  sw.dialog.querySelector("[data-close]").addEventListener("click", () => sw.dialog.close());
  sw.dialog.addEventListener("close", () => {
    clearTimeout(sw.timer);
    sw.asked += 1;
    if (sw.backTo?.isConnected) sw.backTo.focus();
  });
}

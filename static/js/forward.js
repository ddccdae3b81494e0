// Forwarding a message (docs/protocol.md, "Forwarding"): "↪ Forward" in a message's "⋯ More actions"
// (people with an account) opens a dialog: the message, a field that finds a room one may write in or a
// person (as the quick switcher does: the rooms list at once, the server for names beyond it, people by
// the start of their name, whose direct conversation is opened or made as today's direct messages are),
// an optional comment, Send. Out of a closed room or a direct conversation it warns that those in the
// target may not read where the message comes from. User text goes in as text nodes only.

import {apiCall, failure, roomPath} from "./api.js";
import {announce, element, textNode} from "./dom.js";
import {currentPlainText} from "./message_state.js";
import {normalizeRoom, nickKey, roomProblem} from "./protocol.js";
import {managesRoom} from "./room_voice.js";
import {currentEntry, listedRooms, roomLabel} from "./rooms.js";
import {session} from "./session.js";

const MAX_SHOWN = 8;
const ASK_DELAY_MS = 150;
const QUOTE_CHARS = 140;
const NOTE_MS = 6000;

const $ = (id) => document.getElementById(id);

// ``message``: {room, id} forwarded; ``shown``: the options, each {room?, person?, label, hint};
// ``chosen``: the option picked; ``asked``: numbers the questions, so that a late answer is dropped.
// ``closedTo``: announcements rooms this person does not manage, left out of the options once known.
const fw = {message: null, shown: [], active: 0, chosen: null, found: [], people: [], asked: 0, timer: 0, noteTimer: 0, backTo: null,
  closedTo: new Set()};

// Rooms where only their owner and administrators post (announcements), by name: the promise of
// whether this person is one of them (room_voice.js), asked once a page.
const managed = new Map();

function mayPostIn(room) {
  if (!managed.has(room)) {
    managed.set(room, managesRoom(room).catch(() => true)); // unknown: offered, and the server says no if it must
  }
  return managed.get(room);
}

// Whether the room is one this person may not post in, as far as the page knows yet.
const knownClosed = (option) => option.announcements && fw.closedTo.has(option.room);

const cut = (text) => ([...text].length <= QUOTE_CHARS ? text : [...text].slice(0, QUOTE_CHARS - 1).join("") + "…");

// "↪ Forward" in a message's More actions.
export function forwardOffer(item, make, done) {
  return make("↪", "Forward", "Forward", () => {
    done();
    openForward(item);
  }, "forward");
}

function openForward(item) {
  fw.backTo = document.activeElement;
  fw.message = {room: session.room, id: Number(item.dataset.id)};
  Object.assign(fw, {chosen: null, found: [], people: [], active: 0});
  const nick = item.querySelector(".meta .nick")?.textContent || "";
  const quoted = currentPlainText(item) || item.querySelector(".forward-card .forward-text")?.textContent || "";
  const preview = $("forward-preview");
  const quote = element("span", "quote-text", cut(quoted || "a file"));
  quote.dir = "auto";
  preview.replaceChildren(element("bdi", "nick", nick), textNode(" "), quote);
  $("forward-to").value = "";
  $("forward-comment").value = "";
  $("forward-error").textContent = "";
  draw();
  warn();
  $("forward-dialog").showModal();
  $("forward-to").focus();
}

// --- choosing where to ------------------------------------------------------------------

// Rooms that answer what is typed (the list's page and the server's), then people by name.
function candidates(typed) {
  const rooms = new Map();
  for (const entry of [currentEntry(), ...listedRooms(), ...fw.found]) {
    if (entry && typeof entry.room === "string" && !entry.archived) rooms.set(entry.room, entry);
  }
  const roomOptions = [...rooms.values()]
    .map((entry) => ({room: entry.room, kind: entry.kind || "open", label: roomLabel(entry), announcements: entry.posting === "managers"}))
    .filter((option) => !knownClosed(option))
    .filter((option) => !typed || option.label.toLowerCase().includes(typed) || option.room.startsWith(normalizeRoom(typed)))
    .sort((a, b) => a.label.localeCompare(b.label));
  const personOptions = fw.people
    .filter((name) => nickKey(name) !== nickKey(session.myNick))
    .map((name) => ({person: name, label: name, hint: "direct message"}));
  return [...roomOptions.slice(0, MAX_SHOWN), ...personOptions].slice(0, MAX_SHOWN + 4);
}

function optionFor(option, index) {
  const node = element("li", "switcher-option");
  node.id = `forward-option-${index}`;
  node.setAttribute("role", "option");
  node.setAttribute("aria-selected", String(index === fw.active));
  node.append(element("bdi", "", option.person ? `👤 ${option.label}` : option.label));
  if (option.hint) node.append(element("span", "hint", option.hint));
  node.addEventListener("click", () => choose(index));
  return node;
}

function draw() {
  const field = $("forward-to");
  const list = $("forward-targets");
  fw.shown = fw.chosen ? [] : candidates(field.value.trim().toLowerCase());
  fw.active = Math.min(fw.active, Math.max(0, fw.shown.length - 1));
  list.replaceChildren(...fw.shown.map(optionFor));
  list.hidden = !fw.shown.length;
  field.setAttribute("aria-expanded", String(fw.shown.length > 0));
  if (fw.shown.length) field.setAttribute("aria-activedescendant", `forward-option-${fw.active}`);
  else field.removeAttribute("aria-activedescendant");
  list.children[fw.active]?.scrollIntoView({block: "nearest"});
  askWhoPosts();
}

// The announcements rooms offered: whether this person may post in each; those they may not go.
function askWhoPosts() {
  for (const option of fw.shown) {
    if (!option.announcements) continue;
    mayPostIn(option.room).then((may) => {
      if (may || fw.closedTo.has(option.room)) return;
      fw.closedTo.add(option.room);
      if (fw.chosen?.room === option.room) unchoose(option);
      else if (fw.shown.includes(option)) draw();
    });
  }
}

// Rooms beyond the list's page, and people, from the server, for a name's start.
function askSoon() {
  clearTimeout(fw.timer);
  const typed = $("forward-to").value.trim();
  const asked = ++fw.asked;
  if (!typed) return;
  fw.timer = setTimeout(async () => {
    const prefix = normalizeRoom(typed);
    const [rooms, people] = await Promise.all([
      roomProblem(prefix) ? null : apiCall("GET", "/api/rooms?" + new URLSearchParams({prefix, limit: String(MAX_SHOWN)})),
      apiCall("GET", "/api/accounts?" + new URLSearchParams({prefix: typed, limit: "4"})),
    ]);
    if (asked !== fw.asked) return;
    fw.found = rooms?.ok && Array.isArray(rooms.body?.rooms) ? rooms.body.rooms : [];
    const accounts = people.ok && Array.isArray(people.body?.accounts) ? people.body.accounts : [];
    fw.people = accounts.filter((a) => a && typeof a.name === "string").map((a) => a.name);
    draw();
  }, ASK_DELAY_MS);
}

function choose(index) {
  const option = fw.shown[index];
  if (!option || knownClosed(option)) return;
  fw.chosen = option;
  $("forward-to").value = option.label;
  draw();
  warn();
  $("forward-comment").focus();
}

// Chosen before the page knew: a room where only its owner and administrators post, this person neither.
function unchoose(option) {
  fw.chosen = null;
  $("forward-error").textContent = `Only the owner and administrators of ${option.label} post in it.`;
  draw();
  warn();
  $("forward-to").focus();
}

function onFieldKey(event) {
  const moves = {ArrowDown: 1, ArrowUp: -1};
  if (event.key in moves && fw.shown.length) {
    fw.active = (fw.active + moves[event.key] + fw.shown.length) % fw.shown.length;
    draw();
  } else if (event.key === "Enter" && !event.isComposing && fw.shown.length) {
    choose(fw.active);
  } else return;
  event.preventDefault();
}

// Out of a closed room or a direct conversation: who will read the copy may not read its room.
function warn() {
  const node = $("forward-warning");
  const source = currentEntry();
  const kind = source?.kind || "open";
  node.hidden = kind === "open" || fw.chosen?.room === session.room;
  if (node.hidden) return;
  node.replaceChildren(...whoSees(fw.chosen), ...fromWhere(kind, element("bdi", "", roomLabel(source))));
}

// Who will read the copy: "Everyone in #town", a person or the people of a direct room by name.
function whoSees(chosen) {
  if (!chosen) return [textNode("Those you forward to")];
  const named = element("bdi", "", chosen.label);
  return chosen.person || chosen.kind === "direct" ? [named] : [textNode("Everyone in "), named];
}

function fromWhere(kind, from) {
  if (kind === "direct") return [textNode(" will see this message from your direct conversation with "), from, textNode(".")];
  return [textNode(" will see this message, though they may not be able to read "), from, textNode(".")];
}

// --- sending ------------------------------------------------------------------------------

// The room to forward into: the chosen room, or the chosen person's direct conversation (made if new).
async function targetRoom() {
  if (fw.chosen.room) return fw.chosen.room;
  const answer = await apiCall("POST", "/api/direct", {members: [fw.chosen.person]});
  if (!answer.ok) throw new Error(failure(answer));
  return answer.body.room;
}

async function send(event) {
  event.preventDefault();
  const error = $("forward-error");
  if (!fw.chosen) {
    error.textContent = "Choose a room or a person to forward to.";
    return $("forward-to").focus();
  }
  const button = $("forward-send");
  button.disabled = true;
  try {
    const room = await targetRoom();
    const body = {...fw.message, message: $("forward-comment").value};
    const answer = await apiCall("POST", `${roomPath(room)}/forwards`, body);
    if (!answer.ok) throw new Error(failure(answer));
    $("forward-dialog").close();
    note(`Forwarded to ${fw.chosen.label}.`);
  } catch (problem) {
    error.textContent = problem.message;
  } finally {
    button.disabled = false;
  }
}

// A line above the box for a few seconds, and read out.
function note(words) {
  const node = $("forward-done");
  node.textContent = words;
  node.hidden = false;
  announce(words);
  clearTimeout(fw.noteTimer);
  fw.noteTimer = setTimeout(() => (node.hidden = true), NOTE_MS);
}

export function wireForward() {
  const field = $("forward-to");
  field.addEventListener("input", () => {
    fw.chosen = null;
    fw.found = [];
    fw.people = [];
    fw.active = 0;
    draw();
    warn();
    askSoon();
  });
  field.addEventListener("keydown", onFieldKey);
  $("forward-targets").addEventListener("mousedown", (event) => event.preventDefault());
  $("forward-form").addEventListener("submit", send);
  // Enter sends, as in the message box; Shift+Enter starts a new line of the comment.
  $("forward-comment").addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    $("forward-form").requestSubmit();
  });
  const dialog = $("forward-dialog");
  dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    clearTimeout(fw.timer);
    fw.asked += 1;
    if (fw.backTo?.isConnected) fw.backTo.focus();
  });
}

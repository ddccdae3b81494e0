// Who is here: the online list (from welcome, sys and presence frames), who
// came and who went for the join and leave lines (static/js/presence_lines.js),
// and who is typing.

import {adminMark} from "./admin_marks.js";
import {avatarElement} from "./avatar.js";
import {isBlocked} from "./blocks.js";
import {element, nickElement, textNode, ui} from "./dom.js";
import {showComingsAndGoings} from "./presence_lines.js";
import {nickKey} from "./protocol.js";
import {noteNames} from "./roster.js";
import {isOwn} from "./session.js";
import {statusMark} from "./status.js";

const TYPING_SHOWN_FOR_MS = 4000;

let users = [];
let here = new Set(); // the nick keys of ``users``
const guests = new Set(); // nick keys of the online guests (no account)
const typers = new Map(); // nick -> until when it is shown
let typingTimer = 0;
let changed = () => {};

export const onlineNow = () => users.length;

// Whether ``name`` is in this room's online list now (a direct room's other person, say).
export const isHere = (name) => here.has(nickKey(name));

// ``fn()`` after every change to the online list.
export function onChange(fn) {
  changed = fn;
}

const byKeyThenCodePoint = (a, b) =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

// Each name's item in the online list, kept from one change to the next: in a busy room a join
// or a leave adds or takes away one item, not the whole list drawn again.
const shown = new Map(); // name -> {item, look: what it was drawn with}

function userItem(name) {
  const guest = guests.has(nickKey(name));
  const look = `${guest ? "guest" : ""} ${isOwn(name) ? "own" : ""}`;
  const known = shown.get(name);
  if (known && known.look === look) return known.item;
  known?.item.remove(); // drawn otherwise now (a guest's name taken by an account, say)
  const item = element("li");
  item.append(avatarElement(name, undefined, {picture: !guest}), nickElement(name));
  if (guest) item.append(textNode(" "), guestBadge());
  else item.append(adminMark(name), statusMark(name));
  if (isOwn(name)) item.append(element("span", "you", " (you)"));
  shown.set(name, {item, look});
  return item;
}

// The list's items become ``items`` (in order); those kept are not moved, the others go or come.
function showItems(items) {
  const kept = new Set(items);
  for (const [name, {item}] of shown) {
    if (kept.has(item)) continue;
    item.remove();
    shown.delete(name);
  }
  let next = ui.users.firstElementChild;
  for (const item of items) {
    if (item === next) next = next.nextElementSibling;
    else ui.users.insertBefore(item, next);
  }
}

export function setUsers(names) {
  const keyed = names.filter((n) => typeof n === "string").map((name) => ({name, key: nickKey(name)}));
  users = keyed.sort(byKeyThenCodePoint).map((n) => n.name);
  here = new Set(keyed.map((n) => n.key));
  noteNames(users);
  showItems(users.map(userItem));
  ui.users.classList.remove("unknown");
  ui.usersLabel.textContent = "Online";
  ui.users.removeAttribute("aria-describedby");
  ui.onlineCount.textContent = String(users.length);
  ui.onlineCountSide.textContent = String(users.length);
  changed();
}

// Disconnected, the page cannot know who is online: the last list stays,
// greyed and said to be unknown, until the next welcome brings the truth.
export function markUnknown() {
  ui.users.classList.add("unknown");
  ui.usersLabel.textContent = "Last seen online";
  ui.users.setAttribute("aria-describedby", "users-unknown");
  ui.onlineCount.textContent = "—";
  ui.onlineCountSide.textContent = "—";
  changed();
}

const guestBadge = () => element("span", "badge guest", "guest");
const stringsIn = (list) => (Array.isArray(list) ? list.filter((n) => typeof n === "string") : []);

export function onWelcome(frame) {
  guests.clear();
  for (const name of stringsIn(frame.guests)) guests.add(nickKey(name));
  setUsers(stringsIn(frame.users));
}

export function onSys(frame) {
  const key = nickKey(frame.nick);
  if (frame.event === "join") {
    if (frame.guest === true) guests.add(key);
    else guests.delete(key);
    if (!here.has(key)) setUsers([...users, frame.nick]);
    else setUsers(users);
    const person = {name: frame.nick, guest: frame.guest === true};
    if (!isOwn(frame.nick)) showComingsAndGoings([person], [], frame.ts);
  } else {
    guests.delete(key);
    setUsers(users.filter((n) => nickKey(n) !== key));
    forgetTyper(frame.nick);
    showComingsAndGoings([], [frame.nick], frame.ts);
  }
}

// Several joins and leaves at once (a busy room): the online list takes
// them all, the join and leave line who came and who went.
export function onPresence(frame) {
  const joined = stringsIn(frame.joined);
  const left = stringsIn(frame.left);
  const guestKeys = new Set(stringsIn(frame.guests).map(nickKey));
  for (const name of left) guests.delete(nickKey(name));
  for (const name of joined) guests.delete(nickKey(name));
  for (const key of guestKeys) guests.add(key);
  const had = new Set(users.map(nickKey));
  const joinedKeys = new Set(joined.map(nickKey));
  const leftKeys = new Set(left.map(nickKey));
  const arrived = joined.filter((n) => !had.has(nickKey(n)) && !isOwn(n));
  const gone = left.filter((n) => had.has(nickKey(n)) && !joinedKeys.has(nickKey(n)));
  const departed = [...new Map(gone.map((n) => [nickKey(n), n])).values()];
  setUsers([...users.filter((n) => !leftKeys.has(nickKey(n)) && !joinedKeys.has(nickKey(n))), ...joined]);
  departed.forEach(forgetTyper);
  const people = arrived.map((name) => ({name, guest: guestKeys.has(nickKey(name))}));
  showComingsAndGoings(people, departed, frame.ts);
}

// --- typing ---------------------------------------------------------------------------

export function onTyping(frame) {
  if (frame.thread) return; // a reply being typed: the thread's panel says so (static/js/thread_tools.js)
  // Someone one blocked is not shown typing: their words are hidden too (static/js/blocks.js).
  if (typeof frame.nick !== "string" || isOwn(frame.nick) || isBlocked(frame.nick)) return;
  typers.set(frame.nick, Date.now() + TYPING_SHOWN_FOR_MS);
  showTypers();
}

export function forgetTyper(nick) {
  if (typers.delete(nick)) showTypers();
}

export function forgetTypers() {
  typers.clear();
  showTypers();
}

function showTypers() {
  const now = Date.now();
  for (const [nick, until] of typers) if (until <= now) typers.delete(nick);
  const names = [...typers.keys()];
  ui.typing.replaceChildren();
  if (names.length === 1) ui.typing.append(nickElement(names[0]), textNode(" is typing…"));
  else if (names.length === 2) {
    ui.typing.append(nickElement(names[0]), textNode(" and "), nickElement(names[1]), textNode(" are typing…"));
  } else if (names.length > 2) ui.typing.append(textNode("Several people are typing…"));
  clearTimeout(typingTimer);
  if (names.length) {
    const next = Math.min(...typers.values()) - now;
    typingTimer = setTimeout(showTypers, Math.max(next, 50));
  }
}

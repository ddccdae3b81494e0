// People's statuses (an emoji and a short text, until a time) and paused
// notifications ("do not disturb", a 🌙 beside the name), marked where the page
// shows a name: the online list, the members in Room settings, direct
// conversations and beside an author on messages.
//
// What each account says is asked of the server with the lookups the page makes
// anyway for colours and pictures (/api/accounts, asked again for the names shown
// after every reconnect), and then kept live by ``status`` and ``dnd`` frames
// (docs/protocol.md), which no answer to a lookup asked before them undoes
// (told.js). A status or pause whose time has passed shows nowhere: the marks
// are drawn again when the next one ends. Marks are text with a tooltip and a
// name for screen readers; the status's text is text, never markup.

import {askFor} from "./avatar.js";
import {element} from "./dom.js";
import {nickKey} from "./protocol.js";
import {session} from "./session.js";
import {frameTold, toldSince} from "./told.js";

const statuses = new Map(); // name key -> {emoji, text, until: ms or null}
const pauses = new Map(); // name key -> until (ms)
const listeners = [];
let expiryTimer = 0;

const inForce = (until) => until === null || until > Date.now();
const wellFormed = (status) =>
  status && typeof status.emoji === "string" && typeof status.text === "string" &&
  (status.until === null || Number.isInteger(status.until));

// ``name``'s status now, or null.
export function statusOf(name) {
  const status = statuses.get(nickKey(name));
  return status && inForce(status.until) ? status : null;
}

// Until when ``name``'s notifications are paused, or null.
export function pausedUntil(name) {
  const until = pauses.get(nickKey(name));
  return until && inForce(until) ? until : null;
}

// Whether this page's own account paused its notifications: no sound, no desktop notification.
export const ownPaused = () => Boolean(session.myNick) && pausedUntil(session.myNick) !== null;

// ``fn()`` after any change to a status or a pause (one's own menu follows it).
export function onStatusChange(fn) {
  listeners.push(fn);
}

// A time as the page says it: "14:30", or "Mon 14:30" when not today.
export function whenSaid(ms) {
  const at = new Date(ms);
  const today = at.toDateString() === new Date().toDateString();
  const options = today ? {hour: "2-digit", minute: "2-digit"} : {weekday: "short", hour: "2-digit", minute: "2-digit"};
  return at.toLocaleString([], options);
}

// The place of ``name``'s marks: empty unless that account has a status or paused its notifications.
export function statusMark(name) {
  const node = element("span", "status-mark");
  node.dataset.statusOf = nickKey(name);
  paint(node);
  askFor(name); // what it says is learnt with its colour and picture
  return node;
}

function paint(node) {
  const key = node.dataset.statusOf;
  const status = statusOf(key);
  const until = pausedUntil(key);
  const marks = [];
  if (status) marks.push(statusBadge(status));
  if (until) marks.push(pauseBadge(until));
  node.replaceChildren(...(marks.length ? [" ", ...marks] : []));
}

function statusBadge(status) {
  const badge = element("span", "status-emoji", status.emoji);
  const said = status.text || status.emoji;
  badge.title = status.until === null ? said : `${said} (until ${whenSaid(status.until)})`;
  badge.setAttribute("role", "img");
  badge.setAttribute("aria-label", `status: ${said}`);
  return badge;
}

function pauseBadge(until) {
  const badge = element("span", "dnd-mark", "🌙");
  badge.title = `Notifications paused until ${whenSaid(until)}`;
  badge.setAttribute("role", "img");
  badge.setAttribute("aria-label", "notifications paused");
  return badge;
}

function repaint() {
  for (const node of document.querySelectorAll(".status-mark[data-status-of]")) paint(node);
  for (const fn of listeners) fn();
  scheduleExpiry();
}

// The marks are drawn again when the next status or pause ends (at most a day ahead: timers drift).
function scheduleExpiry() {
  clearTimeout(expiryTimer);
  const now = Date.now();
  const ends = [...statuses.values()].map((s) => s.until).concat([...pauses.values()]).filter((t) => t && t > now);
  if (ends.length) expiryTimer = setTimeout(repaint, Math.min(Math.min(...ends) - now + 50, 86_400_000));
}

function setStatus(key, status) {
  if (wellFormed(status)) statuses.set(key, status);
  else statuses.delete(key);
}

function setPause(key, until) {
  if (Number.isInteger(until)) pauses.set(key, until);
  else pauses.delete(key);
}

// What /api/accounts or a member list said of accounts ([{name, status, dnd}]): their marks follow,
// but for what a frame told since the lookup was asked (``asked``, told.js; by default the answer is
// the page's own, of now).
export function learnMarks(accounts, asked = Infinity) {
  for (const account of accounts) {
    if (!account || typeof account.name !== "string") continue;
    const key = nickKey(account.name);
    if (!toldSince("status", key, asked)) setStatus(key, account.status);
    if (!toldSince("dnd", key, asked)) setPause(key, account.dnd);
  }
  repaint();
}

function told(what, name) {
  const key = nickKey(name);
  frameTold(what, key);
  return key;
}

// A ``status`` frame: someone's status changed, on any page of the deployment.
export function onStatusFrame(frame) {
  if (typeof frame.name !== "string") return;
  setStatus(told("status", frame.name), frame.status);
  repaint();
}

// A ``dnd`` frame: someone paused their notifications until a time, or resumed them (null).
export function onDndFrame(frame) {
  if (typeof frame.name !== "string") return;
  setPause(told("dnd", frame.name), frame.until);
  repaint();
}

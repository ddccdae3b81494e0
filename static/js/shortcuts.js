// Keyboard shortcuts, as in Slack: Alt+↑ and Alt+↓ open the room before or
// after this one in the rooms list, Alt+Shift+↑ and Alt+Shift+↓ the one before
// or after that has something unread (round the list), Shift+Esc marks every
// room read (asked first), and Ctrl+/ (⌘/ on a Mac) lists every shortcut the
// page has. None of them acts over an open dialog. Ctrl+K is the quick
// switcher's (static/js/room_switcher.js).

import {announce, commandKey, sayKeysForThisComputer} from "./dom.js";
import {markEverythingRead, roomsWithUnread} from "./unread.js";

const $ = (id) => document.getElementById(id);
const dialogOpen = () => document.querySelector("dialog[open]") !== null;
const roomLinks = () => [...document.querySelectorAll("#rooms a.room-link")];
const isCurrent = (link) => link.getAttribute("aria-current") === "page";

// The room ``step`` (1 or -1) from this one in the list; with ``unreadOnly``, the nearest that way with
// something unread, round the list.
function goAlong(step, unreadOnly) {
  const links = roomLinks();
  if (!links.length) return; // the list is not there yet
  const at = links.findIndex(isCurrent);
  const from = at === -1 ? (step > 0 ? -1 : links.length) : at;
  const target = unreadOnly ? nearestUnread(links, from, step) : links[from + step];
  if (target) return location.assign(target.href);
  if (unreadOnly) announce("No other room has anything unread.");
  else announce(step > 0 ? "This is the last room of the list." : "This is the first room of the list.");
}

function nearestUnread(links, from, step) {
  for (let i = 1; i <= links.length; i += 1) {
    const link = links[(((from + step * i) % links.length) + links.length) % links.length];
    if (link.classList.contains("has-unread") && !isCurrent(link)) return link;
  }
  return null;
}

// --- every room read -------------------------------------------------------------------------

// The question counts the rooms the page knows to have something unread; the server reads every room
// the person follows, those beyond the list's page too.
function askToReadAll() {
  const count = roomsWithUnread().length;
  if (!count) return announce("No room has anything unread.");
  $("read-all-count").textContent =
    count === 1 ? "One room has something unread." : `${count} rooms have something unread.`;
  $("read-all-dialog").showModal();
  $("read-all-yes").focus();
}

async function readEveryRoom() {
  const button = $("read-all-yes");
  button.disabled = true;
  const went = await markEverythingRead();
  button.disabled = false;
  $("read-all-dialog").close();
  announce(went ? "Every room is marked read." : "The rooms could not be marked read: try again.");
}

// --- the keys --------------------------------------------------------------------------------

const ARROWS = {ArrowUp: -1, ArrowDown: 1};

// Ctrl+/, or ⌘/ on a Mac; "/" takes Shift on some keyboards, so Shift is allowed.
function isListKey(event) {
  return commandKey(event) && !event.altKey && (event.key === "/" || event.code === "Slash");
}

function onPageKey(event) {
  if (event.isComposing || event.defaultPrevented) return;
  const list = $("shortcuts-dialog");
  if (isListKey(event)) {
    event.preventDefault();
    if (list.open) list.close();
    else if (!dialogOpen()) list.showModal();
    return;
  }
  if (dialogOpen()) return;
  const plainAlt = event.altKey && !event.ctrlKey && !event.metaKey;
  if (plainAlt && event.key in ARROWS) {
    event.preventDefault();
    goAlong(ARROWS[event.key], event.shiftKey);
  } else if (event.key === "Escape" && event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    askToReadAll();
  }
}

export function wireShortcuts() {
  document.addEventListener("keydown", onPageKey);
  sayKeysForThisComputer();
  for (const id of ["shortcuts-dialog", "read-all-dialog"]) {
    const dialog = $(id);
    dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  }
  $("read-all-yes").addEventListener("click", readEveryRoom);
}

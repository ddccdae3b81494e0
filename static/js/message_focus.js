// Reaching messages with the keyboard: the list is one stop for Tab (the
// message last focused, else the newest), and the arrow keys, Home and End
// move from message to message (from anything in one too). A message
// focused from the keyboard shows its toolbar, as a hovered one does; Tab
// then goes on into its buttons and what else it holds (a reply's quote,
// reactions, links, its file): those of the other messages are out of the
// Tab order, however many there are. The thread panel's messages move alike
// (wireArrowKeys).

import {ui} from "./dom.js";

const state = {chosen: null}; // the message the person last focused

const INSIDE = "a[href], button, input, textarea, audio[controls], video[controls], [tabindex]";

const messagesInList = () => [...ui.list.querySelectorAll(":scope > .msg")];

// ``node`` (in a message) and what it holds in the Tab order, or out of it.
function reachInside(node, reachable) {
  const controls = [...(node.matches(INSIDE) ? [node] : []), ...node.querySelectorAll(INSIDE)];
  for (const control of controls) control.tabIndex = reachable ? 0 : -1;
}

// What a message holds (not the message itself, which the arrow keys reach).
function reachParts(item, reachable) {
  for (const part of item.children) reachInside(part, reachable);
}

function makeTabStop(item) {
  for (const other of ui.list.querySelectorAll(':scope > .msg[tabindex="0"]')) {
    other.tabIndex = -1;
    reachParts(other, false);
  }
  item.tabIndex = 0;
  reachParts(item, true);
}

// What comes into a message (a new message, a reaction, an edit's links, the toolbar) is reached with
// Tab only in the stop; as messages come and go, the chosen message stays the stop, else the newest is.
function keepTabStop(records) {
  for (const record of records) {
    const item = record.target === ui.list ? null : record.target.closest(".msg");
    for (const node of record.addedNodes) {
      if (node.nodeType !== Node.ELEMENT_NODE) continue;
      if (item) reachInside(node, item.tabIndex === 0);
      else if (node.classList.contains("msg")) reachParts(node, node.tabIndex === 0);
    }
  }
  if (state.chosen?.isConnected) return;
  const newest = messagesInList().at(-1);
  if (newest && newest.tabIndex !== 0) makeTabStop(newest);
}

// From a message or what it holds (but a box being typed in, where the keys move the caret).
function moveFocus(event, list = ui.list) {
  // With Alt, Ctrl or ⌘ an arrow is a page's shortcut (static/js/shortcuts.js), not a move in the list.
  if (event.target.matches("input, textarea") || event.altKey || event.ctrlKey || event.metaKey) return;
  const all = [...list.querySelectorAll(":scope > .msg")];
  const at = all.indexOf(event.target.closest(".msg"));
  const next = {ArrowUp: at - 1, ArrowDown: at + 1, Home: 0, End: all.length - 1}[event.key];
  if (at === -1 || next === undefined) return;
  event.preventDefault(); // the list would scroll instead
  all[Math.max(0, Math.min(next, all.length - 1))].focus();
}

// The arrow keys, Home and End move through ``list``'s messages as through the timeline's.
export function wireArrowKeys(list) {
  list.addEventListener("keydown", (event) => moveFocus(event, list));
}

// ``onFocus(item)`` when a message, or anything in it, takes the focus;
// ``onLeave()`` when the focus goes somewhere outside the list.
export function wireMessageFocus(onFocus, onLeave) {
  new MutationObserver(keepTabStop).observe(ui.list, {childList: true, subtree: true});
  ui.list.addEventListener("keydown", (event) => moveFocus(event));
  ui.list.addEventListener("focusin", (event) => {
    const item = event.target.closest?.(".msg");
    if (!item || item.parentElement !== ui.list) return;
    state.chosen = item;
    makeTabStop(item);
    // Focus from a tap or a click is not asked for: a phone's toolbar waits for a long press.
    if (event.target.matches(":focus-visible")) onFocus(item);
  });
  ui.list.addEventListener("focusout", (event) => {
    if (event.relatedTarget && !ui.list.contains(event.relatedTarget)) onLeave(event.relatedTarget);
  });
}

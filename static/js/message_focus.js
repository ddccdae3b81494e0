// Reaching messages with the keyboard: the list is one stop for Tab (the
// message last focused, else the newest), and the arrow keys, Home and End
// move from message to message. A message focused from the keyboard shows
// its toolbar, as a hovered one does; Tab then goes on into its buttons.

import {ui} from "./dom.js";

const state = {chosen: null}; // the message the person last focused

const messagesInList = () => [...ui.list.querySelectorAll(":scope > .msg")];

function makeTabStop(item) {
  for (const other of ui.list.querySelectorAll(':scope > .msg[tabindex="0"]')) other.tabIndex = -1;
  item.tabIndex = 0;
}

// As messages come and go: the chosen message stays the stop, else the newest is.
function keepTabStop() {
  if (state.chosen?.isConnected) return;
  const newest = messagesInList().at(-1);
  if (newest && newest.tabIndex !== 0) makeTabStop(newest);
}

function moveFocus(event) {
  const all = messagesInList();
  const at = all.indexOf(event.target);
  const next = {ArrowUp: at - 1, ArrowDown: at + 1, Home: 0, End: all.length - 1}[event.key];
  if (at === -1 || next === undefined) return;
  event.preventDefault(); // the list would scroll instead
  all[Math.max(0, Math.min(next, all.length - 1))].focus();
}

// ``onFocus(item)`` when a message, or anything in it, takes the focus;
// ``onLeave()`` when the focus goes somewhere outside the list.
export function wireMessageFocus(onFocus, onLeave) {
  new MutationObserver(keepTabStop).observe(ui.list, {childList: true});
  ui.list.addEventListener("keydown", moveFocus);
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

// Which messages of this room the person saved (docs/protocol.md, "Version 2:
// saved messages"), and the small "🔖 Saved" each shows in its line of who and when.
// Kept apart from saved.js (the list, the API) so that drawing a message
// needs nothing but this.

import {element, ui} from "./dom.js";

let ids = new Set(); // the ids of this room's saved messages

export const isSaved = (id) => ids.has(Number(id));
export const savedIds = () => [...ids];

// The mark on a message element, as the set says.
export function markIfSaved(item) {
  const saved = ids.has(Number(item.dataset.id));
  item.classList.toggle("saved", saved);
  const mark = item.querySelector(":scope > .meta > .saved-mark");
  if (saved && !mark) item.querySelector(":scope > .meta")?.append(savedMark());
  if (!saved) mark?.remove();
}

function savedMark() {
  const mark = element("span", "saved-mark");
  mark.append(element("span", "saved-icon", "🔖"), element("span", "", " Saved"));
  mark.firstChild.setAttribute("aria-hidden", "true");
  mark.title = "You saved this message";
  return mark;
}

function markAll() {
  for (const item of ui.list.querySelectorAll("li.msg")) markIfSaved(item);
}

// The room's saved ids as the server has them now.
export function takeSavedIds(list) {
  ids = new Set(list.map(Number));
  markAll();
}

// One message saved or no longer, here or on another page of one's own.
export function setSaved(id, saved) {
  if (saved) ids.add(Number(id));
  else ids.delete(Number(id));
  const item = ui.list.querySelector(`li.msg[data-id="${Number(id)}"]`);
  if (item) markIfSaved(item);
}

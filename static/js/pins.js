// The room's pinned messages: the top bar's 📌 with their count, and the
// panel listing them (GET /api/rooms/{room}/pins: the most recently pinned
// first), each taking the reader to its message (permalink.js). The list is
// asked for again whenever the room's pins may have changed: at each
// (re)connection, and on a pin, or an edit or deletion of a pinned message.
// User text goes in as text nodes only.

import {apiCall, failure} from "./api.js";
import {hideEntryIfBlocked} from "./blocks.js";
import {element, nickElement, textNode, timeElement} from "./dom.js";
import {fileLabel, fileOf} from "./file_view.js";
import {plainText} from "./message_format.js";
import {jumpTo, permalink} from "./permalink.js";
import {pollLine} from "./polls.js";
import {openThread, threadLinkTo} from "./thread.js";
import {FRAME} from "./protocol.js";
import {session} from "./session.js";

const $ = (id) => document.getElementById(id);
const SNIPPET_CHARS = 200;

// ``asked``: the number of the latest request, whose answer alone is shown.
const state = {pinned: [], asked: 0};

function cut(text) {
  const chars = [...text];
  return chars.length <= SNIPPET_CHARS ? text : chars.slice(0, SNIPPET_CHARS - 1).join("") + "…";
}

export async function refreshPins() {
  const asked = ++state.asked;
  const answer = await apiCall("GET", `/api/rooms/${encodeURIComponent(session.room)}/pins`);
  if (asked !== state.asked) return; // a later answer is on its way
  $("pins-error").textContent = answer.ok ? "" : failure(answer);
  if (!answer.ok) return;
  state.pinned = Array.isArray(answer.body.messages) ? answer.body.messages : [];
  showPins();
}

// A pin, or an edit or deletion of a pinned message, changes the list.
export function onPinChange(frame) {
  if (frame.type === FRAME.PIN || state.pinned.some((pinned) => pinned.id === frame.target)) refreshPins();
}

function showPins() {
  const count = state.pinned.length;
  const words = count === 1 ? "1 pinned message" : `${count} pinned messages`;
  const opener = $("pins-open");
  opener.hidden = count === 0 && !$("pins-dialog").open;
  $("pins-count").textContent = String(count);
  opener.title = `${words} in this room`;
  $("pins-note").textContent = count === 0 ? "No message is pinned in this room." : "";
  $("pins-list").replaceChildren(...state.pinned.map(pinEntry));
}

function pinEntry(message) {
  const link = element("a", "search-result pin-entry");
  // A pinned thread reply (not sent to the room) is in its thread, not the timeline: the link opens it.
  const inThread = typeof message.thread === "number" && message.broadcast !== true;
  link.href = inThread ? threadLinkTo(message.thread, message.id) : permalink(message.id);
  const where = element("span", "search-where");
  where.append(nickElement(message.nick), timeElement(message.ts));
  link.append(where);
  const file = fileOf(message);
  const text = pollLine(message) ?? plainText(message.message, message.fmt);
  link.append(element("span", "search-snippet", cut(text || (file ? fileLabel(file.name) : ""))));
  const by = element("span", "pin-by");
  by.append(element("span", "pin-icon", "📌"), textNode(" Pinned by "), element("bdi", "", message.pinned.nick));
  by.firstChild.setAttribute("aria-hidden", "true");
  link.append(by);
  link.addEventListener("click", (event) => {
    event.preventDefault();
    $("pins-dialog").close();
    history.replaceState(null, "", link.href);
    if (inThread) openThread(message.thread, message.id);
    else jumpTo(message.id);
  });
  const item = element("li");
  item.append(link);
  hideEntryIfBlocked(item, message); // a blocked person's words are hidden here as in the room
  return item;
}

export function wirePins() {
  const dialog = $("pins-dialog");
  $("pins-open").addEventListener("click", () => {
    dialog.showModal();
    refreshPins();
  });
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close());
  }
  dialog.addEventListener("close", showPins); // the last pin taken away while it was open: the 📌 goes
}

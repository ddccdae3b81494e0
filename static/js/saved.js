// Saved messages (docs/protocol.md, "Version 2: saved messages"): "Save" and
// "Unsave" in a message's "⋯ More actions", and the "Saved messages" panel
// the account menu opens, newest saved first, across every room, each with
// its room, author, time and text, a link that opens it in its room, and
// "Remove". Another page of one's own that saves or unsaves tells this one (a
// saved frame). User text goes in as text nodes only.

import {apiCall, failure, roomUrl} from "./api.js";
import {showSendError} from "./composer.js";
import {announce, element, nickElement, timeElement} from "./dom.js";
import {fileLabel, fileOf} from "./file_view.js";
import {plainText} from "./message_format.js";
import {jumpTo} from "./permalink.js";
import {pollLine} from "./polls.js";
import {roomEntry, roomLabel} from "./rooms.js";
import {isSaved, savedIds, setSaved, takeSavedIds} from "./saved_marks.js";
import {session} from "./session.js";
import {frameTold, keepTold, lookupAsked} from "./told.js";
import {openThread, threadHash} from "./thread.js";

const $ = (id) => document.getElementById(id);
const SNIPPET_CHARS = 200;
const PAGE = 50;

// ``asked``: the number of the latest request of the list, whose answer alone is shown.
const state = {next: null, asked: 0};

const savedPath = (room, id) => `/api/me/saved/${encodeURIComponent(room)}/${Number(id)}`;

// This room's saved ids, as the server has them (an account's page, at each welcome), but for the
// messages a frame told of since they were asked (told.js): saved or not as the frame left them.
export async function loadSavedHere() {
  const room = session.room;
  const asked = lookupAsked();
  const answer = await apiCall("GET", `/api/me/saved/${encodeURIComponent(room)}`);
  if (!answer.ok || room !== session.room || !Array.isArray(answer.body.ids)) return;
  const byKey = (ids) => new Map(ids.map((id) => [keyOf(room, id), Number(id)]));
  takeSavedIds([...keepTold("saved", asked, byKey(answer.body.ids), byKey(savedIds())).values()]);
}

export async function saveMessage(id) {
  const answer = await apiCall("PUT", savedPath(session.room, id));
  if (!answer.ok) return showSendError(failure(answer)); // under the box, as a refused change is
  setSaved(id, true);
  announce("Saved. Find it under Saved messages in your account menu.");
}

// Whether it went.
export async function unsaveMessage(id, room = session.room) {
  const answer = await apiCall("DELETE", savedPath(room, id));
  if (!answer.ok) {
    const why = failure(answer);
    if ($("saved-dialog").open) $("saved-error").textContent = why;
    else showSendError(why);
    return false;
  }
  if (room === session.room) setSaved(id, false);
  announce("Removed from your saved messages.");
  return true;
}

// "Save" or "Unsave" for a message of this room (``item``, its element), as it is: anyone with an
// account saves any message not deleted. ``make`` makes the menu item; pressing it calls ``done`` (the
// menu goes: the 🔖 mark shows what happened, the focus back on the message if it was in the menu).
export function saveOffer(item, make, done) {
  const id = Number(item.dataset.id);
  const saved = isSaved(id);
  const act = async () => {
    const focused = document.activeElement?.closest?.(".msg-actions");
    done();
    if (focused) item.focus();
    await (saved ? unsaveMessage : saveMessage)(id);
  };
  return saved ? make("🔖", "Unsave", "Unsave", act, "Unsave") : make("🔖", "Save", "Save for later", act, "Save");
}

// Another page of one's own saved or unsaved a message (this one's own change comes back too: harmless).
// The open panel loses an unsaved entry, or asks again for a new one.
export function onSavedFrame(frame) {
  if (typeof frame.room !== "string" || typeof frame.id !== "number") return;
  frameTold("saved", keyOf(frame.room, frame.id));
  if (frame.room === session.room) setSaved(frame.id, frame.saved === true);
  if (!$("saved-dialog")?.open) return;
  const shown = entryOf(frame.room, frame.id);
  if (frame.saved !== true) {
    if (shown) takeOut(shown);
  } else if (!shown) showPage(false);
}

const keyOf = (room, id) => JSON.stringify([room, Number(id)]);
const entryOf = (room, id) => [...$("saved-list").children].find((item) => item.dataset.key === keyOf(room, id));

// An entry leaves the panel; the focus, if it was in it, goes to the next entry's Remove (else Close).
function takeOut(item) {
  const had = item.contains(document.activeElement);
  const next = item.nextElementSibling || item.previousElementSibling;
  item.remove();
  if (had) (next?.querySelector(".saved-remove") || $("saved-close")).focus();
  showNote();
}

// --- the panel ----------------------------------------------------------------------

function cut(text) {
  const chars = [...text];
  return chars.length <= SNIPPET_CHARS ? text : chars.slice(0, SNIPPET_CHARS - 1).join("") + "…";
}

function snippet(message) {
  if (message.deleted === true) return element("span", "search-snippet saved-deleted", "This message was deleted.");
  const file = fileOf(message);
  const text = pollLine(message) ?? plainText(message.message, message.fmt);
  return element("span", "search-snippet", cut(text || (file ? fileLabel(file.name) : "")));
}

function savedLink(saved, entry) {
  const message = saved.message;
  const link = element("a", "search-result saved-entry");
  // A thread reply opens its thread at it (thread.js), any other message the room at it.
  const thread = typeof message.thread === "number" ? message.thread : 0;
  link.href = `${roomUrl(saved.room)}#${thread ? threadHash(thread, saved.id) : `m-${saved.id}`}`;
  const where = element("span", "search-where");
  where.append(element("bdi", "search-room", roomLabel(entry)), nickElement(message.nick), timeElement(message.ts));
  link.append(where, snippet(message));
  link.addEventListener("click", (event) => {
    if (saved.room !== session.room) return; // another room: the link opens it there
    event.preventDefault();
    $("saved-dialog").close();
    if (thread) return openThread(thread, saved.id);
    history.replaceState(null, "", link.href);
    jumpTo(saved.id);
  });
  return link;
}

function savedItem(saved, entry) {
  const item = element("li", "saved-item");
  item.dataset.key = keyOf(saved.room, saved.id);
  const remove = element("button", "link-button danger saved-remove", "Remove");
  remove.type = "button";
  remove.setAttribute("aria-label", `Remove ${saved.message.nick}'s message from saved messages`);
  remove.addEventListener("click", async () => {
    if (await unsaveMessage(saved.id, saved.room)) takeOut(item);
  });
  item.append(savedLink(saved, entry), remove);
  return item;
}

async function entriesOf(list) {
  const rooms = [...new Set(list.map((saved) => saved.room))];
  const entries = await Promise.all(rooms.map(async (room) => (await roomEntry(room)) || {room}));
  return new Map(entries.map((entry) => [entry.room, entry]));
}

function showNote() {
  const count = $("saved-list").children.length;
  $("saved-note").textContent =
    count === 0 ? "Nothing saved. Save a message from its “⋯ More actions”." : "";
}

// The first page again (``append`` false), or the next one after those shown.
async function showPage(append) {
  const asked = ++state.asked;
  const query = append && state.next ? state.next.slice(state.next.indexOf("?")) : `?limit=${PAGE}`;
  const answer = await apiCall("GET", `/api/me/saved${query}`);
  const list = answer.ok && Array.isArray(answer.body.saved) ? answer.body.saved : [];
  const entries = await entriesOf(list);
  if (asked !== state.asked) return; // a later answer is on its way
  $("saved-error").textContent = answer.ok ? "" : failure(answer);
  if (!answer.ok) return;
  const items = list.map((saved) => savedItem(saved, entries.get(saved.room)));
  const focused = document.activeElement?.closest?.("#saved-list > li");
  if (append) $("saved-list").append(...items);
  else $("saved-list").replaceChildren(...items);
  // Asked again while the focus was on an entry: it goes back to that entry, now a new element.
  if (focused && !append) entryOf(...JSON.parse(focused.dataset.key))?.querySelector("a")?.focus();
  state.next = answer.body.next || null;
  $("saved-more").hidden = !state.next;
  showNote();
}

export function openSaved() {
  $("account-dialog")?.close();
  $("saved-dialog").showModal();
  showPage(false);
}

export function wireSaved() {
  const dialog = $("saved-dialog");
  if (!dialog) return;
  $("saved-open").addEventListener("click", openSaved);
  $("saved-more").addEventListener("click", () => showPage(true));
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close());
  }
}

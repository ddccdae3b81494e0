// The message list: messages in id order, join and leave lines, history
// paging (older as the reader scrolls up, newer again at the bottom), at
// most MAX_ITEMS items on the page, the "new messages" pill, and what a
// screen reader and the tab's title say when a message arrives. Thread replies are not its own:
// they go to static/js/thread.js, and a page of older messages leaves them out (``top``).

import {sendFrame, socketOpen} from "./connection.js";
import {announce, textNode, ui} from "./dom.js";
import {fileLabel, fileOf} from "./file_view.js";
import {FRAME, HISTORY_PAGE} from "./protocol.js";
import {decorate} from "./message_state.js";
import {lineItem, messageItem, regroup} from "./render.js";
import {isOwnMessage, session} from "./session.js";

const NEAR_BOTTOM_PX = 48;
const NEAR_TOP_PX = 80;
// Messages and notices kept on the page: however long or busy the session,
// the page holds this many, and scrolling brings back what was let go.
export const MAX_ITEMS = 300;

const list = {
  byId: new Map(),
  lastId: 0,
  hasEarlier: false,
  // Newer messages were let go while the reader was far up: the list ends
  // at cutAfter, and reaching the bottom loads the newest again.
  newerCut: false,
  cutAfter: 0,
  paging: false,
  // What each history frame still to come is for: "fresh", "replay", "page" or "ignore".
  historyPurposes: [],
  stick: true,
  // Messages came while the reader was at the bottom: the list goes to its new bottom (and lets
  // its oldest go) once, when the frame is drawn, however many came (settle).
  follow: false,
  settling: 0,
  bottomTop: 0, // the scroller's scrollTop when it was last put at the bottom
  unseen: 0,
  unseenWhileHidden: 0,
};

export const lastId = () => list.lastId;

// What thread.js does with a thread reply (``reply``), with a root's summary (``root``), and with a
// reply also sent to the room, which the list shows too (``sentToRoom``).
const threads = {reply: () => {}, root: () => {}, sentToRoom: () => {}};

export function configureThreads(given) {
  Object.assign(threads, given);
}

// A change to a message took an id of the room's sequence: ``since`` counts it.
export function noteId(id) {
  if (typeof id === "number") list.lastId = Math.max(list.lastId, id);
}

export const itemById = (id) => list.byId.get(id) || null;
export const hasEarlier = () => list.hasEarlier;

// --- scrolling -----------------------------------------------------------------

function nearBottom() {
  const s = ui.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
}

export const atBottom = () => list.stick;

export function scrollToBottom() {
  followToBottom();
  list.follow = false;
  showBottom();
}

// At the bottom from now on; the scroller gets there when the frame is drawn (settle).
function followToBottom() {
  if (list.newerCut) loadNewest();
  list.stick = true;
  list.follow = true;
  list.unseen = 0;
  ui.pill.hidden = true;
}

// Reads the layout (scrollHeight), so done once a frame at most while messages stream in.
function showBottom() {
  ui.scroller.scrollTop = ui.scroller.scrollHeight;
  list.bottomTop = ui.scroller.scrollTop;
}

// Once a frame, however many messages and lines came in it: the list is kept short and,
// while the reader is at the bottom, shows its new bottom. A hidden page draws no frames:
// it does so as each comes.
function settleSoon() {
  if (document.hidden) settle();
  else if (!list.settling) list.settling = requestAnimationFrame(settle);
}

function settle() {
  cancelAnimationFrame(list.settling);
  list.settling = 0;
  if (!list.follow) return boundList();
  list.follow = false;
  if (!list.stick) return boundList();
  // The bottom is shown next: what goes from the top need not keep the scroll position.
  trimOldest(ui.list.childElementCount - MAX_ITEMS);
  showBottom();
}

function noteUnseen() {
  list.unseen += 1;
  ui.pill.textContent = list.unseen === 1 ? "1 new message ↓" : `${list.unseen} new messages ↓`;
  ui.pill.hidden = false;
}

export function onScroll() {
  // Messages came since the list was last put at the bottom, and it goes to the new bottom when
  // the frame is drawn: a scroll that did not go up (the one that put it there) leaves it following.
  list.stick = (list.follow && ui.scroller.scrollTop >= list.bottomTop) || nearBottom();
  if (list.stick) {
    if (list.newerCut) loadNewest();
    list.unseen = 0;
    ui.pill.hidden = true;
    boundList();
  }
  if (ui.scroller.scrollTop < NEAR_TOP_PX) requestEarlier();
}

// Older messages go in (or go) above what the reader is looking at: keep it still. The
// bottom last shown moves with it, or the scroll this makes would read as the reader's own,
// up, away from the bottom, while messages stream in faster than frames are drawn.
function keepingScrollPosition(change) {
  const before = ui.scroller.scrollTop;
  const fromBottom = ui.scroller.scrollHeight - before;
  change();
  ui.scroller.scrollTop = ui.scroller.scrollHeight - fromBottom;
  list.bottomTop += ui.scroller.scrollTop - before;
}

// --- the list ------------------------------------------------------------------------

// Messages are kept in id order whatever order they arrive in; the newest
// goes last, after any join and leave lines that came before it.
function placeById(item, id) {
  if (id > list.lastId) return ui.list.append(item);
  let after = ui.list.lastElementChild;
  while (after && !(after.dataset.id && Number(after.dataset.id) < id)) {
    after = after.previousElementSibling;
  }
  if (after) after.after(item);
  else ui.list.prepend(item);
}

// ``judged``: from a history frame to an account, whose own messages the server marked.
function addMessage(frame, judged = false) {
  if (typeof frame.id !== "number" || typeof frame.message !== "string" || list.byId.has(frame.id)) return false;
  if (typeof frame.thread === "number") {
    noteId(frame.id);
    threads.reply(frame);
    if (frame.broadcast !== true) return false;
  }
  if (list.newerCut && frame.id > list.cutAfter) {
    // Beyond the end of what the list holds: it comes back with the newest.
    list.lastId = Math.max(list.lastId, frame.id);
    return false;
  }
  const item = messageItem(frame, judged ? frame.own === true : isOwnMessage(frame));
  if (judged) item.dataset.judged = "1";
  decorate(item, frame);
  if (frame.replies) threads.root(item, frame);
  if (typeof frame.thread === "number") threads.sentToRoom(item, frame);
  list.byId.set(frame.id, item);
  placeById(item, frame.id);
  regroup(item);
  list.lastId = Math.max(list.lastId, frame.id);
  return true;
}

// A join, a leave or a notice, at the end (unless newer messages were let go).
export function addLine(className, nodes, ts) {
  if (list.newerCut) return null;
  const item = lineItem(className, nodes, ts);
  ui.list.append(item);
  regroup(item);
  if (list.stick) followToBottom();
  settleSoon();
  return item;
}

// A line changed in place (it may take more room): a reader at the bottom stays there.
export function changeLine(change) {
  const wasAtBottom = list.stick;
  change();
  if (wasAtBottom) scrollToBottom();
}

export function removeLine(item) {
  const next = item.nextElementSibling;
  item.remove();
  if (next) regroup(next);
}

export function oldestId() {
  let oldest = Infinity;
  for (const id of list.byId.keys()) oldest = Math.min(oldest, id);
  return oldest === Infinity ? 0 : oldest;
}

// The room is no longer one's to read (taken out of it): what it showed goes too.
export function forgetRoom() {
  clearEverything();
  updateEdges();
}

function clearEverything() {
  ui.list.replaceChildren();
  list.byId.clear();
  list.lastId = 0;
  list.hasEarlier = false;
  list.newerCut = false;
}

// --- keeping the list short -----------------------------------------------------

// At most MAX_ITEMS items: the end farther from what the reader looks at
// goes. Older ones come back with a history request when the reader
// scrolls to the top; newer ones when the reader scrolls to the bottom.
function boundList() {
  const excess = ui.list.childElementCount - MAX_ITEMS;
  if (excess <= 0) return;
  const s = ui.scroller;
  const readingOlder = !list.stick && s.scrollTop + s.clientHeight / 2 < s.scrollHeight / 2;
  if (readingOlder) trimNewest(excess);
  else keepingScrollPosition(() => trimOldest(excess));
}

function removeItem(item) {
  if (item.dataset.id) list.byId.delete(Number(item.dataset.id));
  item.remove();
}

function trimOldest(count) {
  if (count <= 0) return;
  for (let i = 0; i < count && ui.list.firstElementChild; i += 1) {
    if (ui.list.firstElementChild.dataset.id) list.hasEarlier = true;
    removeItem(ui.list.firstElementChild);
  }
  if (ui.list.firstElementChild) regroup(ui.list.firstElementChild);
  updateEdges();
}

function trimNewest(count) {
  for (let i = 0; i < count && ui.list.lastElementChild; i += 1) removeItem(ui.list.lastElementChild);
  let newest = 0;
  for (const id of list.byId.keys()) newest = Math.max(newest, id);
  list.cutAfter = newest;
  list.newerCut = true;
  ui.pill.textContent = "Newer messages ↓";
  ui.pill.hidden = false;
}

// Back at the bottom after newer messages were let go: the newest page again.
function loadNewest() {
  if (!socketOpen()) return;
  list.newerCut = false;
  ui.list.replaceChildren();
  list.byId.clear();
  list.stick = true;
  sendHistoryRequest(list.lastId + 1, "fresh");
}

function updateEdges() {
  const any = list.byId.size > 0;
  ui.loadEarlier.hidden = !list.hasEarlier;
  ui.loadEarlier.textContent = list.paging ? "Loading earlier messages…" : "Load earlier messages";
  ui.historyStart.hidden = list.hasEarlier || !any;
  ui.empty.hidden = any || !session.connected;
}

// --- history ---------------------------------------------------------------------

function sendHistoryRequest(before, purpose) {
  if (!sendFrame({type: FRAME.HISTORY, before, limit: HISTORY_PAGE, top: true})) return false;
  list.historyPurposes.push(purpose);
  return true;
}

export function requestEarlier() {
  if (!list.hasEarlier || list.paging) return;
  const before = oldestId();
  if (before && sendHistoryRequest(before, "page")) {
    list.paging = true;
    updateEdges();
  }
}

// Too few messages to scroll: nobody can reach the top to ask for more.
function fillViewport() {
  if (list.hasEarlier && ui.scroller.scrollHeight <= ui.scroller.clientHeight) requestEarlier();
}

// --- frames ------------------------------------------------------------------------------

export function onWelcome(frame, {epochChanged, replay}) {
  if (epochChanged) {
    clearEverything();
    addLine("notice", [textNode("The server's history was reset, so older messages were cleared.")]);
    list.historyPurposes = ["ignore"];
    if (frame.last_id > 0) sendHistoryRequest(frame.last_id + 1, "fresh");
  } else {
    list.historyPurposes = [replay ? "replay" : "fresh"];
  }
  for (const item of ui.list.querySelectorAll(".msg:not([data-judged])")) {
    item.classList.toggle("own", isOwnMessage(item.dataset));
  }
  updateEdges();
}

// Adds a history frame's messages; answers what the frame was for, and the messages it held.
export function onHistory(frame) {
  const purpose = list.historyPurposes.shift() || "page";
  const messages = Array.isArray(frame.messages) ? frame.messages.filter((m) => m && typeof m === "object") : [];
  if (purpose === "ignore") return {purpose, messages: []};
  if (purpose === "page") {
    keepingScrollPosition(() => messages.forEach((m) => addMessage(m, !session.myGuest)));
    list.hasEarlier = Boolean(frame.truncated) && messages.length > 0;
    list.paging = false;
  } else {
    if (purpose === "replay" && frame.truncated) {
      // More was missed than the server replays: drop what is now cut off.
      for (const item of list.byId.values()) item.remove();
      list.byId.clear();
      list.hasEarlier = true;
      list.newerCut = false;
    } else if (purpose === "fresh") {
      list.hasEarlier = Boolean(frame.truncated);
    }
    const stick = list.stick;
    withoutTrimmed(messages, stick).forEach((m) => addMessage(m, !session.myGuest));
    if (stick) scrollToBottom();
  }
  updateEdges();
  boundList();
  fillViewport();
  return {purpose, messages};
}

// A history frame's messages as the reader at the bottom would keep them: of more than
// MAX_ITEMS new ones (a replay after a long time away), the oldest would go again at once
// (boundList), so they are not made at all; the list says that earlier ones are there.
function withoutTrimmed(messages, stick) {
  const fresh = messages.filter((m) => typeof m.id === "number" && typeof m.message === "string");
  const unseen = fresh.filter((m) => !list.byId.has(m.id)).map((m) => m.id);
  if (!stick || list.newerCut || unseen.length <= MAX_ITEMS) return messages;
  const kept = unseen.sort((a, b) => a - b)[unseen.length - MAX_ITEMS];
  for (const m of fresh) if (m.id < kept) noteId(m.id);
  list.hasEarlier = true;
  return messages.filter((m) => !(typeof m.id === "number" && m.id < kept));
}

// Shows a live message; false when the list already had it or does not hold its place.
export function onUser(frame) {
  const wasAtBottom = list.stick;
  const own = isOwnMessage(frame);
  if (typeof frame.thread === "number" && frame.broadcast !== true) return addMessage(frame); // the thread's
  if (!addMessage(frame)) {
    if (list.newerCut && own) scrollToBottom(); // to see what one sent
    return false;
  }
  if (own || wasAtBottom) followToBottom();
  else noteUnseen();
  if (!own) announceMessage(frame);
  updateEdges();
  settleSoon();
  return true;
}

function announceMessage(frame) {
  const who = frame.bot === true ? `${frame.nick} (bot)` : frame.nick;
  const file = fileOf(frame);
  // As shown: "**bold**" is heard as "bold", not with its stars.
  const shown = list.byId.get(frame.id)?.querySelector(":scope > .text")?.textContent || frame.message;
  const text = !frame.message && file ? fileLabel(file.name) : shown;
  announce(`${who}: ${text.slice(0, 300)}`);
  if (document.hidden) {
    list.unseenWhileHidden += 1;
    updateTitle();
  }
}

export function onClosed() {
  list.paging = false;
  list.historyPurposes = [];
  updateEdges();
}

export function onVisible() {
  list.unseenWhileHidden = 0;
  updateTitle();
}

export function updateTitle() {
  const prefix = list.unseenWhileHidden ? `(${list.unseenWhileHidden}) ` : "";
  document.title = `${prefix}${session.roomLabel || "#" + session.room} · chatroom`;
}

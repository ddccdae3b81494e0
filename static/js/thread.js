// The thread panel: a side conversation hanging off one message (its root), beside the timeline
// (over it on a phone). It shows the root and its replies (read through the API, then live) and
// a box that sends with ``thread`` (docs/protocol.md, "Threads"). Thread replies stay out of the
// timeline (messages.js hands them here); the root there shows its replies' summary, which opens
// the thread too. Escape or ✕ closes it and gives the focus back to where it came from.

import {apiCall, roomPath} from "./api.js";
import {on, sendFrame} from "./connection.js";
import {announce, ui} from "./dom.js";
import {wireArrowKeys} from "./message_focus.js";
import {applyChange, decorate} from "./message_state.js";
import {configureThreads, itemById} from "./messages.js";
import {permalink} from "./permalink.js";
import {ERROR, FRAME, MAX_MESSAGE_CHARS, codePoints} from "./protocol.js";
import {messageItem, regroup} from "./render.js";
import {isOwnMessage, mayWrite, session} from "./session.js";
import {slashCommand} from "./slash_commands.js";
import {countReply, showSentToRoom, showSummary, uncountReply} from "./thread_summary.js";

const $ = (id) => document.getElementById(id);
const REF_PREFIX = "t-";
// A thread's newest replies read when it opens: the API's most.
const READ_AT_MOST = 500;

const panel = {root: 0, byId: new Map(), sent: new Map(), refCounter: 0, openedFrom: null, reads: 0};
// ``shown(root, newestId)``: the panel shows the thread up to that message (thread_follow.js reads it).
const hooks = {shown: () => {}, closed: () => {}};

export function configureThreadPanel(more) {
  Object.assign(hooks, more);
}

// The root of the open thread (0: none), and the newest message the panel shows of it.
export const openRoot = () => panel.root;
export const newestShown = () => Math.max(0, ...panel.byId.keys());

// A link's fragment that opens thread ``root`` (a search result of another room: ``?room=R#t-ROOT``),
// at its message ``id`` if given (a reply's link: ``#t-ROOT-ID``).
export const threadHash = (root, id = 0) => (id ? `t-${root}-${id}` : `t-${root}`);

// The link of message ``id`` of thread ``root``: it opens the page with the thread open, at the message.
export function threadLinkTo(root, id) {
  const url = new URL(permalink(id));
  url.hash = threadHash(root, id);
  return url.href;
}

// The root of the open thread (0: none).
export const threadRoot = () => panel.root;

// The link of a message of the open thread.
export const threadLink = (id) => threadLinkTo(panel.root, id);

function openFromAddress() {
  const found = /^#t-(\d+)(?:-(\d+))?$/.exec(location.hash);
  if (found) openThread(Number(found[1]), Number(found[2] || 0));
}

// --- opening and closing -------------------------------------------------------------------

export async function openThread(root, focusId = 0) {
  if (!root) return;
  // Closing gives the focus back to what opened it (a summary, a button), not to the panel itself.
  if (!$("thread-panel").contains(document.activeElement)) panel.openedFrom = document.activeElement;
  if (panel.root !== root) {
    panel.byId.clear();
    $("thread-messages").replaceChildren();
  }
  panel.root = root;
  $("thread-panel").hidden = false;
  $("app").classList.add("thread-open");
  $("thread-error").hidden = true;
  showWritable();
  await readThread();
  if (focusId && panel.byId.has(focusId)) panel.byId.get(focusId).focus();
  else if (!$("thread-text").disabled) $("thread-text").focus();
  else $("thread-scroller").focus();
}

export function closeThread() {
  if (!panel.root) return;
  panel.root = 0;
  panel.byId.clear();
  $("thread-messages").replaceChildren();
  $("thread-panel").hidden = true;
  $("app").classList.remove("thread-open");
  // Closed, it stays closed: a reconnection does not open it again from the address.
  if (/^#t-[\d-]+$/.test(location.hash)) history.replaceState(null, "", location.pathname + location.search);
  const back = panel.openedFrom;
  panel.openedFrom = null;
  hooks.closed();
  if (back && back.isConnected) back.focus();
  else ui.text.focus();
}

// The root and its newest replies, through the API (the same access as the room's messages).
async function readThread() {
  const root = panel.root;
  const read = ++panel.reads;
  $("thread-loading").hidden = false;
  const answer = await apiCall("GET", `${roomPath(session.room)}/messages?thread=${root}&limit=${READ_AT_MOST}`);
  if (read !== panel.reads || panel.root !== root) return; // another thread opened meanwhile
  $("thread-loading").hidden = true;
  if (!answer.ok) return sayProblem("The thread could not be read: try again in a moment.");
  // What it answers replaces what the panel showed (a re-read after a reconnection: as they are now);
  // a reply that came live meanwhile, newer than the answer, stays.
  const frames = Array.isArray(answer.body?.messages) ? answer.body.messages : [];
  frames.filter((m) => m && typeof m.id === "number" && typeof m.message === "string").forEach(addToPanel);
  if (!panel.byId.has(root)) sayProblem("The message this thread hangs off is not there any more.");
  showEnd();
  hooks.shown(root, newestShown());
}

// --- the panel's messages -------------------------------------------------------------------

function addToPanel(frame) {
  const item = messageItem(frame, frame.own === true || isOwnMessage(frame));
  decorate(item, frame);
  ownIds(item);
  if (frame.id === panel.root) item.classList.add("thread-root");
  const shown = panel.byId.get(frame.id);
  panel.byId.set(frame.id, item);
  if (shown) return shown.replaceWith(item);
  const list = $("thread-messages");
  const after = [...list.children].reverse().find((node) => Number(node.dataset.id) < frame.id);
  if (after) after.after(item);
  else list.prepend(item);
  regroup(item);
  // The first reply stands under the root's line with its own header, whoever wrote the root.
  const first = list.querySelector(".thread-root + .msg");
  if (first) first.classList.remove("cont");
}

// The panel's copy of a message names its parts with ids of its own (the timeline has the root too).
function ownIds(item) {
  for (const node of item.querySelectorAll("[id]")) node.id = `thread-${node.id}`;
  const names = item.getAttribute("aria-labelledby");
  if (names) item.setAttribute("aria-labelledby", names.split(" ").map((id) => `thread-${id}`).join(" "));
}

function showEnd() {
  const scroller = $("thread-scroller");
  scroller.scrollTop = scroller.scrollHeight;
}

// A reply of any thread, live or in a history frame (messages.js keeps it out of the timeline).
function onReply(frame) {
  const root = itemById(frame.thread);
  if (root) countReply(root, frame);
  if (frame.thread !== panel.root || panel.byId.has(frame.id)) return;
  const scroller = $("thread-scroller");
  const atEnd = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  addToPanel(frame);
  if (atEnd || isOwnMessage(frame)) showEnd();
  if (!isOwnMessage(frame)) announce(`${frame.nick} in the thread: ${frame.message.slice(0, 300)}`);
  hooks.shown(panel.root, newestShown());
}

function onChange(frame) {
  const item = panel.byId.get(frame?.target);
  if (!item) return;
  // A reply of the open thread deleted: its root counts one fewer (other threads' count at the next read).
  if (frame.type === FRAME.DELETE && frame.target !== panel.root && !item.classList.contains("deleted")) {
    const root = itemById(panel.root);
    if (root) uncountReply(root);
  }
  applyChange(item, frame);
}

// --- sending ----------------------------------------------------------------------------------

function showWritable() {
  const closed = !mayWrite();
  $("thread-text").disabled = closed;
  $("thread-broadcast").disabled = closed;
  $("thread-send").disabled = closed;
  $("thread-schedule").disabled = closed;
}

function sayProblem(words) {
  const error = $("thread-error");
  error.textContent = words;
  error.hidden = false;
}

function send(event) {
  event.preventDefault();
  const field = $("thread-text");
  if (!panel.root || commanded(field)) return;
  const text = field.value.trim();
  if (!text) return;
  if (codePoints(text) > MAX_MESSAGE_CHARS) return sayProblem("That is too long.");
  panel.refCounter += 1;
  const ref = `${REF_PREFIX}${Date.now().toString(36)}-${panel.refCounter}`;
  const frame = {type: FRAME.MESSAGE, message: field.value, thread: panel.root, ref};
  if ($("thread-broadcast").checked) frame.broadcast = true;
  if (!sendFrame(frame)) {
    return sayProblem("Not connected: the reply waits in the box until the page is back.");
  }
  panel.sent.set(ref, field.value);
  field.value = "";
  $("thread-broadcast").checked = false; // once, as in Slack: the next reply stays in the thread
  $("thread-error").hidden = true;
}

// A slash command in the reply box, as in the message box (static/js/slash_commands.js): its refusal
// said, or its page action done and the box emptied, and true; or the box's text changed into the
// reply that goes instead, and false.
function commanded(field) {
  const command = slashCommand(field.value);
  if (!command) return false;
  if (command.refusal) {
    sayProblem(command.refusal);
    return true;
  }
  if (command.run) {
    command.run().then((refusal) => (refusal ? sayProblem(refusal) : (field.value = "")));
    return true;
  }
  field.value = command.text;
  return false;
}

function onAck(frame) {
  panel.sent.delete(frame.ref);
}

// A refused reply of the panel's: said in the panel, its text back in the box. False for others.
export function onThreadRefused(frame) {
  if (typeof frame.ref !== "string" || !frame.ref.startsWith(REF_PREFIX) || !panel.sent.has(frame.ref)) return false;
  const text = panel.sent.get(frame.ref);
  panel.sent.delete(frame.ref);
  const field = $("thread-text");
  if (!field.value) field.value = text;
  const why = {
    [ERROR.BAD_THREAD]: "This thread takes no more replies: its message was deleted.",
    [ERROR.RATE_LIMITED]: "Too many messages at once: wait a moment and send again.",
  };
  sayProblem(why[frame.code] || `Not sent: ${frame.message || frame.code}.`);
  return true;
}

function onBoxKey(event) {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("thread-composer").requestSubmit();
  }
}

// --- wiring -----------------------------------------------------------------------------------

export function wireThreads() {
  configureThreads({
    reply: onReply,
    root: (item, frame) => showSummary(item, frame.replies),
    sentToRoom: showSentToRoom,
  });
  const changeFrames = [FRAME.EDIT, FRAME.DELETE, FRAME.REACTION, FRAME.PIN, FRAME.VOTE, FRAME.CLOSE_POLL, FRAME.PREVIEW];
  for (const type of changeFrames) on(type, onChange);
  on(FRAME.ACK, onAck);
  // Back after a disconnect: what was missed is read again, whole.
  on(FRAME.WELCOME, () => (panel.root ? (showWritable(), readThread()) : openFromAddress()));
  wireArrowKeys($("thread-messages"));
  $("thread-composer").addEventListener("submit", send);
  $("thread-text").addEventListener("keydown", onBoxKey);
  $("thread-close").addEventListener("click", closeThread);
  $("thread-panel").addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.stopPropagation();
      closeThread();
    }
  });
  ui.list.addEventListener("click", (event) => {
    const summary = event.target.closest?.(".thread-summary");
    if (summary) openThread(Number(summary.dataset.root));
  });
}

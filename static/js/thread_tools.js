// The thread panel's box, beyond its text: who is typing a reply in the
// open thread (a typing frame naming the thread: the room's own line leaves
// it out), telling the others that one types in it, and 📎, files sent as
// replies in the thread (the files API takes ``thread``), one after another,
// each said under the box while it goes and if it is refused.

import {isBlocked} from "./blocks.js";
import {sendFrame} from "./connection.js";
import {announce, nickElement, textNode} from "./dom.js";
import {FRAME} from "./protocol.js";
import {isOwn, mayWrite, session} from "./session.js";
import {openRoot} from "./thread.js";
import {startUpload, uploadFailure} from "./upload.js";

const $ = (id) => document.getElementById(id);
const TYPING_SHOWN_FOR_MS = 4000;
const TYPING_EVERY_MS = 3000;

const state = {root: 0, typers: new Map(), timer: 0, lastSent: 0, sentFor: 0, sending: false};

// --- typing ----------------------------------------------------------------------------

function showTypers() {
  const now = Date.now();
  for (const [nick, until] of state.typers) if (until <= now) state.typers.delete(nick);
  const line = $("thread-typing");
  const names = [...state.typers.keys()];
  line.replaceChildren();
  if (names.length === 1) line.append(nickElement(names[0]), textNode(" is typing…"));
  else if (names.length === 2) line.append(nickElement(names[0]), textNode(" and "), nickElement(names[1]), textNode(" are typing…"));
  else if (names.length > 2) line.append(textNode("Several people are typing…"));
  clearTimeout(state.timer);
  if (names.length) state.timer = setTimeout(showTypers, Math.max(Math.min(...state.typers.values()) - now, 50));
}

function onTyping(frame) {
  if (!frame.thread || frame.thread !== openRoot() || typeof frame.nick !== "string") return;
  if (isOwn(frame.nick) || isBlocked(frame.nick)) return;
  if (state.root !== frame.thread) state.typers.clear(); // another thread opened since
  state.root = frame.thread;
  state.typers.set(frame.nick, Date.now() + TYPING_SHOWN_FOR_MS);
  showTypers();
}

// A reply from someone ends their typing line at once.
function onUser(frame) {
  if (frame.thread && state.typers.delete(frame.nick)) showTypers();
}

function typed() {
  const root = openRoot();
  const now = Date.now();
  if (!root || !$("thread-text").value.trim()) return;
  if (root === state.sentFor && now - state.lastSent < TYPING_EVERY_MS) return;
  if (sendFrame({type: FRAME.TYPING, thread: root})) Object.assign(state, {lastSent: now, sentFor: root});
}

// --- files -------------------------------------------------------------------------------

function say(words) {
  const error = $("thread-error");
  error.textContent = words;
  error.hidden = !words;
}

async function sendFiles(files) {
  const root = openRoot();
  if (!root || state.sending) return;
  state.sending = true;
  for (const file of files) {
    const upload = startUpload(session.room, file, {thread: root}, (part) => {
      say(`Sending ${file.name} to the thread… ${Math.round(part * 100)} %`);
    });
    const answer = await upload.done;
    if (!answer.ok) {
      say(uploadFailure(answer, file.name));
      break;
    }
    say("");
    announce(`${file.name} sent to the thread.`);
  }
  state.sending = false;
}

// Files are for accounts, in a room one may write in (the main box's 📎 says the same).
export function showThreadAttach() {
  const button = $("thread-attach");
  button.hidden = !session.isAccount;
  button.disabled = !mayWrite();
}

export function wireThreadTools(on) {
  on(FRAME.TYPING, onTyping);
  on(FRAME.USER, onUser);
  $("thread-text").addEventListener("input", typed);
  const input = $("thread-file-input");
  $("thread-attach").addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    const files = [...input.files];
    input.value = "";
    sendFiles(files);
  });
}

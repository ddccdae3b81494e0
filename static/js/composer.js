// The message box: sending with a ref, keeping the text until the server has
// stored it (its ack, or the message itself in a replay), saying why a
// message was refused, and telling the room that someone is typing.

import {sendFrame, socketOpen} from "./connection.js";
import {ui} from "./dom.js";
import {closeEmojiPicker, openEmojiPicker, pickerOpen} from "./emoji_picker.js";
import {ERROR, FRAME, MAX_MESSAGE_CHARS, codePoints} from "./protocol.js";
import {explain} from "./refusals.js";
import {cancelReply, replyTarget} from "./reply.js";
import {isOwnMessage} from "./session.js";

const TYPING_SEND_EVERY_MS = 2500;
const MAX_BOX_HEIGHT_PX = 160;

const box = {
  pending: null, // {ref, raw, text} of the message on its way
  // The last message given back unacked: sent again unchanged, it keeps its
  // ref, so the server stores it once even if the first send got through.
  unacked: null,
  refCounter: 0,
  lastTypingSent: 0,
};

export function showSendError(text) {
  ui.sendError.textContent = text;
  ui.sendError.hidden = false;
}

function clearSendError() {
  ui.sendError.hidden = true;
  ui.sendError.textContent = "";
}

function nextRef(raw) {
  if (box.unacked && box.unacked.raw === raw) return box.unacked.ref;
  box.refCounter += 1;
  return `m${Date.now().toString(36)}-${box.refCounter}`;
}

export function sendMessage() {
  const raw = ui.text.value;
  const text = raw.trim();
  if (box.pending) return;
  if (!text) return showSendError(explain(ERROR.EMPTY));
  if (codePoints(text) > MAX_MESSAGE_CHARS) return showSendError(explain(ERROR.TOO_LONG));
  if (!socketOpen()) {
    return showSendError(
      "Not connected right now: your message stays in the box. Press Enter again once the status says Online.",
    );
  }
  const ref = nextRef(raw);
  box.unacked = null;
  box.pending = {ref, raw, text};
  clearSendError();
  ui.composer.classList.add("sending");
  sendFrame({type: FRAME.MESSAGE, message: raw, ref, reply_to: replyTarget()});
  box.lastTypingSent = 0;
}

// The box keeps the text until the server has it; what was typed meanwhile stays.
function settlePending() {
  const {raw} = box.pending;
  box.pending = null;
  ui.composer.classList.remove("sending");
  cancelReply();
  const value = ui.text.value;
  if (value === raw) ui.text.value = "";
  else if (value.startsWith(raw)) ui.text.value = value.slice(raw.length).replace(/^\s+/, "");
  fitTextBox();
}

// Our own message came back (live or in a replay): it was stored.
export function settleBy(frame) {
  if (box.pending && isOwnMessage(frame) && frame.message === box.pending.text) settlePending();
}

// The connection dropped before an ack: the text is still in the box, to send again.
export function givePendingBack() {
  if (!box.pending) return;
  box.unacked = {ref: box.pending.ref, raw: box.pending.raw};
  box.pending = null;
  ui.composer.classList.remove("sending");
  showSendError(
    "Your last message was not sent before the connection dropped. It is still in the box: press Enter to send it.",
  );
}

export function onAck(frame) {
  if (box.pending && frame.ref === box.pending.ref) settlePending();
}

// A refused message: the reason in words, the text left in the box.
export function onRefused(frame) {
  if (box.pending && frame.ref === box.pending.ref) {
    box.pending = null;
    ui.composer.classList.remove("sending");
  }
  showSendError(explain(frame.code, frame.message));
}

export function fitTextBox() {
  ui.text.style.height = "auto";
  ui.text.style.height = Math.min(ui.text.scrollHeight + 2, MAX_BOX_HEIGHT_PX) + "px";
}

function sendTypingHint() {
  const now = Date.now();
  if (!ui.text.value.trim() || now - box.lastTypingSent < TYPING_SEND_EVERY_MS) return;
  if (sendFrame({type: FRAME.TYPING})) box.lastTypingSent = now;
}

function onTextKey(event) {
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  sendMessage();
}

// ``text`` in the box where the caret is (over what is selected), the caret after it.
export function insertAtCaret(text) {
  const box = ui.text;
  box.focus();
  box.setRangeText(text, box.selectionStart, box.selectionEnd, "end");
  box.dispatchEvent(new Event("input", {bubbles: true}));
}

function toggleEmojiPicker() {
  if (pickerOpen()) return closeEmojiPicker();
  openEmojiPicker(ui.emojiOpen, insertAtCaret, {label: "Emoji for your message"});
}

export function wireComposer() {
  ui.emojiOpen.addEventListener("click", toggleEmojiPicker);
  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    sendMessage();
  });
  ui.text.addEventListener("keydown", onTextKey);
  ui.text.addEventListener("input", () => {
    fitTextBox();
    sendTypingHint();
    if (!ui.sendError.hidden && !box.pending) clearSendError();
  });
}

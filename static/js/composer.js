// The message box: sending with a ref, keeping the text until the server has
// stored it (its ack, or the message itself in a replay), saying why a
// message was refused, and telling the room that someone is typing. What
// cannot go at once (offline, or another message on its way) goes to the
// outbox (static/js/outbox.js) under its ref.

import {hasFilesToSend, sendFiles, wireAttaching} from "./attach.js";
import {sendFrame} from "./connection.js";
import {announce, ui} from "./dom.js";
import {closeEmojiPicker, openEmojiPicker, pickerOpen} from "./emoji_picker.js";
import {ERROR, FRAME, MAX_MESSAGE_CHARS, codePoints} from "./protocol.js";
import * as outbox from "./outbox.js";
import {keepDraft} from "./drafts.js";
import {explain} from "./refusals.js";
import {cancelReply, replyTarget, wireReply} from "./reply.js";
import {
  confirmRoomMention,
  learnReach,
  peopleToConfirm,
  reachNotKnown,
  wireRoomMentionConfirm,
} from "./room_mention_confirm.js";
import {isOwnMessage, session} from "./session.js";
import {slashCommand} from "./slash_commands.js";

const TYPING_SEND_EVERY_MS = 2500;
const MAX_BOX_HEIGHT_PX = 160;

const box = {
  pending: null, // {ref, raw, text, replyTo} of the message on its way
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

function nextRef() {
  box.refCounter += 1;
  return `m${Date.now().toString(36)}-${box.refCounter}`;
}

// What the box holds beyond the message on its way (which stays in it until stored): what is unsent.
export function typedSincePending() {
  const value = ui.text.value;
  if (!box.pending || !value.startsWith(box.pending.raw)) return value;
  return value.slice(box.pending.raw.length).replace(/^\s+/, "");
}

// ``confirmed``: the person said to send a mention of many; ``learnt``: how many it notifies was waited for.
export function sendMessage({confirmed = false, learnt = false} = {}) {
  const files = hasFilesToSend();
  if (!confirmed && !learnt && commanded()) return;
  const raw = typedSincePending();
  const text = raw.trim();
  if (box.pending && !text && !files) return; // Enter again on the message on its way
  if (!text && !files) return showSendError(explain(ERROR.EMPTY));
  if (codePoints(text) > MAX_MESSAGE_CHARS) return showSendError(explain(ERROR.TOO_LONG));
  if (!confirmed && !learnt && text && reachNotKnown(text)) {
    return learnReach().then(() => sendMessage({learnt: true}));
  }
  const many = confirmed || !text ? null : peopleToConfirm(text);
  if (many !== null) return confirmRoomMention(many, () => sendMessage({confirmed: true}));
  if (files) return sendWithFiles(raw, text);
  const message = {ref: nextRef(), raw, text, replyTo: replyTarget()};
  clearSendError();
  box.lastTypingSent = 0;
  if (box.pending || outbox.waiting() || !outbox.readyToSend()) return queue(message);
  box.pending = message;
  keepDraft(); // sent: no longer a draft, though the box shows it until it is stored
  ui.composer.classList.add("sending");
  sendFrame({type: FRAME.MESSAGE, message: raw, ref: message.ref, reply_to: message.replyTo});
}

// A slash command (static/js/slash_commands.js): its refusal said, or its page action done, and
// true (nothing is sent); or the box's text changed into the message that goes instead, which the
// box shows until it is stored, as any message.
function commanded() {
  const typed = typedSincePending();
  const command = slashCommand(typed);
  if (!command) return false;
  if (command.refusal) {
    showSendError(command.refusal);
    return true;
  }
  if (command.run) {
    runCommand(command.run, typed);
    return true;
  }
  replaceTyped(typed, command.text);
  return false;
}

// ``typed`` (the end of the box) replaced by ``text``.
function replaceTyped(typed, text) {
  const value = ui.text.value;
  ui.text.value = value.slice(0, value.length - typed.length) + text;
  fitTextBox();
}

async function runCommand(run, typed) {
  clearSendError();
  const refusal = await run();
  if (refusal) return showSendError(refusal);
  replaceTyped(typed, "");
  ui.text.value = ui.text.value.trimEnd();
  keepDraft();
}

// The files waiting above the box go, the box's text (if any) as the first one's caption.
function sendWithFiles(raw, text) {
  clearSendError();
  sendFiles({raw: text ? raw : "", text, replyTo: replyTarget()});
}

// A caption went with its file: out of the box (what was typed meanwhile stays), the reply done.
function captionSent(raw) {
  cancelReply();
  if (!raw) return;
  const value = ui.text.value;
  if (value === raw) ui.text.value = "";
  else if (value.startsWith(raw)) ui.text.value = value.slice(raw.length).replace(/^\s+/, "");
  fitTextBox();
  keepDraft();
}

// Into the outbox, in order behind what waits there; the box is free for the next one.
function queue(message) {
  if (!outbox.readyToSend()) announce("Not connected: the message waits below and goes once connected.");
  outbox.add(message);
  cancelReply();
  ui.text.value = box.pending ? box.pending.raw : "";
  fitTextBox();
  keepDraft();
  outbox.pump();
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
  keepDraft();
  outbox.pump();
}

// Our own message came back (live or in a replay): it was stored.
export function settleBy(frame) {
  if (box.pending && isOwnMessage(frame) && frame.message === box.pending.text) settlePending();
}

// The connection went before the ack: the message waits in the outbox, first,
// under its ref, and goes again by itself (stored once if it got through).
export function requeuePending() {
  if (!box.pending) return;
  const {ref, raw, text, replyTo} = box.pending;
  outbox.add({ref, raw, text, replyTo, tried: true}, {first: true});
  settlePending();
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
  outbox.pump();
}

const ARCHIVED_NOTE = "This room is archived: its messages can be read, not added to or changed.";
const LISTENING_NOTE = "Only the room's owner and administrators post here";

// The box takes messages unless the room is archived, or not one's to see:
// then it is disabled (what it holds stays) and says why. Where only the
// room's owner and administrators post, it gives way to a line that says so.
export function showWritable() {
  const archived = session.readOnly && !session.roomMissing;
  const listening = session.listening && !archived && !session.roomMissing;
  const closed = archived || session.roomMissing || listening;
  ui.composer.hidden = listening;
  for (const control of [ui.text, ui.send, ui.emojiOpen, ui.attach, ui.scheduleOpen]) control.disabled = closed;
  if (closed) {
    cancelReply();
    if (pickerOpen()) closeEmojiPicker();
  }
  const hint = session.roomMissing
    ? "There is no room here to write in"
    : archived
      ? "This room is archived: it is read only"
      : `Message ${session.roomLabel}`;
  ui.text.dataset.placeholder = hint; // what the box says again once no file waits for a caption
  if (closed || !hasFilesToSend()) ui.text.placeholder = hint;
  ui.composerNote.textContent = archived ? ARCHIVED_NOTE : listening ? LISTENING_NOTE : "";
  ui.composerNote.hidden = !archived && !listening;
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
  outbox.wireOutbox(() => box.pending !== null);
  wireAttaching({captionSent, refuse: showSendError});
  ui.emojiOpen.addEventListener("click", toggleEmojiPicker);
  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    sendMessage();
  });
  ui.text.addEventListener("keydown", onTextKey);
  wireReply();
  wireRoomMentionConfirm();
  ui.text.addEventListener("input", () => {
    fitTextBox();
    sendTypingHint();
    if (!ui.sendError.hidden && !box.pending) clearSendError();
  });
}

// The outbox: messages typed while they could not go at once (the page was
// offline, or another message was still on its way), shown under the message
// list with "waiting to send" and a way to cancel each. Each keeps the ref it
// got when typed, so that sending it again after a lost ack stores it once
// (the server's resend rule, docs/protocol.md). Once the page is connected
// and caught up (welcome and history in), they go in order, one at a time,
// each waiting for its ack or its own echo. Kept in sessionStorage per room:
// a reload while offline keeps them (sessionStorage is this tab's alone, so
// another tab never sends them twice). Closing the tab would lose them, so
// while any wait the browser asks before the page goes.

import {sendFrame, socketOpen} from "./connection.js";
import {announce, element, linkButton, ui} from "./dom.js";
import {ERROR, FRAME} from "./protocol.js";
import {explain} from "./refusals.js";
import {isOwnMessage, session} from "./session.js";

const STORAGE_PREFIX = "chatroom.outbox.";
// Refusals that pass by themselves: the message waits and goes again a little later.
const PASSING = new Set([ERROR.RATE_LIMITED, ERROR.UNAVAILABLE]);
const RETRY_AFTER_MS = 2000;

const out = {
  items: [], // {ref, raw, text, replyTo, tried, refused}: tried once sent, refused holds the reason
  inFlight: "", // the ref of the item sent and not yet settled
  ready: false, // connected, and the history after the welcome is in
  busy: () => false, // the message box has a message of its own on its way
  retryTimer: 0,
};

const storageKey = () => STORAGE_PREFIX + session.room;

export const waiting = () => out.items.length > 0;
export const readyToSend = () => out.ready && socketOpen();

// A message typed now, to go when it can.
export function add({ref, raw, text, replyTo = null, tried = false}, {first = false} = {}) {
  const item = {ref, raw, text, replyTo, tried, refused: ""};
  if (first) out.items.unshift(item);
  else out.items.push(item);
  changed();
}

// The next waiting message goes, if the page may send and nothing else is on its way.
export function pump() {
  if (!readyToSend() || out.inFlight || out.busy()) return;
  const next = out.items.find((item) => !item.refused);
  if (!next) return;
  next.tried = true;
  out.inFlight = next.ref;
  sendFrame({type: FRAME.MESSAGE, message: next.raw, ref: next.ref, reply_to: next.replyTo});
  changed();
}

function settle(item) {
  out.items = out.items.filter((other) => other !== item);
  if (out.inFlight === item.ref) out.inFlight = "";
  changed();
  pump();
}

export function onAck(frame) {
  const item = out.items.find((i) => i.ref === frame.ref);
  if (!item) return false;
  settle(item);
  return true;
}

// Our own message came back, live or in a ``since`` replay: a message sent
// before with that text was stored (its ack may have been lost), so it is
// not sent again.
export function settleBy(frame) {
  if (!isOwnMessage(frame)) return;
  const item = out.items.find((i) => i.tried && !i.refused && i.text === frame.message);
  if (item) settle(item);
}

// A refused message stays, with the reason, until sent again or cancelled;
// one refused for a passing reason (too fast, the store away) goes again soon.
export function onRefused(frame) {
  const item = out.items.find((i) => i.ref === frame.ref);
  if (!item) return false;
  if (out.inFlight === item.ref) out.inFlight = "";
  if (PASSING.has(frame.code)) {
    clearTimeout(out.retryTimer);
    out.retryTimer = setTimeout(pump, RETRY_AFTER_MS);
    changed();
    return true;
  }
  item.refused = reason(frame);
  announce(`Not sent: ${item.refused}`);
  changed();
  pump();
  return true;
}

// The refusal in words, less what speaks of the message box: this message is here.
function reason(frame) {
  const sentences = explain(frame.code, frame.message).split(/(?<=\.)\s+/);
  return sentences.filter((s) => !/in the box/i.test(s)).join(" ");
}

// Welcome: nothing goes until the history after it is in (its replay may settle some).
export function onWelcome() {
  out.ready = false;
  out.inFlight = "";
}

export function onCaughtUp() {
  out.ready = true;
  pump();
}

// The socket went: what was on its way waits again (it may have been stored).
export function onClosed() {
  out.ready = false;
  out.inFlight = "";
  changed();
}

function cancel(item) {
  out.items = out.items.filter((other) => other !== item);
  changed();
  ui.text.focus();
}

function sendAgain(item) {
  item.refused = "";
  changed();
  pump();
}

function stateWords(item) {
  if (item.refused) return `Not sent: ${item.refused}`;
  if (item.ref === out.inFlight) return "sending…";
  return "waiting to send";
}

function itemElement(item) {
  const node = element("li", item.refused ? "refused" : item.ref === out.inFlight ? "sending" : "waiting");
  node.dataset.ref = item.ref;
  const words = element("span", "outbox-text");
  words.append(element("bdi", "", item.text));
  const actions = element("span", "outbox-actions");
  if (item.refused) actions.append(linkButton("Send again", () => sendAgain(item)));
  const cancelButton = linkButton("Cancel", () => cancel(item));
  cancelButton.disabled = item.ref === out.inFlight;
  cancelButton.setAttribute("aria-label", `Cancel “${item.text.slice(0, 40)}”`);
  actions.append(cancelButton);
  node.append(words, element("span", "outbox-state", stateWords(item)), actions);
  return node;
}

function changed() {
  ui.outbox.replaceChildren(...out.items.map(itemElement));
  ui.outbox.hidden = out.items.length === 0;
  save();
}

function save() {
  try {
    if (out.items.length) sessionStorage.setItem(storageKey(), JSON.stringify(out.items));
    else sessionStorage.removeItem(storageKey());
  } catch {
    // Storage full or switched off: the outbox lives as long as the page.
  }
}

function load() {
  try {
    const kept = JSON.parse(sessionStorage.getItem(storageKey()) || "[]");
    if (!Array.isArray(kept)) return [];
    return kept.filter((i) => i && typeof i.ref === "string" && typeof i.raw === "string" && typeof i.text === "string");
  } catch {
    return [];
  }
}

// The browser's own "Leave site?" question: what waits here would go with the tab.
function askBeforeLeaving(event) {
  if (!waiting()) return;
  event.preventDefault();
  event.returnValue = "";
}

// ``busy()`` says whether the message box has a message on its way (the outbox waits for it).
export function wireOutbox(busy) {
  out.busy = busy;
  window.addEventListener("beforeunload", askBeforeLeaving);
  out.items = load().map((i) => ({
    ref: i.ref,
    raw: i.raw,
    text: i.text,
    replyTo: Number.isInteger(i.replyTo) ? i.replyTo : null,
    tried: i.tried === true,
    refused: typeof i.refused === "string" ? i.refused : "",
  }));
  changed();
}

// Files to send: chosen with the 📎 button, dropped on the conversation, or
// pasted. They wait in a tray above the message box (name, size, a preview
// of a picture) until Send; then each goes as a message of its own, in
// order, the box's text with the first as its caption, each with a progress
// bar and a way to cancel it. A file refused stays with the reason in words
// (and what came after it waits) until sent again or removed.

import {announce, element, ui} from "./dom.js";
import {humanSize} from "./file_view.js";
import {session} from "./session.js";
import {startUpload, uploadFailure} from "./upload.js";

const $ = (id) => document.getElementById(id);
const parts = {
  button: $("attach"),
  input: $("file-input"),
  tray: $("attachments"),
  dropZone: $("drop-zone"),
  dropTarget: $("app"),
};

const PREVIEWED = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

const tray = {
  items: [], // {file, url, state: "ready"|"queued"|"sending"|"failed", error, cancel, node}
  caption: null, // {raw, text, replyTo}: goes with the next file that is sent
  sending: false,
  dragDepth: 0,
  captionSent: (raw) => {}, // the box's text went with a file
  refuse: (text) => {}, // said where a refused message is said
};

// A guest's page has no button; a room one cannot write in (archived) has it disabled.
const mayAttach = () => !parts.button.hidden && !parts.button.disabled;

const maxUpload = () => Number(document.body.dataset.maxUpload) || 0;
const tooLarge = (file) => maxUpload() > 0 && file.size > maxUpload();

// Files are for accounts: a guest's page offers no button (the server refuses guests' files).
export function offerAttaching(mayAttach) {
  parts.button.hidden = !mayAttach;
}

// Whether Send has files to send (chosen, or refused and waiting to go again).
export const hasFilesToSend = () => tray.items.some((item) => item.state === "ready" || item.state === "failed");

// Into the tray, in order; a file over the server's limit says so at once.
export function addFiles(files) {
  if (!files.length) return;
  if (parts.button.hidden) return tray.refuse("Sign in with an account to send files.");
  if (parts.button.disabled) return tray.refuse("Nothing can be sent to this room: it is read only.");
  for (const file of files) {
    const item = {file, url: "", state: "ready", error: "", cancel: null, node: null};
    if (PREVIEWED.has(file.type)) item.url = URL.createObjectURL(file);
    if (tooLarge(file)) {
      item.state = "failed";
      item.error = `Too large: this server takes files up to ${humanSize(maxUpload())}.`;
    }
    item.node = itemElement(item);
    tray.items.push(item);
    parts.tray.append(item.node);
  }
  changed();
  ui.text.focus();
}

// Send every waiting file, in order (but those the server would refuse for their size);
// ``caption`` ({raw, text, replyTo}) goes with the first.
export function sendFiles(caption) {
  for (const item of tray.items) {
    if ((item.state === "ready" || item.state === "failed") && !tooLarge(item.file)) {
      item.state = "queued";
      item.error = "";
    }
  }
  tray.caption = caption;
  changed();
  pump();
}

async function pump() {
  if (tray.sending) return;
  const next = tray.items.find((item) => item.state === "queued");
  if (!next) return;
  tray.sending = true;
  const caption = tray.caption;
  tray.caption = null;
  next.state = "sending";
  changed();
  const options = caption ? {text: caption.text, replyTo: caption.replyTo} : {};
  const upload = startUpload(session.room, next.file, options, (fraction) => showProgress(next, fraction));
  next.cancel = upload.cancel;
  const answer = await upload.done;
  tray.sending = false;
  next.cancel = null;
  if (answer.ok) {
    remove(next);
    if (caption) tray.captionSent(caption.raw);
  } else if (answer.failed === "abort") {
    remove(next);
    tray.caption = caption; // a cancelled file's caption goes with the next one
  } else {
    refused(next, uploadFailure(answer, next.file.name));
    tray.caption = caption;
  }
  changed();
  pump();
}

// What came after a refused file waits with it, so that the files still go in order.
function refused(item, reason) {
  item.state = "failed";
  item.error = reason;
  announce(`${item.file.name} was not sent: ${reason}`);
  for (const other of tray.items) if (other.state === "queued") other.state = "ready";
}

function remove(item) {
  if (item.url) URL.revokeObjectURL(item.url);
  item.node.remove();
  tray.items = tray.items.filter((other) => other !== item);
}

function dismiss(item) {
  if (item.state === "sending" && item.cancel) return item.cancel(); // pump() takes it out
  remove(item);
  changed();
  ui.text.focus();
}

// --- the tray ------------------------------------------------------------------------

function itemElement(item) {
  const node = element("li", "attachment");
  const preview = item.url ? element("img", "attachment-preview") : element("span", "attachment-preview", "📄");
  if (item.url) {
    preview.src = item.url;
    preview.alt = "";
  }
  preview.setAttribute("aria-hidden", "true");
  const about = element("div", "attachment-about");
  const name = element("bdi", "attachment-name", item.file.name || "file");
  about.append(name, element("span", "attachment-size", humanSize(item.file.size)));
  const words = element("span", "attachment-state");
  const bar = element("progress", "attachment-progress");
  bar.max = 1;
  bar.setAttribute("aria-label", `Sending ${item.file.name}`);
  about.append(words, bar);
  const close = element("button", "attachment-remove", "×");
  close.type = "button";
  close.addEventListener("click", () => dismiss(item));
  node.append(preview, about, close);
  return node;
}

function showProgress(item, fraction) {
  const bar = item.node.querySelector("progress");
  bar.value = fraction;
  item.node.querySelector(".attachment-state").textContent = `Sending… ${Math.floor(fraction * 100)}%`;
}

const STATE_WORDS = {ready: "", queued: "Waiting to send", sending: "Sending…"};

function paint(item) {
  const node = item.node;
  node.dataset.state = item.state;
  node.querySelector(".attachment-state").textContent = item.state === "failed" ? item.error : STATE_WORDS[item.state];
  const bar = node.querySelector("progress");
  bar.hidden = item.state !== "sending";
  if (item.state !== "sending") bar.removeAttribute("value"); // indeterminate until the first progress
  const close = node.querySelector("button");
  const what = item.state === "sending" ? "Cancel sending" : "Remove";
  close.setAttribute("aria-label", `${what} ${item.file.name}`);
  close.title = what;
}

function changed() {
  tray.items.forEach(paint);
  parts.tray.hidden = tray.items.length === 0;
  const waiting = hasFilesToSend();
  ui.text.placeholder = waiting ? "Add a caption (optional)" : ui.text.dataset.placeholder;
}

// --- choosing, dropping, pasting ---------------------------------------------------

const carriesFiles = (event) => Boolean(event.dataTransfer) && [...event.dataTransfer.types].includes("Files");

function showDropZone(shown) {
  parts.dropZone.hidden = !shown || !mayAttach();
}

function wireDropping() {
  parts.dropTarget.addEventListener("dragenter", (event) => {
    if (!carriesFiles(event)) return;
    tray.dragDepth += 1;
    showDropZone(true);
  });
  parts.dropTarget.addEventListener("dragleave", (event) => {
    if (!carriesFiles(event)) return;
    tray.dragDepth = Math.max(0, tray.dragDepth - 1);
    if (tray.dragDepth === 0) showDropZone(false);
  });
  parts.dropTarget.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault(); // a file dropped here is taken, not opened by the browser
    event.dataTransfer.dropEffect = mayAttach() ? "copy" : "none";
  });
  parts.dropTarget.addEventListener("drop", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    tray.dragDepth = 0;
    showDropZone(false);
    addFiles([...event.dataTransfer.files]);
  });
  // Dropped beside the conversation (on a dialog, say), a file is not opened in place of the chat.
  for (const type of ["dragover", "drop"]) {
    window.addEventListener(type, (event) => {
      if (carriesFiles(event)) event.preventDefault();
    });
  }
  window.addEventListener("dragend", () => {
    tray.dragDepth = 0;
    showDropZone(false);
  });
}

// A picture or file pasted into the message box (or onto the page) joins the tray.
function onPaste(event) {
  const files = event.clipboardData ? [...event.clipboardData.files] : [];
  if (!files.length) return;
  const target = event.target;
  const elsewhere = target instanceof Element && target !== ui.text && target.closest("input, textarea, dialog");
  if (elsewhere) return;
  event.preventDefault();
  addFiles(files);
}

// ``captionSent(raw)``: the box's text went with a file; ``refuse(text)``: say why files cannot go.
export function wireAttaching({captionSent, refuse}) {
  Object.assign(tray, {captionSent, refuse});
  ui.text.dataset.placeholder = ui.text.placeholder;
  parts.button.addEventListener("click", () => parts.input.click());
  parts.input.addEventListener("change", () => {
    addFiles([...parts.input.files]);
    parts.input.value = ""; // the same file may be chosen again
  });
  document.addEventListener("paste", onPaste);
  wireDropping();
}

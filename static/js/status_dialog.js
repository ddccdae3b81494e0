// Setting one's status and pausing notifications, from the account menu: its
// "Status" section opens the "Set a status" dialog (suggestions, an emoji and a
// text, when it clears), and its "Pause notifications" section pauses them for a
// while or until a chosen time, and resumes them. Times are the browser's: "today"
// ends at midnight here, and the page sends the moment (docs/protocol.md).

import {apiCall, failure} from "./api.js";
import {element} from "./dom.js";
import {openEmojiPicker} from "./emoji_picker.js";
import {learnMarks, onStatusChange, pausedUntil, statusOf, whenSaid} from "./status.js";
import {session} from "./session.js";

const $ = (id) => document.getElementById(id);
const DEFAULT_EMOJI = "💬";
const MINUTE = 60_000;

const PRESETS = [
  {emoji: "📅", text: "In a meeting", clears: "60", said: "1 hour"},
  {emoji: "🚌", text: "Commuting", clears: "30", said: "30 minutes"},
  {emoji: "🤒", text: "Out sick", clears: "today", said: "Today"},
  {emoji: "🌴", text: "On holiday", clears: "week", said: "This week"},
  {emoji: "🏠", text: "Working remotely", clears: "today", said: "Today"},
];

// When a choice of "Clear after" or "Pause" ends, in ms (null: never); ``custom``: a datetime-local value.
export function untilOf(choice, custom = "") {
  const at = new Date();
  if (/^\d+$/.test(choice)) return Date.now() + Number(choice) * MINUTE;
  if (choice === "never") return null;
  if (choice === "custom") return custom ? new Date(custom).getTime() : NaN;
  if (choice === "tomorrow") {
    at.setDate(at.getDate() + 1);
    at.setHours(9, 0, 0, 0);
    return at.getTime();
  }
  if (choice === "week") at.setDate(at.getDate() + ((7 - at.getDay()) % 7)); // the coming Sunday, or today's
  at.setHours(23, 59, 59, 999);
  return at.getTime();
}

// --- the dialog ----------------------------------------------------------------------------

const form = {
  dialog: $("my-status-dialog"),
  form: $("my-status-form"),
  emoji: $("my-status-emoji"),
  text: $("my-status-text"),
  clearAfter: $("my-status-clear-after"),
  error: $("my-status-error"),
  clear: $("my-status-clear"),
  presets: $("my-status-presets"),
};

function chooseEmoji(emoji) {
  form.emoji.textContent = emoji;
  form.emoji.setAttribute("aria-label", `Emoji: ${emoji}. Choose another`);
}

function presetItem(preset) {
  const button = element("button", "status-preset");
  button.type = "button";
  button.append(element("span", "status-preset-emoji", preset.emoji), element("span", "", preset.text));
  button.append(element("span", "hint", ` — ${preset.said}`));
  button.addEventListener("click", () => {
    chooseEmoji(preset.emoji);
    form.text.value = preset.text;
    form.clearAfter.value = preset.clears;
    form.text.focus();
  });
  const item = element("li");
  item.append(button);
  return item;
}

// The "Clear after" a status was set with, as far as its end tells (a time of its own: an hour).
function clearAfterOf(status) {
  if (!status) return "60";
  if (status.until === null) return "never";
  return ["today", "week"].find((choice) => untilOf(choice) === status.until) || "60";
}

export function openStatusDialog() {
  const status = statusOf(session.myNick);
  chooseEmoji(status ? status.emoji : DEFAULT_EMOJI);
  form.text.value = status ? status.text : "";
  form.clearAfter.value = clearAfterOf(status);
  form.error.textContent = "";
  form.clear.hidden = !status;
  form.dialog.showModal();
  form.text.focus();
}

// The server's answer is what every tab shows: one's own is learnt from it at once (the frame follows).
function learnOwn(fields) {
  learnMarks([{name: session.myNick, status: statusOf(session.myNick), dnd: pausedUntil(session.myNick), ...fields}]);
}

async function saveStatus(event) {
  event.preventDefault();
  const until = untilOf(form.clearAfter.value);
  const body = {emoji: form.emoji.textContent, text: form.text.value.trim(), until};
  const answer = await apiCall("PUT", "/api/me/status", body);
  if (!answer.ok) return (form.error.textContent = failure(answer));
  learnOwn({status: answer.body.status});
  form.dialog.close();
}

async function clearStatus() {
  const answer = await apiCall("DELETE", "/api/me/status");
  if (!answer.ok) return (form.error.textContent = failure(answer));
  learnOwn({status: null});
  form.dialog.close();
}

// --- the account menu's sections ---------------------------------------------------------------

const menu = {
  now: $("my-status-now"),
  open: $("my-status-open"),
  remove: $("my-status-remove"),
  dndNow: $("dnd-now"),
  choose: $("dnd-choose"),
  dndFor: $("dnd-for"),
  dndUntil: $("dnd-until"),
  pause: $("dnd-pause"),
  resume: $("dnd-resume"),
};

const PAUSE_HINT = "Nothing sounds, pops up or reaches your devices while paused; unread counts and mentions still count.";

// One's own status and pause, as the menu says them.
export function showOwnStatus() {
  if (!menu.now || !session.myNick) return;
  const status = statusOf(session.myNick);
  menu.now.replaceChildren();
  if (status) {
    menu.now.append(element("span", "status-emoji", status.emoji), " ", element("bdi", "", status.text || status.emoji));
    if (status.until !== null) menu.now.append(element("span", "hint", ` — until ${whenSaid(status.until)}`));
  } else menu.now.textContent = "No status.";
  menu.remove.hidden = !status;
  const until = pausedUntil(session.myNick);
  menu.choose.hidden = Boolean(until);
  menu.resume.hidden = !until;
  menu.dndNow.textContent = until ? `🌙 Notifications paused until ${whenSaid(until)}.` : PAUSE_HINT;
}

async function pause() {
  const until = untilOf(menu.dndFor.value, menu.dndUntil.value);
  if (!Number.isFinite(until)) return (menu.dndNow.textContent = "Choose until when first.");
  const answer = await apiCall("PUT", "/api/me/dnd", {until});
  if (!answer.ok) return (menu.dndNow.textContent = failure(answer));
  learnOwn({dnd: answer.body.until});
  menu.resume.focus();
}

async function resume() {
  const answer = await apiCall("DELETE", "/api/me/dnd");
  if (!answer.ok) return (menu.dndNow.textContent = failure(answer));
  learnOwn({dnd: null});
  menu.pause.focus();
}

async function removeStatus() {
  const answer = await apiCall("DELETE", "/api/me/status");
  if (!answer.ok) return (menu.now.textContent = failure(answer));
  learnOwn({status: null});
  menu.open.focus();
}

export function wireStatus() {
  if (!form.dialog || !menu.now) return;
  form.presets.replaceChildren(...PRESETS.map(presetItem));
  form.emoji.addEventListener("click", () => openEmojiPicker(form.emoji, chooseEmoji, {label: "Choose your status's emoji", within: form.dialog, near: form.text, custom: false}));
  form.form.addEventListener("submit", saveStatus);
  form.clear.addEventListener("click", clearStatus);
  form.dialog.querySelector("[data-close]").addEventListener("click", () => form.dialog.close());
  menu.open.addEventListener("click", openStatusDialog);
  menu.remove.addEventListener("click", removeStatus);
  menu.dndFor.addEventListener("change", () => {
    menu.dndUntil.hidden = menu.dndFor.value !== "custom";
    if (!menu.dndUntil.hidden) menu.dndUntil.focus();
  });
  menu.pause.addEventListener("click", pause);
  menu.resume.addEventListener("click", resume);
  onStatusChange(showOwnStatus);
}

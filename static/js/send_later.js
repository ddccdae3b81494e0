// Send later (docs/protocol.md, "Scheduled messages"): the ⏰ button beside
// Send (of the message box, or of the thread panel's) opens a menu of times
// (in 30 minutes, in 1 hour, tomorrow at 9:00, next Monday at 9:00, or a date
// and time of one's choosing, in the browser's time); the box's text, with the
// message it replies to (or its thread, and whether it also goes to the room),
// goes to the server to be sent then, and the box empties. A line above the
// message box says how many messages wait to be sent to this room, with a way
// to the list (scheduled.js). People with an account only.

import {apiCall, failure} from "./api.js";
import {hasFilesToSend} from "./attach.js";
import {fitTextBox, showSendError} from "./composer.js";
import {announce, ui} from "./dom.js";
import {keepDraft} from "./drafts.js";
import {ERROR, MAX_MESSAGE_CHARS, codePoints} from "./protocol.js";
import {explain} from "./refusals.js";
import {cancelReply, replyTarget} from "./reply.js";
import {session} from "./session.js";
import {threadRoot} from "./thread.js";

const $ = (id) => document.getElementById(id);
const MINUTE = 60_000;
const MONDAY = 1;

const when = new Intl.DateTimeFormat(undefined, {weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit"});

// When a choice of the menu is, in ms; ``custom``: a datetime-local value (NaN when there is none).
export function timeOf(choice, custom = "") {
  if (/^\d+$/.test(choice)) return Date.now() + Number(choice) * MINUTE;
  if (choice === "custom") return custom ? new Date(custom).getTime() : NaN;
  const at = new Date();
  const days = choice === "monday" ? (MONDAY - at.getDay() + 7) % 7 || 7 : 1;
  at.setDate(at.getDate() + days);
  at.setHours(9, 0, 0, 0);
  return at.getTime();
}

// A time as a datetime-local input takes it (the browser's time, to the minute).
export function localInputValue(ms) {
  const at = new Date(ms);
  const two = (n) => String(n).padStart(2, "0");
  const day = `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}`;
  return `${day}T${two(at.getHours())}:${two(at.getMinutes())}`;
}

export const sayWhen = (ms) => when.format(new Date(ms));

// --- the menu ----------------------------------------------------------------------

const menu = () => $("schedule-menu");
const items = () => [...menu().querySelectorAll("[role=menuitem]")];
const openers = () => [ui.scheduleOpen, $("thread-schedule")];

// The ⏰ that opened the menu: its box is the one whose message is scheduled.
const shown = {opener: null};
const inThread = () => shown.opener?.id === "thread-schedule";

// Above its opener, its right edge at the opener's (a phone's width at most).
function place(opener) {
  const at = opener.getBoundingClientRect();
  const style = menu().style;
  style.bottom = `${window.innerHeight - at.top + 6}px`;
  style.right = `${Math.max(6, window.innerWidth - at.right)}px`;
}

function openMenu(opener) {
  if (opener.disabled) return;
  shown.opener = opener;
  $("schedule-custom").hidden = true;
  menu().hidden = false;
  place(opener);
  opener.setAttribute("aria-expanded", "true");
  items()[0].focus();
}

function closeMenu({focus = true} = {}) {
  if (menu().hidden) return;
  menu().hidden = true;
  shown.opener.setAttribute("aria-expanded", "false");
  if (focus) shown.opener.focus();
}

function onMenuKey(event) {
  if (event.key === "Escape") {
    event.preventDefault();
    return closeMenu();
  }
  if (event.target.closest("#schedule-custom") || !["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
  event.preventDefault();
  const all = items();
  const at = all.indexOf(document.activeElement);
  const next = {ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: all.length - 1}[event.key];
  all[(next + all.length) % all.length].focus();
}

function onChoice(event) {
  const choice = event.target.closest("[role=menuitem]")?.dataset.when;
  if (!choice) return;
  if (choice !== "custom") return schedule(timeOf(choice));
  const custom = $("schedule-custom");
  custom.hidden = false;
  $("schedule-at").value = localInputValue(Date.now() + 60 * MINUTE);
  $("schedule-at").min = localInputValue(Date.now());
  $("schedule-at").focus();
}

// --- scheduling the box's message ------------------------------------------------------

function threadProblem(words) {
  $("thread-error").textContent = words;
  $("thread-error").hidden = false;
}

// The box the menu's opener belongs to: its field, what the message answers, where to say a problem,
// and what to do once it is scheduled.
function boxOf(thread) {
  if (thread) {
    const also = $("thread-broadcast");
    const answers = {thread: threadRoot(), broadcast: also.checked};
    const done = () => ((also.checked = false), ($("thread-error").hidden = true));
    return {field: $("thread-text"), answers, problem: threadProblem, done, files: false};
  }
  const done = () => (cancelReply(), fitTextBox(), keepDraft());
  return {field: ui.text, answers: {reply_to: replyTarget() ?? null}, problem: showSendError, done, files: hasFilesToSend()};
}

async function schedule(ms) {
  const box = boxOf(inThread());
  const raw = box.field.value;
  const text = raw.trim();
  closeMenu();
  if (box.files) return box.problem("Files cannot be sent later: send them now, or remove them first.");
  if (!text) return box.problem(explain(ERROR.EMPTY));
  if (codePoints(text) > MAX_MESSAGE_CHARS) return box.problem(explain(ERROR.TOO_LONG));
  if (!Number.isFinite(ms) || ms <= Date.now()) return box.problem("Pick a time that is still ahead.");
  const body = {room: session.room, message: raw, at: Math.ceil(ms / 1000), ...box.answers};
  const answer = await apiCall("POST", "/api/me/scheduled", body);
  if (!answer.ok) return box.problem(failure(answer));
  if (box.field.value === raw) box.field.value = "";
  box.done();
  announce(`Scheduled: it will be sent ${sayWhen(answer.body.at * 1000)}.`);
  showLine();
}

// --- the line above the box ---------------------------------------------------------------

// ``asked``: the number of the latest request of the list, whose answer alone is shown.
const line = {asked: 0};

// How many of one's messages wait to be sent to this room, as the server has them now.
export async function showLine() {
  const asked = ++line.asked;
  const answer = session.isAccount ? await apiCall("GET", "/api/me/scheduled") : null;
  if (asked !== line.asked) return;
  const list = answer?.ok && Array.isArray(answer.body.scheduled) ? answer.body.scheduled : [];
  const waiting = list.filter((row) => row.room === session.room && !row.not_sent).length;
  $("scheduled-count").textContent =
    waiting === 1 ? "1 message scheduled in this room" : `${waiting} messages scheduled in this room`;
  $("scheduled-line").hidden = waiting === 0;
}

// The ⏰ shows once the page knows it speaks for an account (after its welcome).
export function offerSendLater() {
  for (const opener of openers()) opener.hidden = !session.isAccount;
  showLine();
}

export function wireSendLater(openList) {
  for (const opener of openers()) {
    opener.addEventListener("click", () => (menu().hidden ? openMenu(opener) : closeMenu()));
  }
  menu().addEventListener("click", onChoice);
  menu().addEventListener("keydown", onMenuKey);
  $("schedule-custom").addEventListener("submit", (event) => {
    event.preventDefault();
    schedule(timeOf("custom", $("schedule-at").value));
  });
  document.addEventListener("click", (event) => {
    if (!menu().hidden && !menu().contains(event.target) && !shown.opener.contains(event.target)) {
      closeMenu({focus: false});
    }
  });
  $("scheduled-see").addEventListener("click", openList);
}

// Send later (docs/protocol.md, "Scheduled messages"): the ⏰ button beside
// Send opens a menu of times (in 30 minutes, in 1 hour, tomorrow at 9:00,
// next Monday at 9:00, or a date and time of one's choosing, in the
// browser's time); the box's text, and the message it replies to, go to the
// server to be sent then, and the box empties. A line above the box says how
// many messages wait to be sent to this room, with a way to the list
// (scheduled.js). People with an account only.

import {apiCall, failure} from "./api.js";
import {hasFilesToSend} from "./attach.js";
import {fitTextBox, showSendError} from "./composer.js";
import {announce, ui} from "./dom.js";
import {keepDraft} from "./drafts.js";
import {ERROR, MAX_MESSAGE_CHARS, codePoints} from "./protocol.js";
import {explain} from "./refusals.js";
import {cancelReply, replyTarget} from "./reply.js";
import {session} from "./session.js";

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

function openMenu() {
  if (ui.scheduleOpen.disabled) return;
  $("schedule-custom").hidden = true;
  menu().hidden = false;
  ui.scheduleOpen.setAttribute("aria-expanded", "true");
  items()[0].focus();
}

function closeMenu({focus = true} = {}) {
  if (menu().hidden) return;
  menu().hidden = true;
  ui.scheduleOpen.setAttribute("aria-expanded", "false");
  if (focus) ui.scheduleOpen.focus();
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

async function schedule(ms) {
  const raw = ui.text.value;
  const text = raw.trim();
  closeMenu();
  if (hasFilesToSend()) return showSendError("Files cannot be sent later: send them now, or remove them first.");
  if (!text) return showSendError(explain(ERROR.EMPTY));
  if (codePoints(text) > MAX_MESSAGE_CHARS) return showSendError(explain(ERROR.TOO_LONG));
  if (!Number.isFinite(ms) || ms <= Date.now()) return showSendError("Pick a time that is still ahead.");
  const body = {room: session.room, message: raw, at: Math.ceil(ms / 1000), reply_to: replyTarget() ?? null};
  const answer = await apiCall("POST", "/api/me/scheduled", body);
  if (!answer.ok) return showSendError(failure(answer));
  if (ui.text.value === raw) ui.text.value = "";
  cancelReply();
  fitTextBox();
  keepDraft();
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
  ui.scheduleOpen.hidden = !session.isAccount;
  showLine();
}

export function wireSendLater(openList) {
  ui.scheduleOpen.addEventListener("click", () => (menu().hidden ? openMenu() : closeMenu()));
  menu().addEventListener("click", onChoice);
  menu().addEventListener("keydown", onMenuKey);
  $("schedule-custom").addEventListener("submit", (event) => {
    event.preventDefault();
    schedule(timeOf("custom", $("schedule-at").value));
  });
  document.addEventListener("click", (event) => {
    if (!menu().hidden && !menu().contains(event.target) && !ui.scheduleOpen.contains(event.target)) {
      closeMenu({focus: false});
    }
  });
  $("scheduled-see").addEventListener("click", openList);
}

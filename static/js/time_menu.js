// A menu of times (docs/protocol.md, "Scheduled messages" and "reminders"): one menu on the page, filled
// each time it opens with the choices of what opened it (in so many minutes, tomorrow at 9:00, next
// Monday at 9:00, a date and time of one's choosing, in the browser's time), and the time picked handed
// to that opener's callback. ⏰ Send later (send_later.js) and Remind me about this (reminders.js) use it.

import {element} from "./dom.js";

const $ = (id) => document.getElementById(id);
const MINUTE = 60_000;
const MONDAY = 1;
const GAP_PX = 6;

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

const menu = () => $("schedule-menu");
const items = () => [...menu().querySelectorAll("[role=menuitem]")];

// ``opener``: what opened the menu, given the focus back on Escape; ``use``: its choices and callback.
const shown = {opener: null, use: null, wired: false};

export const timeMenuOpener = () => (menu().hidden ? null : shown.opener);

// Above its opener when there is room there, else below it; its right edge at the opener's (a phone's
// width at most).
function place(opener) {
  const at = opener.getBoundingClientRect();
  const style = menu().style;
  const above = at.top > menu().offsetHeight + GAP_PX * 2;
  style.bottom = above ? `${window.innerHeight - at.top + GAP_PX}px` : "";
  style.top = above ? "" : `${Math.min(at.bottom + GAP_PX, window.innerHeight - menu().offsetHeight - GAP_PX)}px`;
  style.right = `${Math.max(GAP_PX, window.innerWidth - at.right)}px`;
}

function choiceItem([choice, words]) {
  const item = element("button", "", words);
  item.type = "button";
  item.setAttribute("role", "menuitem");
  item.dataset.when = choice;
  return item;
}

// ``use``: {label, choices: [[choice, words]...], customLabel, submit, onPick(ms)}.
export function openTimeMenu(opener, use) {
  if (opener.disabled) return;
  shown.opener = opener;
  shown.use = use;
  menu().setAttribute("aria-label", use.label);
  menu().querySelectorAll("[role=menuitem]").forEach((item) => item.remove());
  $("schedule-custom").before(...use.choices.map(choiceItem));
  $("schedule-custom").hidden = true;
  $("schedule-custom-label").textContent = use.customLabel;
  $("schedule-custom-submit").textContent = use.submit;
  menu().hidden = false;
  place(opener);
  if (opener.hasAttribute("aria-expanded")) opener.setAttribute("aria-expanded", "true");
  items()[0].focus();
}

export function closeTimeMenu({focus = true} = {}) {
  if (menu().hidden) return;
  menu().hidden = true;
  if (shown.opener.hasAttribute("aria-expanded")) shown.opener.setAttribute("aria-expanded", "false");
  if (focus) shown.opener.focus();
}

function onMenuKey(event) {
  if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    return closeTimeMenu();
  }
  if (event.target.closest("#schedule-custom") || !["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
  event.preventDefault();
  const all = items();
  const at = all.indexOf(document.activeElement);
  const next = {ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: all.length - 1}[event.key];
  all[(next + all.length) % all.length].focus();
}

function pick(ms) {
  const use = shown.use;
  closeTimeMenu();
  use.onPick(ms);
}

function onChoice(event) {
  const choice = event.target.closest("[role=menuitem]")?.dataset.when;
  if (!choice) return;
  if (choice !== "custom") return pick(timeOf(choice));
  $("schedule-custom").hidden = false;
  $("schedule-at").value = localInputValue(Date.now() + 60 * MINUTE);
  $("schedule-at").min = localInputValue(Date.now());
  $("schedule-at").focus();
}

// Once, whichever of its users is wired first.
export function wireTimeMenu() {
  if (shown.wired || !menu()) return;
  shown.wired = true;
  menu().addEventListener("click", onChoice);
  menu().addEventListener("keydown", onMenuKey);
  $("schedule-custom").addEventListener("submit", (event) => {
    event.preventDefault();
    pick(timeOf("custom", $("schedule-at").value));
  });
  document.addEventListener("click", (event) => {
    if (!menu().hidden && !menu().contains(event.target) && !shown.opener.contains(event.target)) {
      closeTimeMenu({focus: false});
    }
  });
}

// The search dialog's filters: From (a person's name, names suggested as one
// types) and After and Before (days of one's own calendar), read into GET
// /api/search's parameters (docs/protocol.md, "Search"); and the filters a
// search used, shown as chips whose × takes one away. A day is one's own:
// After sends the local midnight that starts it, Before the local midnight
// that starts its day, which it leaves out (as "before:" does in Slack and
// Gmail), each as a date-time with its offset from UTC.

import {element} from "./dom.js";
import {nickKey, normalizeNick} from "./protocol.js";
import {knownNames, lookUpAccounts} from "./roster.js";
import {session} from "./session.js";

const $ = (id) => document.getElementById(id);
const SUGGEST_DELAY_MS = 150;
const MAX_SUGGESTED = 8;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const dayFormat = new Intl.DateTimeFormat(undefined, {day: "numeric", month: "short", year: "numeric"});
const dayThisYear = new Intl.DateTimeFormat(undefined, {day: "numeric", month: "short"});
const pad = (number) => String(number).padStart(2, "0");

// The moment as a date-time with its offset, as the server reads it: 2026-12-01T00:00+13:00.
function withOffset(moment) {
  const offset = -moment.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const date = `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}`;
  const zone = `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${date}T${pad(moment.getHours())}:${pad(moment.getMinutes())}${zone}`;
}

// The local Date at which a day (an <input type="date">'s value) begins; a day whose midnight a
// clock change skips begins at the first minute it has.
function startOf(value) {
  const [, year, month, day] = value.match(DAY).map(Number);
  return new Date(year, month - 1, day);
}

const startOfDay = (value) => withOffset(startOf(value));

// A day in words, its year said when it is not this one.
function dayLabel(value) {
  const start = startOf(value);
  return (start.getFullYear() === new Date().getFullYear() ? dayThisYear : dayFormat).format(start);
}

// A name as the messages show it (the search's ``from`` is exact): the spelling of an account or of a
// name the page knows, when only case differs.
async function authorOf(typed) {
  await lookUpAccounts(typed);
  const key = nickKey(typed);
  return [...knownNames(), session.myNick].find((name) => name && nickKey(name) === key) || typed;
}

// What is wrong with the filters as filled in: {message, field} (the field to mend), or null.
export function filterProblem() {
  for (const [field, label] of [["search-after", "After"], ["search-before", "Before"]]) {
    const {validity, value} = $(field);
    if (validity.badInput || (value && !DAY.test(value))) {
      return {message: `"${label}" is not a whole date: pick a day, or empty it.`, field};
    }
  }
  const after = $("search-after").value;
  const before = $("search-before").value;
  if (!after || !before || before > after) return null;
  const days = `on or after ${dayLabel(after)} and before ${dayLabel(before)}`;
  return {message: `No day is ${days}: "Before" leaves its own day out, so pick a later one.`, field: "search-before"};
}

// The filters filled in, as the search's parameters (room: "Only this room").
export async function filterParams() {
  const params = {};
  const from = normalizeNick($("search-from").value);
  if (from) params.from = await authorOf(from);
  if ($("search-after").value) params.after = startOfDay($("search-after").value);
  if ($("search-before").value) params.before = startOfDay($("search-before").value);
  if ($("search-here").checked) params.room = session.room;
  return params;
}

export const anyFilter = () =>
  Boolean($("search-from").value.trim() || $("search-after").value || $("search-before").value) ||
  $("search-here").checked;

// Each filter a search used: its words on a chip, and how to take it away (emptying its field).
function chipsOf(params) {
  const chips = [];
  if (params.from) chips.push({label: `From ${params.from}`, clear: () => ($("search-from").value = "")});
  for (const [id, word] of [["search-after", "After"], ["search-before", "Before"]]) {
    const key = word.toLowerCase();
    if (params[key]) chips.push({label: `${word} ${dayLabel(params[key].slice(0, 10))}`, clear: () => ($(id).value = "")});
  }
  if (params.room) chips.push({label: "In this room", clear: () => ($("search-here").checked = false)});
  return chips;
}

// The chips of the filters ``params`` used; ``searchAgain()`` once one is taken away.
export function showFilters(params, searchAgain) {
  const list = $("search-filters");
  list.replaceChildren(
    ...chipsOf(params || {}).map(({label, clear}) => {
      const chip = element("li", "person-chip");
      const remove = element("button", "chip-remove", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", `Remove the filter: ${label}`);
      remove.addEventListener("click", () => {
        clear();
        $("search-q").focus(); // where the focus goes on, the button being gone
        searchAgain();
      });
      chip.append(element("bdi", "", label), remove);
      return chip;
    }),
  );
}

// The names starting with what is typed (or whose later word does): the accounts the page may ask
// for (a guest's page may not: then the names it has seen), and oneself.
function suggestedNames(typed) {
  const key = nickKey(typed);
  const names = new Map([...knownNames(), session.myNick].filter(Boolean).map((name) => [nickKey(name), name]));
  return [...names.entries()]
    .filter(([nameKey]) => nameKey.split(" ").some((word, i) => (i ? word : nameKey).startsWith(key)))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, MAX_SUGGESTED)
    .map(([, name]) => name);
}

function suggest() {
  const typed = normalizeNick($("search-from").value);
  const list = $("search-from-names");
  if (!typed) return list.replaceChildren();
  const draw = () => {
    if (normalizeNick($("search-from").value) !== typed) return;
    list.replaceChildren(...suggestedNames(typed).map((name) => Object.assign(element("option"), {value: name})));
  };
  draw();
  lookUpAccounts(typed).then((answered) => answered && draw());
}

export function wireFilters() {
  let timer = 0;
  $("search-from").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, SUGGEST_DELAY_MS);
  });
}

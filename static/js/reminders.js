// Reminders (docs/protocol.md, "Version 2: reminders"): a message's "⋯ More actions" offers "Remind me
// about this", which opens the menu of times (time_menu.js); the account menu's "Reminders" lists them,
// soonest first, each with its room, author, text cut short, time and Delete, a due one marked so. Every
// tab of one's own is told of a change (a reminder frame) and reads the list again; the due ones show
// above the message box (reminders_due.js). People with an account only; user text as text nodes only.

import {apiCall, failure} from "./api.js";
import {element, timeElement} from "./dom.js";
import {cut, remindersDue, wireRemindersDue} from "./reminders_due.js";
import {roomEntry, roomLabel} from "./rooms.js";
import {session} from "./session.js";
import {openTimeMenu, sayWhen, wireTimeMenu} from "./time_menu.js";

const $ = (id) => document.getElementById(id);
const NOTE_MS = 6000;
const SNIPPET_CHARS = 120;

const CHOICES = [
  ["20", "In 20 minutes"],
  ["60", "In 1 hour"],
  ["180", "In 3 hours"],
  ["tomorrow", "Tomorrow at 9:00"],
  ["monday", "Next Monday at 9:00"],
  ["custom", "At a date and time I choose…"],
];

// ``asked``: the number of the latest request of the list, whose answer alone is shown.
const state = {asked: 0, noteTimer: 0};

const timeWords = (ms) =>
  new Date(ms).toDateString() === new Date().toDateString()
    ? new Date(ms).toLocaleTimeString(undefined, {hour: "numeric", minute: "2-digit"})
    : sayWhen(ms);

// A line above the box, for a few seconds, and read out (a status region): set, or why not.
function note(words) {
  const node = $("reminder-note");
  node.textContent = words;
  node.hidden = false;
  clearTimeout(state.noteTimer);
  state.noteTimer = setTimeout(() => (node.hidden = true), NOTE_MS);
}

async function remind(room, id, ms) {
  if (!Number.isFinite(ms) || ms <= Date.now()) return note("Pick a time that is still ahead.");
  const answer = await apiCall("POST", "/api/me/reminders", {room, id, at: Math.ceil(ms / 1000)});
  note(answer.ok ? `I'll remind you at ${timeWords(answer.body.at * 1000)}.` : failure(answer));
}

// "⏰ Remind me about this" in a message's More actions: the menu of times opens by the message.
export function remindOffer(item, make, done) {
  const room = session.room;
  const id = Number(item.dataset.id);
  const act = () => {
    done();
    openTimeMenu(item, {
      label: "Remind me",
      choices: CHOICES,
      customLabel: "Remind me at (your time)",
      submit: "Remind me",
      onPick: (ms) => remind(room, id, ms),
    });
  };
  return make("⏰", "Remind me about this", "Remind me about this", act, "Remind");
}

// --- the panel ------------------------------------------------------------------------

// One's reminders as the server has them now, soonest first (none for a guest).
export async function readReminders() {
  const answer = session.isAccount ? await apiCall("GET", "/api/me/reminders") : null;
  const list = answer?.ok && Array.isArray(answer.body.reminders) ? answer.body.reminders : [];
  return {answer, list};
}

function deleteButton(row, described) {
  const node = element("button", "link-button danger", "Delete");
  node.type = "button";
  node.setAttribute("aria-label", `Delete: ${described}`);
  node.addEventListener("click", async () => {
    const answer = await apiCall("DELETE", `/api/me/reminders/${Number(row.id)}`);
    $("reminders-error").textContent = answer.ok ? "" : failure(answer);
  });
  return node;
}

function reminderItem(row, entry) {
  const item = element("li", "scheduled-item reminder-item");
  item.dataset.id = String(row.id);
  const where = element("span", "search-where");
  const nick = String(row.message?.nick || "");
  where.append(element("bdi", "search-room", roomLabel(entry)), element("bdi", "nick", nick), timeElement(row.at * 1000));
  if (row.due) where.append(element("span", "reminder-due-mark", "Due"));
  const text = element("span", "search-snippet", cut(String(row.message?.message || ""), SNIPPET_CHARS));
  text.dir = "auto";
  const about = element("div", "scheduled-about");
  about.append(where, text);
  const actions = element("div", "scheduled-actions");
  actions.append(deleteButton(row, `the reminder of ${nick}'s message in ${roomLabel(entry)}`));
  item.append(about, actions);
  return item;
}

export async function showList() {
  const asked = ++state.asked;
  const {answer, list} = await readReminders();
  const entries = new Map(await Promise.all(list.map(async (row) => [row.room, (await roomEntry(row.room)) || {room: row.room}])));
  if (asked !== state.asked) return;
  if (!answer?.ok) return ($("reminders-error").textContent = answer ? failure(answer) : "");
  const hadFocus = Boolean(document.activeElement?.closest?.("#reminders-list"));
  $("reminders-list").replaceChildren(...list.map((row) => reminderItem(row, entries.get(row.room))));
  if (hadFocus) ($("reminders-list").querySelector("button") || $("reminders-close")).focus();
  $("reminders-note").textContent = list.length
    ? ""
    : "No reminders. ⋯ More actions on a message offers ⏰ Remind me about this.";
}

export function openReminders() {
  $("account-dialog")?.close();
  $("reminders-error").textContent = "";
  $("reminders-dialog").showModal();
  showList();
}

// A tab of one's own set, moved or removed one, or one fell due: the open panel and the due line follow.
export function onReminderFrame(frame) {
  if ($("reminders-dialog").open) showList();
  remindersDue(frame.state === "due");
}

// At every welcome: those due meanwhile show (and are said, once).
export const onWelcomeReminders = () => remindersDue(true);

export function wireReminders() {
  const dialog = $("reminders-dialog");
  if (!dialog) return;
  wireTimeMenu();
  wireRemindersDue(readReminders);
  $("reminders-open").addEventListener("click", openReminders);
  for (const node of dialog.querySelectorAll("[data-close]")) node.addEventListener("click", () => dialog.close());
}

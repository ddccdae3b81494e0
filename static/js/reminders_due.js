// Reminders fallen due (docs/protocol.md, "Version 2: reminders"): every page of one's own shows one line
// each above the message box, "⏰ Reminder: ann's message in #team — text…", until one is done with it:
// Open goes to the message (as its link does), In 20 minutes asks again then, Done forgets it. A due one
// is read out once to a screen reader, and pops up a browser notification when the page is in the
// background and notifications are on, unless one pauses them (static/js/status.js).

import {apiCall, failure, roomUrl} from "./api.js";
import {announce, element} from "./dom.js";
import {jumpTo} from "./permalink.js";
import {roomEntry, roomLabel} from "./rooms.js";
import {session} from "./session.js";
import {chime} from "./sound.js";
import {ownPaused} from "./status.js";

const $ = (id) => document.getElementById(id);
const SNOOZE_MS = 20 * 60_000;
const LINE_CHARS = 80;
const NOTIFY_TEXT_CHARS = 160;

// ``told``: the ids of due reminders already read out or notified by this page; ``asked``: the latest look.
const due = {told: new Set(), asked: 0, read: null};

// A text cut short at ``chars`` characters (code points, an emoji whole).
export const cut = (text, chars) =>
  [...text].length > chars ? `${[...text].slice(0, chars).join("").trimEnd()}…` : text;

const path = (row) => `/api/me/reminders/${Number(row.id)}`;

function words(row, entry, chars) {
  const nick = String(row.message?.nick || "someone");
  return {about: `${nick}'s message in ${roomLabel(entry)}`, text: cut(String(row.message?.message || ""), chars)};
}

// Open: the message, in this room's list, or the room it is in (its link).
function open(row) {
  const id = Number(row.message_id);
  if (row.room === session.room) return jumpTo(id);
  location.href = `${roomUrl(row.room)}#m-${id}`;
}

async function change(row, method, body) {
  const answer = await apiCall(method, path(row), body);
  if (!answer.ok) announce(failure(answer));
  else if (method === "PATCH") showDue(false); // a moved one sends no frame of its own to wait for
}

function button(label, described, onClick) {
  const node = element("button", "link-button", label);
  node.type = "button";
  node.setAttribute("aria-label", `${label}: ${described}`);
  node.addEventListener("click", onClick);
  return node;
}

function dueLine(row, entry) {
  const {about, text} = words(row, entry, LINE_CHARS);
  const line = element("li", "reminder-line");
  line.dataset.id = String(row.id);
  const said = element("span", "reminder-words");
  const snippet = element("span", "reminder-snippet", text);
  snippet.dir = "auto";
  said.append(element("span", "", `⏰ Reminder: ${about}`), element("span", "", " — "), snippet);
  const soon = () => change(row, "PATCH", {at: Math.ceil((Date.now() + SNOOZE_MS) / 1000)});
  const actions = element("span", "reminder-actions");
  actions.append(
    button("Open", about, () => open(row)),
    button("In 20 minutes", about, soon),
    button("Done", about, () => change(row, "DELETE")),
  );
  line.append(said, actions);
  return line;
}

function notify(row, entry) {
  if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
  if (ownPaused()) return; // "do not disturb": shown on the page, not popped up
  const {about, text} = words(row, entry, NOTIFY_TEXT_CHARS);
  // One notification per reminder: another tab of the same person replaces it rather than adding one.
  const notice = new Notification(`⏰ Reminder: ${about}`, {body: text, tag: `chatroom:reminder:${row.id}`});
  chime();
  notice.addEventListener("click", () => {
    window.focus();
    notice.close();
    open(row);
  });
}

// The due ones as the server has them now; ``fresh``: one fell due (or the page was welcomed), so those
// not yet told of are read out and notified.
async function showDue(fresh) {
  const asked = ++due.asked;
  const {answer, list} = await due.read();
  const dueNow = list.filter((row) => row.due);
  const entries = new Map(await Promise.all(dueNow.map(async (row) => [row.room, (await roomEntry(row.room)) || {room: row.room}])));
  if (asked !== due.asked || !answer?.ok) return;
  const hadFocus = $("reminders-due").contains(document.activeElement);
  $("reminders-due").replaceChildren(...dueNow.map((row) => dueLine(row, entries.get(row.room))));
  $("reminders-due").hidden = dueNow.length === 0;
  if (hadFocus) ($("reminders-due").querySelector("button") || document.getElementById("text"))?.focus();
  if (!fresh) return;
  for (const row of dueNow.filter((one) => !due.told.has(one.id))) {
    due.told.add(row.id);
    const {about, text} = words(row, entries.get(row.room), LINE_CHARS);
    announce(`Reminder: ${about}: ${text}`);
    notify(row, entries.get(row.room));
  }
}

// Once waiting again (moved, or done), a reminder may fall due again and be told of again.
export function remindersDue(fresh) {
  if (!due.read || !session.isAccount) return;
  return showDue(fresh).then(() => {
    const shown = new Set([...$("reminders-due").children].map((line) => Number(line.dataset.id)));
    for (const id of [...due.told]) if (!shown.has(id)) due.told.delete(id);
  });
}

export function wireRemindersDue(read) {
  due.read = read;
}

// Scheduled messages (docs/protocol.md, "Scheduled messages"): the panel the
// account menu (or the line above the box) opens, soonest first, across every
// room, each with its room, time and text, why it was not sent when it was
// not, and Edit (text and time), Send now and Delete. Every tab of one's own
// is told of a change (a scheduled frame) and shows the list and the line as
// they are. User text goes in as text nodes only.

import {apiCall, failure} from "./api.js";
import {announce, element, timeElement} from "./dom.js";
import {roomEntry, roomLabel} from "./rooms.js";
import {offerSendLater, showLine, wireSendLater} from "./send_later.js";
import {localInputValue, sayWhen, timeOf} from "./time_menu.js";

const $ = (id) => document.getElementById(id);

// Why a message was not sent, by the code the server keeps (docs/protocol.md).
const NOT_SENT = {
  not_found: "you may no longer write there (removed or barred), or the room is gone",
  read_only: "the room is archived, or only its owner and administrators post there",
  blocked: "the person you wrote to does not take messages from you",
  account_deactivated: "your account was deactivated",
  no_message: "the message it answered was deleted",
  bad_thread: "its thread can no longer take replies",
  room_mention_forbidden: "only the room's owner and administrators may mention all of it now",
};

const state = {asked: 0, editDone: false};
const path = (id, tail = "") => `/api/me/scheduled/${Number(id)}${tail}`;

function say(text) {
  $("scheduled-error").textContent = text;
}

async function act(method, row, tail, body) {
  const answer = await apiCall(method, path(row.id, tail), body);
  say(answer.ok ? "" : failure(answer));
  return answer.ok;
}

function button(label, className, onClick, described) {
  const node = element("button", `link-button ${className}`, label);
  node.type = "button";
  node.setAttribute("aria-label", `${label}: ${described}`);
  node.addEventListener("click", onClick);
  return node;
}

function editForm(row, item) {
  const form = element("form", "scheduled-edit");
  form.noValidate = true;
  const text = element("textarea", "scheduled-edit-text");
  text.value = row.message;
  text.rows = 3;
  text.setAttribute("aria-label", "Message");
  const at = element("input", "scheduled-edit-at");
  at.type = "datetime-local";
  at.value = localInputValue(row.at * 1000);
  at.setAttribute("aria-label", "Send at (your time)");
  const save = element("button", "", "Save");
  save.type = "submit";
  const cancel = button("Cancel", "", () => showList({mine: true}), "keep it as it was");
  form.append(text, at, save, cancel);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {message: text.value};
    if (at.value !== localInputValue(row.at * 1000) || row.not_sent) body.at = Math.ceil(timeOf("custom", at.value) / 1000);
    if (await act("PATCH", row, "", body)) showList({mine: true});
  });
  item.replaceChildren(form);
  text.focus();
}

function scheduledItem(row, entry) {
  const item = element("li", "scheduled-item");
  item.dataset.id = String(row.id);
  const where = element("span", "search-where");
  where.append(element("bdi", "search-room", roomLabel(entry)), timeElement(row.at * 1000));
  const text = element("span", "search-snippet", row.message);
  text.dir = "auto";
  const about = element("div", "scheduled-about");
  about.append(where, text);
  if (row.not_sent) {
    about.append(element("span", "scheduled-not-sent", `Not sent: ${NOT_SENT[row.not_sent] || row.not_sent}.`));
  }
  const described = `the message to ${roomLabel(entry)} at ${sayWhen(row.at * 1000)}`;
  const actions = element("div", "scheduled-actions");
  actions.append(
    button("Edit", "", () => editForm(row, item), described),
    button("Send now", "", async () => (await act("POST", row, "/send")) && announce("Sent."), described),
    button("Delete", "danger", async () => (await act("DELETE", row)) && announce("Deleted."), described),
  );
  item.append(about, actions);
  return item;
}

// The list as the server has it now; the focus, if it was on an entry's button, goes back to the same
// entry (or the first), now a new element. An edit under way is left alone unless it is ``mine`` (done).
export async function showList({mine = false} = {}) {
  const asked = ++state.asked;
  // An edit just done is shown even when a newer look (its own scheduled frame, say) overtakes this one.
  if (mine) state.editDone = true;
  const answer = await apiCall("GET", "/api/me/scheduled");
  const list = answer.ok && Array.isArray(answer.body.scheduled) ? answer.body.scheduled : [];
  const entries = new Map(await Promise.all(list.map(async (row) => [row.room, (await roomEntry(row.room)) || {room: row.room}])));
  if (asked !== state.asked) return;
  if (!answer.ok) return say(failure(answer));
  const editing = $("scheduled-list").querySelector(".scheduled-edit");
  if (!state.editDone && editing?.contains(document.activeElement)) return; // not from under one's hands
  state.editDone = false;
  const focused = document.activeElement?.closest?.("#scheduled-list > li")?.dataset.id;
  $("scheduled-list").replaceChildren(...list.map((row) => scheduledItem(row, entries.get(row.room))));
  if (focused) {
    const again = [...$("scheduled-list").children].find((item) => item.dataset.id === focused);
    ((again || $("scheduled-list").firstElementChild)?.querySelector("button") || $("scheduled-close")).focus();
  }
  $("scheduled-note").textContent = list.length ? "" : "Nothing scheduled. Write a message, then ⏰ beside Send.";
}

export function openScheduled() {
  $("account-dialog")?.close();
  say("");
  $("scheduled-dialog").showModal();
  showList();
}

// A tab of one's own changed the list, or a message was sent or not: the line and the open panel follow.
export function onScheduledFrame() {
  showLine();
  if ($("scheduled-dialog").open) showList();
}

export const onWelcomeScheduled = offerSendLater;

export function wireScheduled() {
  const dialog = $("scheduled-dialog");
  if (!dialog) return;
  wireSendLater(openScheduled);
  $("scheduled-open").addEventListener("click", openScheduled);
  for (const node of dialog.querySelectorAll("[data-close]")) node.addEventListener("click", () => dialog.close());
}

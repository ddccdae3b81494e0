// The room's topic under its name in the top bar: one line, cut with an ellipsis, the whole of it
// in the line's title (plain text: an address in it is not made a link). Whoever may post in the
// room may set it (chatroom/access.py, may_set_topic: an account, not in an archived room, where only
// its managers post only they): a click on it, or on "Set a topic" when there is none, turns it into
// a box; Enter saves, Escape gives up, and a refusal is said in words beside it. A change made
// anywhere comes as a ``room`` frame ("change": "topic", with who made it in "by"): the bar follows
// it at once, and a line in the message list says who set it, or cleared it (not kept in history).
// On a phone the bar has no room for a fingertip's button: the topic is words there (none when
// there is none), and Room settings (room_settings.js) is where it is set.

import {apiCall, failure, roomPath} from "./api.js";
import {element, nickElement, textNode, ui} from "./dom.js";
import {addLine} from "./messages.js";
import {mayWrite, session} from "./session.js";

export const MAX_TOPIC_LENGTH = 250; // chatroom/api_topic.py

const topic = {entry: null, editing: false, saving: false};
// The phone layout of static/phone.css: the top bar's buttons are a fingertip tall.
const touchLayout = matchMedia("(max-width: 720px), (pointer: coarse)");
touchLayout.addEventListener("change", () => refreshTopic());

export const topicOf = (entry) => (entry && typeof entry.topic === "string" ? entry.topic : "");
// Whether this page's person may set the room's topic: who may post in it, with an account.
export const maySetTopic = () => Boolean(topic.entry) && session.isAccount && mayWrite();
const maySet = () => maySetTopic() && !touchLayout.matches;

// The room's entry (or null) as the header shows it now.
export function showTopic(entry) {
  topic.entry = entry;
  refreshTopic();
}

// What the page may do here changed (room_voice.js): offer setting the topic, or stop offering it.
export function refreshTopic() {
  if (topic.editing) return;
  const text = topicOf(topic.entry);
  const box = ui.roomTopic;
  box.hidden = !text && !maySet();
  box.dataset.empty = text ? "no" : "yes";
  box.title = text;
  if (!maySet()) return box.replaceChildren(element("bdi", "", text));
  const button = element("button", "room-topic-edit", "");
  button.type = "button";
  button.append(text ? element("bdi", "", text) : element("span", "room-topic-none", "Set a topic"));
  button.setAttribute("aria-label", text ? `Topic: ${text}. Change the topic` : "Set a topic");
  button.addEventListener("click", edit);
  box.replaceChildren(button);
}

function edit() {
  topic.editing = true;
  const input = element("input", "room-topic-input");
  Object.assign(input, {id: "room-topic-input", maxLength: MAX_TOPIC_LENGTH, value: topicOf(topic.entry)});
  input.setAttribute("aria-label", "Topic of this room (Enter saves, Escape gives up)");
  input.placeholder = "What is this room for?";
  const problem = element("span", "room-topic-error", "");
  problem.setAttribute("role", "alert");
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      save(input, problem);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      stopEditing();
    }
  });
  input.addEventListener("input", () => (problem.textContent = ""));
  ui.roomTopic.hidden = false;
  ui.roomTopic.replaceChildren(input, problem);
  input.focus();
  input.select();
}

async function save(input, problem) {
  if (topic.saving) return;
  topic.saving = true;
  const answer = await apiCall("PATCH", roomPath(session.room), {topic: input.value});
  topic.saving = false;
  if (!answer.ok) {
    problem.textContent = answer.status === 403 ? `You cannot set this room's topic. ${failure(answer)}` : failure(answer);
    return;
  }
  if (answer.body && answer.body.room === session.room) topic.entry = {...topic.entry, topic: answer.body.topic};
  stopEditing();
}

function stopEditing() {
  topic.editing = false;
  refreshTopic();
  ui.roomTopic.querySelector("button")?.focus();
}

// A ``room`` frame: a topic set or cleared in this room is said in the message list.
export function onTopicFrame(frame) {
  const entry = frame.room;
  if (frame.change !== "topic" || !entry || entry.room !== session.room || typeof frame.by !== "string") return;
  const text = topicOf(entry);
  const said = text
    ? [textNode(" set the topic: "), element("bdi", "topic-words", text)]
    : [textNode(" cleared the topic")];
  addLine("sys topic", [nickElement(frame.by), ...said], Date.now());
}

// A message that mentions the whole room ("@room", "@all"...) or those online in it
// ("@here"), to a room of more than CONFIRM_OVER other people, is sent only once the
// person says so (as Mattermost asks): "This will notify 12 people. Send?", counting for
// "@here" those online now. A mention of groups (static/js/groups.js) with more than
// CONFIRM_OVER of their members reading the room, oneself aside, asks alike. Enter sends
// it; Escape (or Cancel) goes back to the message box with the text as it was. A file's
// caption asks alike. Sent before the page knows how many that is (the room's members or the
// groups still on their way), the message waits for them, a few seconds at most.

import {groupNamed, groupNames, groupsKnown, groupsRead} from "./groups.js";
import {HERE, ROOM, mentions} from "./mentions.js";
import {onlineNow} from "./people.js";
import {nickKey} from "./protocol.js";
import {roomKind} from "./rooms.js";
import {inRoom, loadMembers, othersInRoom} from "./roster.js";
import {isOwn, session} from "./session.js";
import {ui} from "./dom.js";

export const CONFIRM_OVER = 5;
// How long a message waits for the page to learn how many it notifies before it goes unasked.
const LEARN_AT_MOST_MS = 3000;

const $ = (id) => document.getElementById(id);

// How many people sending ``text`` would notify, when that is enough to ask first; else null.
export function peopleToConfirm(text) {
  const found = new Set(mentions(text, []).map((mention) => mention.name));
  if (!found.has(ROOM) && !found.has(HERE)) return groupReadersToConfirm(text);
  const others = othersInRoom();
  if (others === null || others <= CONFIRM_OVER) return null;
  return found.has(ROOM) ? others : Math.max(0, onlineNow() - 1);
}

// Whether how many ``text`` notifies is not known yet: a mention of the whole room before the room's
// members came, or an "@" before the groups came (it may name one).
export function reachNotKnown(text) {
  const found = new Set(mentions(text, []).map((mention) => mention.name));
  if (found.has(ROOM) || found.has(HERE)) return othersInRoom() === null;
  return !groupsKnown() && text.includes("@");
}

// Once the room's members and the groups came (or could not), or LEARN_AT_MOST_MS passed.
export function learnReach() {
  const bounded = new Promise((resolve) => setTimeout(resolve, LEARN_AT_MOST_MS));
  return Promise.race([Promise.all([loadMembers(), groupsRead()]), bounded]);
}

// The members of the groups ``text`` mentions who read this room (in a room that is not open, its
// members: as the server counts them), oneself aside, when more than CONFIRM_OVER; else null.
function groupReadersToConfirm(text) {
  const mentioned = mentions(text, groupNames()).map((mention) => groupNamed(mention.name)).filter(Boolean);
  const open = roomKind(session.room) === "open";
  const readers = new Set();
  for (const name of mentioned.flatMap((group) => group.members)) {
    if (!isOwn(name) && (open || inRoom(name) !== false)) readers.add(nickKey(name));
  }
  return readers.size > CONFIRM_OVER ? readers.size : null;
}

// Ask; ``send`` runs once the person confirms, nothing else happens if they do not.
export function confirmRoomMention(count, send) {
  const dialog = $("room-mention-dialog");
  const people = count === 1 ? "person" : "people";
  $("room-mention-question").textContent = `This will notify ${count.toLocaleString("en")} ${people}. Send?`;
  dialog.returnValue = "";
  dialog.addEventListener(
    "close",
    () => {
      ui.text.focus();
      if (dialog.returnValue === "send") send();
    },
    {once: true},
  );
  dialog.showModal();
  $("room-mention-send").focus();
}

export function wireRoomMentionConfirm() {
  const dialog = $("room-mention-dialog");
  $("room-mention-cancel").addEventListener("click", () => dialog.close("cancel"));
}

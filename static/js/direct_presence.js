// Whether the other people of a direct room are online: a dot and a word
// beside the room in the list, and in the header of the conversation open.

import {element, ui} from "./dom.js";
import {isOnline} from "./peers.js";
import {isHere} from "./people.js";
import {nickKey} from "./protocol.js";
import {session} from "./session.js";

// The others of a direct room (everyone but oneself).
export const othersIn = (entry) => entry.members.filter((name) => nickKey(name) !== nickKey(session.myNick));

// Whether the other people of the current direct room are online: anywhere
// (the server's ``peer`` frames), or at least here (this room's online list,
// live). "online", "away" (no page open anywhere), or "unknown" while the
// page is not connected; "" for any other room.
export function directPresence(entry) {
  if (!entry || entry.room !== session.room || entry.kind !== "direct" || !Array.isArray(entry.members)) return "";
  const others = othersIn(entry);
  if (!others.length) return "";
  if (!session.connected) return "unknown";
  return others.some(isOnlineOrHere) ? "online" : "away";
}

const isOnlineOrHere = (name) => isOnline(name) || isHere(name);

// "active" or "away", the words other chats use; the header's status says whether this page is connected.
export const PRESENCE_WORDS = {online: "active", away: "away", unknown: "unknown while offline"};

export function presenceDot(presence) {
  const dot = element("span", "presence-dot");
  dot.dataset.presence = presence;
  dot.setAttribute("aria-hidden", "true");
  return dot;
}

// A direct room's header says whether the others are online (the title: whether here, in it).
export function showDirectPresence(entry) {
  const presence = directPresence(entry);
  ui.directPresence.hidden = !presence;
  ui.directPresence.dataset.presence = presence;
  if (!presence) return ui.directPresence.replaceChildren();
  const others = othersIn(entry);
  const one = others.length === 1 ? others[0] : "";
  const count = (test) => `${others.filter(test).length} of ${others.length}`;
  ui.directPresence.replaceChildren(presenceDot(presence), element("span", "", PRESENCE_WORDS[presence]));
  ui.directPresence.title = {
    online: one
      ? `${one} is online${isHere(one) ? " and has this conversation open" : ""}`
      : `${count(isOnlineOrHere)} are online, ${count(isHere)} in this conversation`,
    away: `${one || "Nobody else"} is away: no page open anywhere`,
    unknown: "Not connected: whether they are online is unknown",
  }[presence];
}

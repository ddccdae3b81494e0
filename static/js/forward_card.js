// A forwarded copy as the page shows it (docs/protocol.md, "Forwarding"): the forwarder's comment as the
// message's own text, and under it a quoted card, "↪ Forwarded from #room — ann, 3 Dec 10:02", the
// forwarded text with its formatting, the name of a file that was not carried, and "View original",
// which asks the server where the original is and opens it only for those who may read its room. The
// copy is a snapshot: it does not follow the original. User text goes in as text nodes only.

import {apiCall, roomPath} from "./api.js";
import {element, nickElement, textNode, timeElement} from "./dom.js";
import {plainText, renderMessageText} from "./message_format.js";
import {jumpTo} from "./permalink.js";
import {session} from "./session.js";

const UNNAMED = {closed: "a closed room", direct: "a direct conversation"};

// Each card's quote, as a reply to its copy quotes a copy without a comment: "↪ NICK: TEXT".
const quotes = new WeakMap();

const forwardOf = (frame) => (frame && frame.forward && typeof frame.forward === "object" ? frame.forward : null);

// The message's own text and its tree: a copy's comment (its ``message`` is the plain text for clients
// that show no card), any other message's text.
export function ownText(frame) {
  const forward = forwardOf(frame);
  if (!forward || frame.deleted === true) return {text: frame.message, fmt: frame.fmt};
  return {text: typeof forward.comment === "string" ? forward.comment : "", fmt: forward.comment_fmt};
}

// Where the original comes from, as the copy says it: its room's name where it is shown, else what it is.
export function origin(forward) {
  if (typeof forward.room === "string") return "#" + forward.room;
  return UNNAMED[forward.from] || "another room";
}

// The card of a copy's user frame (null for any other message, or a deleted copy).
export function forwardCard(frame) {
  const forward = forwardOf(frame);
  if (!forward || frame.deleted === true) return null;
  const card = element("div", "forward-card");
  card.id = `msg-${frame.id}-forward`;
  card.setAttribute("role", "group");
  card.setAttribute("aria-label", "Forwarded message");
  const head = element("div", "forward-head");
  head.append(textNode("↪ Forwarded from "), element("bdi", "forward-from", origin(forward)), textNode(" — "));
  head.append(nickElement(String(forward.nick || "")));
  if (typeof forward.ts === "number") head.append(textNode(", "), timeElement(forward.ts));
  const body = element("div", "forward-text");
  body.dir = "auto";
  body.append(renderMessageText(String(forward.message || ""), forward.fmt, {own: true}));
  card.append(head, body);
  if (typeof forward.file === "string") {
    card.append(element("p", "forward-file", `📎 ${forward.file} — the file was not forwarded`));
  }
  const open = element("button", "link-button forward-open", "View original");
  open.type = "button";
  open.addEventListener("click", () => openOriginal(frame.id, card));
  card.append(open, element("p", "forward-note hint"));
  const text = plainText(String(forward.message || ""), forward.fmt) || (typeof forward.file === "string" ? forward.file : "");
  quotes.set(card, `↪ ${String(forward.nick || "")}: ${text}`);
  return card;
}

// What a reply to copy ``item`` without a comment quotes, as the server quotes it ("" for any other).
export const forwardQuote = (item) => quotes.get(item.querySelector(".forward-card")) || "";

// Asks where the original of copy ``id`` (a message of this room) is, and opens it there.
async function openOriginal(id, card) {
  const note = card.querySelector(".forward-note");
  note.textContent = "";
  const answer = await apiCall("GET", `${roomPath(session.room)}/forwards/${id}`);
  if (!answer.ok || !answer.body || typeof answer.body.room !== "string") {
    note.textContent =
      answer.status === 404 ? "The original is not yours to open: you may not read its room." : "The original cannot be opened now.";
    return;
  }
  const {room, id: original} = answer.body;
  if (room === session.room) return jumpTo(original);
  location.assign(`/?${new URLSearchParams({room})}#m-${original}`);
}

// A copy deleted while shown loses its card with its text.
export function dropForwardCard(item) {
  item.querySelector(".forward-card")?.remove();
}

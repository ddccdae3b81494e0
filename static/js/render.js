// One item of the message list: a message (avatar, name, time, text, its
// file) or a line (a join, a leave, a notice). User text goes in as text
// nodes only (its formatting as elements built by static/js/message_format.js).

import {adminMark} from "./admin_marks.js";
import {avatarElement} from "./avatar.js";
import {hideIfBlocked} from "./blocks.js";
import {element, nickElement, textNode, timeElement} from "./dom.js";
import {fileElement, fileLabel, fileOf} from "./file_view.js";
import {forwardCard, forwardQuote, ownText} from "./forward_card.js";
import {forgetFile, showFull} from "./lightbox.js";
import {mentions, mentionsName} from "./mentions.js";
import {renderMessageText} from "./message_format.js";
import {nickKey} from "./protocol.js";
import {noteNames, onNewNames, textContext} from "./roster.js";
import {markIfSaved} from "./saved_marks.js";
import {statusMark} from "./status.js";

// Consecutive messages of one author within this long share one header.
export const GROUP_WITHIN_MS = 5 * 60 * 1000;

onNewNames(reformatMentions);

export function messageItem(frame, own) {
  const item = element("li", "msg");
  item.tabIndex = -1; // reached with the arrow keys (static/js/message_focus.js)
  item.dataset.id = String(frame.id);
  item.dataset.nick = nickKey(frame.nick);
  item.dataset.ts = String(frame.ts);
  noteNames([frame.nick]);
  if (frame.bot === true) item.dataset.bot = "1";
  if (frame.guest === true) item.dataset.guest = "1";
  if (own) item.classList.add("own");
  const avatar = avatarElement(frame.nick, frame.color, {picture: frame.guest !== true});
  if (frame.bot === true) avatar.classList.add("bot");
  const meta = element("div", "meta");
  meta.append(nickElement(frame.nick));
  if (frame.guest !== true) meta.append(adminMark(frame.nick), statusMark(frame.nick));
  if (frame.bot === true) meta.append(textNode(" "), element("span", "badge", "bot"));
  if (frame.guest === true) meta.append(textNode(" "), element("span", "badge guest", "guest"));
  meta.append(textNode(" "), timeElement(frame.ts));
  const shown = ownText(frame); // a forwarded copy's comment; its card follows (forward_card.js)
  const body = messageText(shown.text, shown.fmt, item, own);
  // Focused (the arrow keys), a message is named by who, when and what, not by its buttons too.
  meta.id = `msg-${frame.id}-meta`;
  body.id = `msg-${frame.id}-text`;
  item.append(avatar, meta, body);
  const card = forwardCard(frame);
  if (card) item.append(card);
  item.setAttribute("aria-labelledby", [meta.id, body.id, ...(card ? [card.id] : [])].join(" "));
  const file = frame.deleted === true ? null : fileOf(frame);
  if (file) {
    filesOf.set(item, file);
    const said = fileSaid(frame.id, file);
    item.append(fileElement(file, showFull), said);
    item.setAttribute("aria-labelledby", `${item.getAttribute("aria-labelledby")} ${said.id}`);
  }
  hideIfBlocked(item);
  markIfSaved(item);
  return item;
}

// What a focused message says of its file: "file report.pdf". Hidden (the file shows itself), it is
// still read where aria-labelledby names it, so a message that is only a file is not named by its
// author and time alone.
function fileSaid(id, file) {
  const said = element("span", "file-said", `file ${file.name}`);
  said.hidden = true;
  said.id = `msg-${id}-file`;
  return said;
}

// Each message element's file, while it has one.
const filesOf = new WeakMap();

export const fileOfItem = (item) => filesOf.get(item) || null;

// A message's file goes with it (a deleted message's file is gone for everyone).
export function removeFile(item) {
  const file = filesOf.get(item);
  if (file) forgetFile(file.id);
  filesOf.delete(item);
  item.querySelector(".file")?.remove();
  item.querySelector(".file-said")?.remove();
}

// What a quote of a message says: its text; for a message that is only a file, the file; for a forwarded
// copy without a comment, what it forwards (as the server quotes it).
export function quotedText(text, item) {
  if (text || !item) return text;
  const file = fileOfItem(item);
  return file ? fileLabel(file.name) : forwardQuote(item);
}

// The texts shown with "@" in them, to read again when the page learns more names.
const withAt = new Map(); // text element -> {text, fmt, own, mentioned: the names it mentioned}
const KEEP_AT_MOST = 1000; // then those no longer on the page are let go

function forgetGone() {
  for (const body of withAt.keys()) if (!body.isConnected) withAt.delete(body);
}

// The text, formatted by its tree ``fmt`` (a frame's); a message that mentions the reader is marked "mentions-me".
function messageText(text, fmt, item, own) {
  const body = element("div", "text");
  body.dir = "auto";
  if (withAt.size >= KEEP_AT_MOST) forgetGone();
  if (text.includes("@")) withAt.set(body, {text, fmt, own, mentioned: ""});
  formatText(body, text, fmt, item, own);
  return body;
}

function formatText(body, text, fmt, item, own) {
  // The whole room's mention is the reader's own, but never in what the reader wrote.
  const context = {...textContext(), own};
  body.replaceChildren(renderMessageText(text, fmt, context));
  const mine = !own && Boolean(context.me) && mentionsName(text, context.names, context.me, context.groups);
  item.classList.toggle("mentions-me", mine);
  if (withAt.has(body)) withAt.get(body).mentioned = mentions(text, context.names).map((m) => m.name).join("\n");
}

// Names learned after a message was shown (members, people arriving) may be mentioned in it.
// ``always``: read each again, as what is one's own changed too (one joined or left a group).
export function reformatMentions(always = false) {
  forgetGone();
  const names = textContext().names;
  for (const [body, shown] of withAt) {
    if (always || mentions(shown.text, names).map((m) => m.name).join("\n") !== shown.mentioned) {
      formatText(body, shown.text, shown.fmt, body.parentElement, shown.own);
    }
  }
}

// A message's text into its body element again, after an edit (as messageText does on arrival).
export function renderText(body, text, fmt) {
  const item = body.closest(".msg");
  const own = item.classList.contains("own");
  if (text.includes("@")) withAt.set(body, {text, fmt, own, mentioned: ""});
  else withAt.delete(body);
  formatText(body, text, fmt, item, own);
}

// A deleted message's text is not formatted again (when names are learned, say).
export function forgetText(body) {
  withAt.delete(body);
}

export function lineItem(className, nodes, ts) {
  const item = element("li", "line " + className);
  item.append(...nodes);
  if (ts) item.append(textNode(" "), timeElement(ts));
  return item;
}

// A message right after one by the same author, soon after, continues its
// group: its avatar and header are not shown (the name stays for screen readers).
export function continuesGroup(before, node) {
  return (
    before !== null &&
    before.classList.contains("msg") &&
    node.classList.contains("msg") &&
    before.dataset.nick === node.dataset.nick &&
    before.dataset.bot === node.dataset.bot &&
    before.dataset.guest === node.dataset.guest &&
    Number(node.dataset.ts) - Number(before.dataset.ts) < GROUP_WITHIN_MS
  );
}

// ``item`` and the one after it, grouped again after ``item`` came or went.
export function regroup(item) {
  for (const node of [item, item && item.nextElementSibling]) {
    if (node && node.classList.contains("msg")) node.classList.toggle("cont", continuesGroup(node.previousElementSibling, node));
  }
}

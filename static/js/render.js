// One item of the message list: a message (avatar, name, time, text) or a
// line (a join, a leave, a notice). User text goes in as text nodes only
// (its formatting as elements built by static/js/markdown.js).

import {avatarElement} from "./avatar.js";
import {element, nickElement, textNode, timeElement} from "./dom.js";
import {renderMessageText} from "./markdown.js";
import {mentionsName} from "./mentions.js";
import {nickKey} from "./protocol.js";
import {noteNames, textContext} from "./roster.js";

// Consecutive messages of one author within this long share one header.
export const GROUP_WITHIN_MS = 5 * 60 * 1000;

export function messageItem(frame, own) {
  const item = element("li", "msg");
  item.dataset.id = String(frame.id);
  item.dataset.nick = nickKey(frame.nick);
  item.dataset.ts = String(frame.ts);
  noteNames([frame.nick]);
  if (frame.bot === true) item.dataset.bot = "1";
  if (frame.guest === true) item.dataset.guest = "1";
  if (own) item.classList.add("own");
  const avatar = avatarElement(frame.nick, frame.color);
  if (frame.bot === true) avatar.classList.add("bot");
  const meta = element("div", "meta");
  meta.append(nickElement(frame.nick));
  if (frame.bot === true) meta.append(textNode(" "), element("span", "badge", "bot"));
  if (frame.guest === true) meta.append(textNode(" "), element("span", "badge guest", "guest"));
  meta.append(textNode(" "), timeElement(frame.ts));
  item.append(avatar, meta, messageText(frame.message, item, own));
  return item;
}

// The text, formatted; a message that mentions the reader is marked "mentions-me".
function messageText(text, item, own) {
  const context = textContext();
  const body = element("div", "text");
  body.dir = "auto";
  body.append(renderMessageText(text, context));
  if (!own && context.me && mentionsName(text, context.names, context.me)) item.classList.add("mentions-me");
  return body;
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

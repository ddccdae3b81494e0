// A message's text as DOM nodes: its formatting tree (the frame's ``fmt``,
// read on the server by chatroom/formatting.py; docs/protocol.md, "Message
// text") built with createElement from a fixed set of tags and text nodes,
// never markup. A message without a tree is plain text in paragraphs. Mentions
// are found here, in the tree's text, against the names the page knows, and so
// are custom emoji (``:name:``), never in code nor in a link.

import {withCustomEmoji} from "./custom_emoji.js";
import {isGroup, mentions} from "./mentions.js";

const TAGS = new Set(["p", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a"]);
const LINK_SCHEMES = new Set(["http:", "https:", "mailto:"]);
export const LINK_REL = "noopener noreferrer nofollow";
// Elements inside each other, whatever a tree holds; deeper ones show as their text.
const MAX_DEPTH = 16;
const BLANK_LINES = /\n(?:[ \t]*\n)+/;

// A link's address when it is absolute http, https or mailto; else null.
export function safeHref(raw) {
  if (typeof raw !== "string") return null;
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (!LINK_SCHEMES.has(url.protocol)) return null;
  if (url.protocol !== "mailto:" && !url.hostname) return null;
  return url.href;
}

// ``text`` formatted by its tree ``fmt`` (or plain without one), as a DocumentFragment.
// ``context``: ``names`` the room's known names and the groups' (for mentions), ``me`` the viewer's name,
// ``groups`` the folded names of the viewer's groups, ``own`` whether the viewer wrote it (the whole
// room's mention, or a group's, is then not theirs).
export function renderMessageText(text, fmt, context = {}) {
  const fragment = document.createDocumentFragment();
  const found = {
    names: context.names || [],
    me: (context.me || "").toLowerCase(),
    groups: context.groups || new Set(),
    own: Boolean(context.own),
  };
  if (Array.isArray(fmt)) {
    for (const node of fmt) appendNode(fragment, node, 0, found);
  } else {
    for (const block of String(text).split(BLANK_LINES)) {
      if (!block.replace(/[ \t\n]/g, "")) continue;
      const paragraph = document.createElement("p");
      appendText(paragraph, block, found);
      fragment.append(paragraph);
    }
  }
  return fragment;
}

// ``context`` null: text without mentions (inside code and links).
function appendNode(parent, node, depth, context) {
  if (typeof node === "string") return appendText(parent, node, context);
  if (!Array.isArray(node)) return;
  const [tag, attrs, children] = parts(node);
  if (!TAGS.has(tag) || depth >= MAX_DEPTH) return appendText(parent, textOf(children), context);
  if (tag === "code" || tag === "pre") return parent.append(codeElement(tag, textOf(children)));
  let element;
  if (tag === "a") {
    const href = safeHref(attrs.href);
    if (!href) return appendText(parent, textOf(children), context);
    element = linkElement(href);
    context = null;
  } else {
    element = document.createElement(tag);
    if (tag === "ol" && Number.isSafeInteger(attrs.start) && attrs.start >= 0) element.start = attrs.start;
  }
  for (const child of children) appendNode(element, child, depth + 1, context);
  parent.append(element);
}

// [tag, attributes, children] of an element of the tree: ``[tag, {attributes}?, ...children]``.
function parts(node) {
  const [tag, ...rest] = node;
  const attrs = rest.length && rest[0] !== null && typeof rest[0] === "object" && !Array.isArray(rest[0]);
  return [typeof tag === "string" ? tag : "", attrs ? rest[0] : {}, attrs ? rest.slice(1) : rest];
}

// Elements that stand apart from the text around them.
const BLOCKS = new Set(["p", "pre", "blockquote", "ul", "ol", "li"]);

// ``text`` as read, on one line: its tree's words without the marks that format them, blocks
// apart by a space. The server quotes replies the same way (chatroom/formatting.py, plain_text).
export function plainText(text, fmt) {
  const shown = Array.isArray(fmt) ? textOf(fmt, " ") : String(text);
  return shown.split(/\s+/).filter(Boolean).join(" ");
}

// The text of a tree's nodes, without their elements; ``apart`` follows each block element.
function textOf(nodes, apart = "") {
  const texts = [];
  const pending = [...nodes].reverse();
  while (pending.length) {
    const node = pending.pop();
    if (typeof node === "string") {
      texts.push(node);
    } else if (Array.isArray(node)) {
      const [tag, , children] = parts(node);
      if (apart && BLOCKS.has(tag)) pending.push(apart); // taken after the block's children
      pending.push(...children.reverse());
    }
  }
  return texts.join("");
}

function codeElement(tag, text) {
  const code = document.createElement("code");
  code.textContent = text;
  if (tag === "code") return code;
  const pre = document.createElement("pre");
  pre.append(code);
  return pre;
}

function linkElement(href) {
  const link = document.createElement("a");
  link.href = href;
  link.rel = LINK_REL;
  link.target = "_blank";
  return link;
}

// Text, with the mentions of known names in it as highlighted spans and known custom emoji as images.
function appendText(parent, text, context) {
  if (!text) return;
  let from = 0;
  const plain = (part) => (context ? parent.append(...withCustomEmoji(part)) : parent.append(part));
  for (const found of context ? mentions(text, context.names) : []) {
    if (found.start > from) plain(text.slice(from, found.start));
    const mention = document.createElement("span");
    const folded = found.name.toLowerCase();
    const mine = isGroup(found) || context.groups.has(folded) ? !context.own : folded === context.me;
    mention.className = mine ? "mention me" : "mention";
    mention.textContent = text.slice(found.start, found.end);
    parent.append(mention);
    from = found.end;
  }
  if (from < text.length) plain(text.slice(from));
}

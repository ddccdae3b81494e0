// A message's text as formatted nodes: the safe subset of Markdown in
// docs/protocol.md ("Message text"). Built with DOM calls only (elements and
// text nodes, never markup), in time linear in the text, with nesting
// bounded; anything outside the subset shows as typed.

import {appendInline} from "./markdown_inline.js";

const MAX_BLOCK_DEPTH = 4; // quotes and lists inside each other

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const QUOTE = /^ {0,3}> ?/;
const BULLET = /^ {0,3}([-*+]) +(?=\S)/;
const ORDERED = /^ {0,3}(\d{1,9})([.)]) +(?=\S)/;
const INDENT = /^ */;

// ``text`` formatted, as a DocumentFragment. ``context``: ``names`` the room's
// known names (for mentions), ``me`` the viewer's name (its mentions stand out).
export function renderMessageText(text, context = {}) {
  const fragment = document.createDocumentFragment();
  const found = {names: context.names || [], me: (context.me || "").toLowerCase()};
  appendBlocks(fragment, text.replace(/\r\n?/g, "\n").split("\n"), 0, found);
  return fragment;
}

function appendBlocks(parent, lines, depth, context) {
  let at = 0;
  while (at < lines.length) {
    const line = lines[at];
    if (!line.trim()) at += 1;
    else if (FENCE.test(line)) at = appendCode(parent, lines, at);
    else if (depth < MAX_BLOCK_DEPTH && QUOTE.test(line)) at = appendQuote(parent, lines, at, depth, context);
    else if (depth < MAX_BLOCK_DEPTH && listMarker(line)) at = appendList(parent, lines, at, depth, context);
    else at = appendParagraph(parent, lines, at, depth, context);
  }
}

// A line that starts a block other than a paragraph (a paragraph ends before it).
function startsBlock(line, depth) {
  if (FENCE.test(line)) return true;
  if (depth >= MAX_BLOCK_DEPTH) return false;
  const marker = listMarker(line);
  return QUOTE.test(line) || (marker !== null && (marker.bullet || marker.number === 1));
}

function appendParagraph(parent, lines, from, depth, context) {
  let to = from + 1;
  while (to < lines.length && lines[to].trim() && !startsBlock(lines[to], depth)) to += 1;
  const paragraph = document.createElement("p");
  appendInline(paragraph, lines.slice(from, to).join("\n"), context);
  parent.append(paragraph);
  return to;
}

// A fenced code block, shown verbatim, to its closing fence or the end.
function appendCode(parent, lines, from) {
  const fence = lines[from].match(FENCE)[1];
  const closing = new RegExp(`^ {0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},} *$`);
  let to = from + 1;
  while (to < lines.length && !closing.test(lines[to])) to += 1;
  const pre = document.createElement("pre");
  const code = document.createElement("code");
  code.textContent = lines.slice(from + 1, to).join("\n");
  pre.append(code);
  parent.append(pre);
  return Math.min(to + 1, lines.length);
}

function appendQuote(parent, lines, from, depth, context) {
  let to = from;
  while (to < lines.length && QUOTE.test(lines[to])) to += 1;
  const quote = document.createElement("blockquote");
  appendBlocks(quote, lines.slice(from, to).map((line) => line.replace(QUOTE, "")), depth + 1, context);
  parent.append(quote);
  return to;
}

function listMarker(line) {
  const bullet = line.match(BULLET);
  if (bullet) return {bullet: bullet[1], width: bullet[0].length, number: 0};
  const ordered = line.match(ORDERED);
  if (ordered) return {bullet: "", delimiter: ordered[2], width: ordered[0].length, number: Number(ordered[1])};
  return null;
}

const sameList = (a, b) => b !== null && a.bullet === b.bullet && a.delimiter === b.delimiter;

// A list: items start with the first item's kind of marker; indented lines
// (and blank lines before them) belong to the item above.
function appendList(parent, lines, from, depth, context) {
  const first = listMarker(lines[from]);
  const items = [[lines[from].slice(first.width)]];
  let width = first.width;
  let at = from + 1;
  while (at < lines.length) {
    const line = lines[at];
    const marker = listMarker(line);
    if (sameList(first, marker) && line.match(INDENT)[0].length < width) {
      items.push([line.slice(marker.width)]);
      width = marker.width;
      at += 1;
    } else if (!line.trim()) {
      let next = at + 1;
      while (next < lines.length && !lines[next].trim()) next += 1;
      if (next === lines.length || !continuesList(lines[next], first, width)) break;
      items[items.length - 1].push(...lines.slice(at, next).map(() => ""));
      at = next;
    } else if (line.match(INDENT)[0].length >= 2) {
      items[items.length - 1].push(line.slice(Math.min(width, line.match(INDENT)[0].length)));
      at += 1;
    } else break;
  }
  const list = document.createElement(first.bullet ? "ul" : "ol");
  if (!first.bullet && first.number !== 1) list.start = first.number;
  for (const itemLines of items) {
    const item = document.createElement("li");
    appendBlocks(item, itemLines, depth + 1, context);
    list.append(item);
  }
  parent.append(list);
  return at;
}

function continuesList(line, first, width) {
  const marker = listMarker(line);
  if (sameList(first, marker) && line.match(INDENT)[0].length < width) return true;
  return line.match(INDENT)[0].length >= 2;
}

// The inline part of a message's formatting (static/js/markdown.js): code
// spans, emphasis, strikethrough, links, bare addresses and mentions, read in
// one pass over the text into tokens, then built as DOM nodes. Delimiters
// pair up through one stack, each pushed and popped at most once, so the
// time stays linear whatever the text; at most MAX_OPEN are open at once.

import {mentions} from "./mentions.js";

const MAX_OPEN = 6;
const LINK_SCHEMES = new Set(["http:", "https:", "mailto:"]);
export const LINK_REL = "noopener noreferrer nofollow";

const SPACE = /\s/u;
const WORD = /[\p{L}\p{N}_]/u;
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;
const URL_START = /^(?:https?:\/\/|mailto:)/i;
const URL_STOP = /[\s<>"`]/u;
const URL_TRAILING = /[.,:;!?'"*_~]/;
const TAGS = {em: "em", strong: "strong", del: "del"};

// A link's address when it is absolute http, https or mailto; else null.
export function safeHref(raw) {
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

// --- reading ---------------------------------------------------------------------

// For each index, the first index at or after it holding ``char`` (text.length if none).
function nextIndex(text, char) {
  const next = new Int32Array(text.length + 2).fill(text.length);
  for (let i = text.length - 1; i >= 0; i -= 1) next[i] = text[i] === char ? i : next[i + 1];
  return next;
}

function runLength(text, at) {
  let end = at;
  while (text[end] === text[at]) end += 1;
  return end - at;
}

class Reader {
  constructor(text, context) {
    this.text = text;
    this.tokens = [];
    this.mentionAt = new Map(mentions(text, context.names).map((found) => [found.start, found]));
    this.me = context.me;
    this.next = {"]": nextIndex(text, "]"), "[": nextIndex(text, "["), ")": nextIndex(text, ")")};
    this.nextSpace = new Int32Array(text.length + 2).fill(text.length);
    for (let i = text.length - 1; i >= 0; i -= 1) this.nextSpace[i] = SPACE.test(text[i]) ? i : this.nextSpace[i + 1];
    this.backtickRuns = new Map(); // length -> starts, in order, with a cursor
    for (let i = 0; i < text.length; ) {
      if (text[i] !== "`") i += 1;
      else {
        const length = runLength(text, i);
        if (!this.backtickRuns.has(length)) this.backtickRuns.set(length, {starts: [], cursor: 0});
        this.backtickRuns.get(length).starts.push(i);
        i += length;
      }
    }
  }

  read() {
    const text = this.text;
    let at = 0;
    let plainFrom = 0;
    while (at < text.length) {
      this.pending = [];
      const after = this.readSpecial(at);
      if (after === at) {
        at += 1;
        continue;
      }
      if (plainFrom < at) this.tokens.push({kind: "text", text: text.slice(plainFrom, at)});
      this.tokens.push(...this.pending);
      at = after;
      plainFrom = after;
    }
    if (plainFrom < text.length) this.tokens.push({kind: "text", text: text.slice(plainFrom)});
    return this.tokens;
  }

  // Reads what starts at ``at`` into ``pending``: the index after it, or ``at`` for a plain character.
  readSpecial(at) {
    const char = this.text[at];
    const next = this.text[at + 1] || "";
    if (char === "\\" && ASCII_PUNCTUATION.test(next)) return this.push({kind: "text", text: next}, at + 2);
    if (char === "`") return this.readCode(at);
    if (char === "*" || char === "_" || char === "~") return this.readDelimiters(at);
    if (char === "[") return this.readLink(at);
    if (char === "@" && this.mentionAt.has(at)) return this.readMention(at);
    if ("hHmM".includes(char) && !WORD.test(this.text[at - 1] || " ")) return this.readAddress(at);
    return at;
  }

  push(token, after) {
    this.pending.push(token);
    return after;
  }

  // A code span: a run of backticks to the next run of the same length; verbatim.
  readCode(at) {
    const length = runLength(this.text, at);
    const runs = this.backtickRuns.get(length);
    while (runs.cursor < runs.starts.length && runs.starts[runs.cursor] <= at) runs.cursor += 1;
    if (runs.cursor === runs.starts.length) return this.push({kind: "text", text: "`".repeat(length)}, at + length);
    const end = runs.starts[runs.cursor];
    runs.cursor += 1;
    let code = this.text.slice(at + length, end).replace(/\n/g, " ");
    if (code.length > 2 && code.startsWith(" ") && code.endsWith(" ") && code.trim()) code = code.slice(1, -1);
    return this.push({kind: "code", text: code}, end + length);
  }

  // A run of * _ or ~: whether it may open or close, by what is on either side.
  readDelimiters(at) {
    const char = this.text[at];
    const length = runLength(this.text, at);
    const beforeChar = this.text[at - 1] || " ";
    const afterChar = this.text[at + length] || " ";
    const raw = char.repeat(length);
    const kinds = char === "~" ? {2: ["del"]}[length] : {1: ["em"], 2: ["strong"], 3: ["strong", "em"]}[length];
    if (!kinds) return this.push({kind: "text", text: raw}, at + length);
    let canOpen = !SPACE.test(afterChar);
    let canClose = !SPACE.test(beforeChar);
    if (char === "_") {
      canOpen = canOpen && !WORD.test(beforeChar);
      canClose = canClose && !WORD.test(afterChar);
    }
    kinds.forEach((kind, index) => {
      const text = kind === "em" ? char : char + char;
      const twinNext = index === 0 && kinds.length === 2; // *** is two delimiters, in either order
      this.push({kind: "delimiter", tag: kind + char, element: kind, text, canOpen, canClose, twinNext}, 0);
    });
    return at + length;
  }

  // [label](address): the label as text, only for an address safeHref allows. Only the
  // last "[" before a "](" tries it, so each address is looked at once.
  readLink(at) {
    const close = this.next["]"][at + 1];
    if (close >= this.text.length || this.next["["][at + 1] < close || this.text[close + 1] !== "(") return at;
    let end = this.next[")"][close + 2];
    // One pair of brackets inside the address, as in a Wikipedia link: Foo_(bar).
    if (end < this.text.length && this.text.slice(close + 2, end).includes("(")) end = this.next[")"][end + 1];
    if (end >= this.text.length || this.nextSpace[close + 2] < end) return at;
    const label = this.text.slice(at + 1, close);
    const href = safeHref(this.text.slice(close + 2, end));
    if (!label.trim() || !href) return at;
    return this.push({kind: "link", text: label, href}, end + 1);
  }

  readMention(at) {
    const found = this.mentionAt.get(at);
    const text = this.text.slice(found.start, found.end);
    return this.push({kind: "mention", text, me: found.name.toLowerCase() === this.me}, found.end);
  }

  // A bare address (http, https, mailto), without the punctuation that ends a sentence around it.
  readAddress(at) {
    if (!URL_START.test(this.text.slice(at, at + 8))) return at;
    let end = at;
    let opens = 0;
    let closes = 0;
    while (end < this.text.length && !URL_STOP.test(this.text[end])) {
      if (this.text[end] === "(") opens += 1;
      if (this.text[end] === ")") closes += 1;
      end += 1;
    }
    while (end > at) {
      const last = this.text[end - 1];
      if (URL_TRAILING.test(last)) end -= 1;
      else if (last === ")" && closes > opens) {
        closes -= 1;
        end -= 1;
      } else break;
    }
    const raw = this.text.slice(at, end);
    const href = raw.length > raw.match(URL_START)[0].length ? safeHref(raw) : null;
    // Not an address after all: it stays text, read once.
    return this.push(href ? {kind: "link", text: raw, href} : {kind: "text", text: raw}, end);
  }
}

// --- pairing and building -----------------------------------------------------------

// Pairs each closing delimiter with the nearest open one of its kind; those
// open in between stay text. Each delimiter is pushed and popped at most once.
function pairDelimiters(tokens) {
  const open = [];
  const openOfTag = new Map();
  for (let i = 0; i < tokens.length; i += 1) {
    if (tokens[i].kind !== "delimiter") continue;
    // *** closes what is open innermost first: the emphasis before the strong.
    const top = open[open.length - 1];
    if (tokens[i].twinNext && tokens[i].canClose && top && top.tag === tokens[i + 1].tag) {
      [tokens[i], tokens[i + 1]] = [tokens[i + 1], tokens[i]];
      tokens[i].twinNext = false;
    }
    const token = tokens[i];
    if (token.canClose && openOfTag.get(token.tag) > 0) {
      for (;;) {
        const opener = open.pop();
        openOfTag.set(opener.tag, openOfTag.get(opener.tag) - 1);
        if (opener.tag !== token.tag) continue;
        opener.role = "open";
        token.role = "close";
        break;
      }
    } else if (token.canOpen && open.length < MAX_OPEN) {
      open.push(token);
      openOfTag.set(token.tag, (openOfTag.get(token.tag) || 0) + 1);
    }
  }
}

function tokenNode(token) {
  if (token.kind === "code") {
    const code = document.createElement("code");
    code.textContent = token.text;
    return code;
  }
  if (token.kind === "link") {
    const link = document.createElement("a");
    link.href = token.href;
    link.rel = LINK_REL;
    link.target = "_blank";
    link.textContent = token.text;
    return link;
  }
  if (token.kind === "mention") {
    const mention = document.createElement("span");
    mention.className = token.me ? "mention me" : "mention";
    mention.textContent = token.text;
    return mention;
  }
  return document.createTextNode(token.text);
}

// ``text``'s inline formatting appended to ``parent``; ``context`` as renderMessageText's.
export function appendInline(parent, text, context) {
  const tokens = new Reader(text, context).read();
  pairDelimiters(tokens);
  const parents = [];
  let into = parent;
  for (const token of tokens) {
    if (token.role === "open") {
      const node = document.createElement(TAGS[token.element]);
      into.append(node);
      parents.push(into);
      into = node;
    } else if (token.role === "close") {
      into = parents.pop();
    } else {
      into.append(tokenNode(token));
    }
  }
}

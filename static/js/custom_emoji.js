// The server's custom emoji (``GET /api/emoji``, docs/protocol.md "Custom
// emoji"): their names and images, kept up to date by ``emoji`` frames. A
// message's ``:name:`` of a known one shows its image at the size of the text
// (alt and title ``:name:``, so copying it or a screen reader gives the name),
// and so does a reaction whose emoji is ``:name:``; an unknown or removed one
// stays its text. Images are fetched once a page, as blobs (with the page's
// token when the server needs one), and every image of a name shows that copy.

import {apiCall, apiHeaders} from "./api.js";
import {element} from "./dom.js";
import {frameTold, keepTold, lookupAsked} from "./told.js";

const emoji = new Map(); // name -> {name, url, by, ts}
const images = new Map(); // name -> {url, promise}: the blob shown for its current address
const listeners = new Set();
const CODE = /:([a-z0-9_+-]{1,32}):/g;
const WHOLE = /^:([a-z0-9_+-]{1,32}):$/;

// The emoji known now, by name.
export const customEmoji = () => [...emoji.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
export const isCustomCode = (text) => WHOLE.test(text) && emoji.has(text.slice(1, -1));

// ``listener()`` after each change (the page's picker, completions, messages and chips).
export function onCustomEmoji(listener) {
  listeners.add(listener);
}

// The list as the server has it, but for the emoji a frame told of since it was asked (told.js).
export async function loadCustomEmoji() {
  const asked = lookupAsked();
  const answer = await apiCall("GET", "/api/emoji");
  if (!answer.ok || !Array.isArray(answer.body?.emoji)) return;
  const listed = new Map();
  for (const entry of answer.body.emoji) remember(entry, listed);
  const kept = keepTold("emoji", asked, listed, emoji);
  emoji.clear();
  for (const [name, entry] of kept) emoji.set(name, entry);
  changed();
}

// An ``emoji`` frame: one added (its entry) or removed (null).
export function onEmojiFrame(frame) {
  if (typeof frame.name !== "string") return;
  frameTold("emoji", frame.name);
  if (frame.emoji && typeof frame.emoji === "object") remember(frame.emoji);
  else emoji.delete(frame.name);
  changed();
}

// What the server answered for one's own new emoji: it is shown at once, before its frame comes.
export function learnCustomEmoji(entry) {
  if (typeof entry?.name === "string") frameTold("emoji", entry.name);
  remember(entry);
  changed();
}

function remember(entry, into = emoji) {
  if (!entry || typeof entry.name !== "string" || typeof entry.url !== "string") return;
  if (!entry.url.startsWith("/emoji/")) return; // only this server's own addresses
  into.set(entry.name, entry);
}

function changed() {
  for (const listener of listeners) listener();
}

// An <img> of the custom emoji ``name`` (known), at the size of the text around it.
export function customEmojiImage(name, className = "custom-emoji") {
  const image = element("img", className);
  image.alt = `:${name}:`;
  image.title = `:${name}:`;
  image.dataset.emojiName = name;
  image.draggable = false;
  image.decoding = "async";
  showImage(image, emoji.get(name));
  return image;
}

async function showImage(image, entry) {
  let kept = images.get(entry.name);
  if (!kept || kept.url !== entry.url) {
    kept = {url: entry.url, promise: blobOf(entry.url)};
    images.set(entry.name, kept);
  }
  const src = await kept.promise;
  if (src) image.src = src;
}

async function blobOf(url) {
  try {
    const response = await fetch(url, {headers: apiHeaders("GET"), credentials: "same-origin"});
    return response.ok ? URL.createObjectURL(await response.blob()) : "";
  } catch {
    return "";
  }
}

// ``text`` as nodes: each ``:name:`` of a known emoji its image, the rest text.
export function withCustomEmoji(text) {
  const nodes = [];
  let from = 0;
  for (const match of text.matchAll(CODE)) {
    if (!emoji.has(match[1])) continue;
    if (match.index > from) nodes.push(document.createTextNode(text.slice(from, match.index)));
    nodes.push(customEmojiImage(match[1]));
    from = match.index + match[0].length;
  }
  if (from < text.length) nodes.push(document.createTextNode(text.slice(from)));
  return nodes;
}

// A reaction's emoji as shown: the image of a known custom one, else its text.
export function emojiGlyph(text, className) {
  if (!isCustomCode(text)) return element("span", className, text);
  const glyph = element("span", className);
  glyph.append(customEmojiImage(text.slice(1, -1)));
  return glyph;
}

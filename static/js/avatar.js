// Avatars: a person's initials on a coloured circle. The colour is the one the
// server sends (a user frame's ``color``) when it does; until then one is
// derived from the nick, stably, over the server's palette
// (chatroom/store/records.py AVATAR_COLORS, which tests/test_page.py keeps
// this copy equal to). Each has at least 5:1 contrast with white initials.
// An account's profile picture (``/avatars/{name}``) covers the initials once
// it has loaded; each name is asked for once a connection (static/js/avatar_pictures.js).

import {learnPicture, pictureFor, picturesTold} from "./avatar_pictures.js";
import {element} from "./dom.js";
import {nickKey} from "./protocol.js";

export const AVATAR_COLORS = Object.freeze([
  "#b71c1c",
  "#ad1457",
  "#6a1b9a",
  "#4527a0",
  "#283593",
  "#1565c0",
  "#00695c",
  "#2e7d32",
  "#5d4037",
  "#37474f",
  "#a0450b",
  "#7b5e00",
]);

const HEX_COLOR = /^#[0-9a-f]{6}$/i;

// FNV-1a over the nick's key, then mixed (murmur3's finaliser) so that short
// nicks spread over the palette: the same nick has the same colour everywhere.
function hashOf(text) {
  let hash = 0x811c9dc5;
  for (const char of text) {
    hash ^= char.codePointAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return hash >>> 0;
}

// Accounts' own colours (the server picks one at creation, not by this hash),
// by name key, learnt from /api/accounts: an account's avatar is the same
// beside its messages, in the people list, in its own chip and in dialogs;
// the same answer says which picture it shows. Each name is looked up once a
// connection, and only by a page that may look people up (``lookUpOne``; null:
// it may not): at every welcome, the names shown are asked again, so that a
// picture changed while the page was offline (its ``avatar`` frame lost) shows.
const known = new Map();
const asked = new Set();
let lookUp = null;

export function lookUpAccounts(lookUpOne) {
  lookUp = lookUpOne;
  asked.clear(); // names not shown now are asked when they next show
  picturesTold(Boolean(lookUpOne));
  for (const node of document.querySelectorAll(".avatar[data-nick], [data-picture]")) {
    askFor(node.dataset.nick || node.dataset.picture);
  }
}

// The picture too: a node drawn with a colour of its own may still show one.
export function askFor(nick) {
  const key = nickKey(nick);
  if (!lookUp || asked.has(key)) return;
  asked.add(key);
  lookUp(nick);
}

const wellFormed = (color) => typeof color === "string" && HEX_COLOR.test(color);

// The server's colour when it sent a well-formed one, else the account's, else the nick's own.
export function avatarColor(nick, color) {
  if (wellFormed(color)) return color;
  const key = nickKey(nick);
  return known.get(key) || AVATAR_COLORS[hashOf(key) % AVATAR_COLORS.length];
}

// What the lookup of ``nick`` found ([{name, color, avatar}], those of that very name): its colour, its picture.
export function learnAccount(nick, accounts) {
  learnPicture(nick, accounts.length && typeof accounts[0].avatar === "string" ? accounts[0].avatar : null);
  learnColors(accounts);
}

// Remember accounts' colours ([{name, color}]) and repaint the avatars drawn without one.
export function learnColors(accounts) {
  for (const account of accounts) {
    if (account && typeof account.name === "string" && wellFormed(account.color)) {
      known.set(nickKey(account.name), account.color);
    }
  }
  for (const node of document.querySelectorAll(".avatar[data-nick]")) {
    node.style.backgroundColor = avatarColor(node.dataset.nick);
  }
}

// One segmenter for every avatar: making one is far dearer than using it.
const segmenter = typeof Intl.Segmenter === "function" ? new Intl.Segmenter(undefined, {granularity: "grapheme"}) : null;
const graphemes = segmenter ? (text) => [...segmenter.segment(text)].map((s) => s.segment) : (text) => [...text];

// The first letter of the first two words ("ann 2" is "A2", "李雷" is "李").
export function initials(nick) {
  const words = nick.split(" ").filter(Boolean);
  return words
    .slice(0, 2)
    .map((word) => graphemes(word)[0] || "")
    .join("")
    .toLocaleUpperCase();
}

// Decorative: the name beside it says who it is. ``picture``: false for a
// guest's (no account, so no picture to ask for).
export function avatarElement(nick, color, {picture = true} = {}) {
  const node = element("span", "avatar", initials(nick));
  node.setAttribute("aria-hidden", "true");
  node.style.backgroundColor = avatarColor(nick, color);
  if (!wellFormed(color)) node.dataset.nick = nick; // repainted once the account's colour is known
  if (picture) pictureFor(node, nick);
  if (picture || !wellFormed(color)) askFor(nick);
  return node;
}

// Emoji by shortcode in the message box and a thread's reply box, as in Slack or Discord: ":" and at
// least two characters of a shortcode (static/js/emoji_shortcodes.js) offer
// the emoji in the box's suggestions (static/js/completion.js), and a whole
// ":smile:" typed with its closing colon becomes 😄. Only where a shortcode
// may start: at the start or after a space or an opening bracket, so times
// (10:30) and addresses (https://) are left alone, and never in code (a
// `span` or a ``` block), whose text is shown as typed. The server's custom
// emoji are offered too (``:pa`` offers ``:partyparrot:``), and stay their
// ``:name:`` in the text, which every page shows as their image.

import {addSource} from "./completion.js";
import {customEmoji, customEmojiImage} from "./custom_emoji.js";
import {element} from "./dom.js";
import {SHORTCODES} from "./emoji_shortcodes.js";

const MAX_SHOWN = 8;
const LOOK_BACK = 40; // the longest shortcode is shorter
const START = String.raw`(?:^|[\s([{])`;
const TYPED = new RegExp(`${START}:([a-z0-9_+-]{2,})$`, "i");
const CLOSED = new RegExp(`${START}:([a-z0-9_+-]{2,}):$`, "i");
const FENCE = /^ {0,3}```/gm;

// Whether the end of ``before`` is inside code: after an unclosed ``` fence, or an odd
// number of backticks in its paragraph (a code span does not pass a blank line).
export function insideCode(before) {
  const fences = before.match(FENCE) || [];
  if (fences.length % 2 === 1) return true;
  const paragraph = before.split(FENCE).pop().split(/\n\s*\n/).pop();
  return (paragraph.match(/`+/g) || []).length % 2 === 1;
}

// ``pattern`` matched against the text up to the caret, outside code: the match and where it starts.
function typedBefore(box, pattern) {
  const to = box.selectionStart;
  const match = box.value.slice(Math.max(0, to - LOOK_BACK), to).match(pattern);
  if (!match) return null;
  const from = to - match[1].length - (pattern === CLOSED ? 2 : 1);
  return insideCode(box.value.slice(0, from)) ? null : {typed: match[1].toLowerCase(), from, to};
}

// The shortcodes that start with ``typed``, then those that have it inside; shorter ones first. A custom
// emoji has no character: its ``emoji`` is null.
export function candidates(typed) {
  const custom = new Set(customEmoji().map((entry) => entry.name));
  const found = [...Object.keys(SHORTCODES), ...custom]
    .map((code) => ({code, at: code.indexOf(typed)}))
    .filter(({at}) => at >= 0);
  found.sort((a, b) => (a.at > 0) - (b.at > 0) || a.code.length - b.code.length || (a.code < b.code ? -1 : 1));
  return found.slice(0, MAX_SHOWN).map(({code}) => ({code, emoji: custom.has(code) ? null : SHORTCODES[code]}));
}

const shown = ({code, emoji}) =>
  emoji === null ? customEmojiImage(code, "completion-emoji custom-emoji") : element("span", "completion-emoji", emoji);

// The closing colon of a known shortcode was typed: the emoji takes its place.
function replaceClosed(event) {
  if (event.inputType !== "insertText" || event.data !== ":") return;
  const box = event.target;
  const found = typedBefore(box, CLOSED);
  const emoji = found && SHORTCODES[found.typed];
  if (!emoji) return;
  box.setRangeText(emoji, found.from, found.to, "end");
  box.dispatchEvent(new Event("input", {bubbles: true}));
}

// ``boxes``: the message box and a thread's reply box.
export function wireEmojiCompletion(boxes) {
  addSource({
    name: "emoji",
    label: "Emoji",
    find: (box) => typedBefore(box, TYPED),
    candidates: ({typed}) => candidates(typed),
    content: (found) => [shown(found), element("span", "", `:${found.code}:`)],
    insertion: ({code, emoji}) => emoji ?? `:${code}:`,
    key: ({code}) => code,
  });
  for (const box of boxes) box.addEventListener("input", replaceClosed);
}

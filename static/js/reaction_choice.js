// Reacting to a message: a short row of the person's recent reactions (the
// common ones until there are some), and a button for the full emoji picker.
// The recent ones are kept in localStorage, so the row follows the person
// from one visit to the next on this browser.

import {emojiGlyph, isCustomCode} from "./custom_emoji.js";
import {element} from "./dom.js";

const QUICK_COUNT = 6;
const COMMON_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢"];
const RECENT_KEY = "chatroom.recentReactions";
const MAX_EMOJI_CHARS = 64; // the server's limit (docs/protocol.md)

function storedRecent() {
  try {
    const stored = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
    if (!Array.isArray(stored)) return [];
    return stored.filter((emoji) => typeof emoji === "string" && emoji && [...emoji].length <= MAX_EMOJI_CHARS);
  } catch {
    return []; // storage switched off, or not ours to read
  }
}

// The row's emoji: the most recently used first (a custom one while the server has it), then the common ones.
export function quickEmoji() {
  const recent = storedRecent().filter((emoji) => !emoji.startsWith(":") || isCustomCode(emoji));
  const row = [...new Set([...recent, ...COMMON_EMOJI])];
  return row.slice(0, QUICK_COUNT);
}

export function rememberReaction(emoji) {
  const recent = [emoji, ...storedRecent().filter((other) => other !== emoji)].slice(0, QUICK_COUNT);
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
  } catch {
    // Storage can be full or switched off: the row then shows the common ones.
  }
}

// The row's buttons: ``pick(emoji)`` for one of them, ``more(button)`` for the full picker.
export function quickReactionButtons({pick, more, pressed}) {
  const buttons = quickEmoji().map((emoji) => {
    const button = element("button", "quick-reaction");
    button.append(emojiGlyph(emoji));
    button.type = "button";
    button.title = pressed(emoji) ? `Take back ${emoji}` : `React with ${emoji}`;
    button.setAttribute("aria-label", `React with ${emoji}`);
    button.setAttribute("aria-pressed", String(pressed(emoji)));
    button.addEventListener("click", (event) => {
      event.stopPropagation();
      pick(emoji);
    });
    return button;
  });
  const other = element("button", "quick-reaction more", "⋯");
  other.type = "button";
  other.title = "More emoji";
  other.setAttribute("aria-label", "More emoji");
  other.setAttribute("aria-haspopup", "dialog");
  other.addEventListener("click", (event) => {
    event.stopPropagation();
    more(other);
  });
  return [...buttons, other];
}

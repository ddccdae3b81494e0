// Choosing an emoji to react with: a few common ones, and a field for any
// other (typed, or from the system's emoji keyboard). Kept small on purpose:
// a full picker can replace this module behind ``chooseEmoji``.

import {element} from "./dom.js";

export const COMMON_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢", "👀", "✅"];

// The server's rule (docs/protocol.md): 1-64 characters, a symbol among them, no control or space.
export function emojiProblem(text) {
  if (!text || [...text].length > 64) return "An emoji is 1 to 64 characters.";
  if (/[\p{Cc}\s]/u.test(text)) return "An emoji has no spaces.";
  if (!/[\p{S}\u20e3]/u.test(text)) return "That is not an emoji.";
  return "";
}

let open = null;

export function closeEmojiChoice() {
  if (open) open.remove();
  open = null;
}

// Shows the choice beside ``anchor``; ``chosen(emoji)`` once one is picked.
export function chooseEmoji(anchor, chosen) {
  closeEmojiChoice();
  const panel = element("div", "emoji-choice");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "React with an emoji");
  const pick = (emoji) => {
    closeEmojiChoice();
    chosen(emoji);
  };
  for (const emoji of COMMON_EMOJI) {
    const button = element("button", "emoji-option", emoji);
    button.type = "button";
    button.setAttribute("aria-label", `React with ${emoji}`);
    button.addEventListener("click", () => pick(emoji));
    panel.append(button);
  }
  panel.append(otherEmojiForm(pick));
  anchor.closest(".msg").append(panel);
  open = panel;
  // Near the bottom of the list, the choice opens upwards, where there is room.
  const scroller = panel.closest("#scroller");
  if (scroller && panel.getBoundingClientRect().bottom > scroller.getBoundingClientRect().bottom) {
    panel.classList.add("above");
  }
  panel.querySelector("button").focus();
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeEmojiChoice();
  });
}

function otherEmojiForm(pick) {
  const form = element("form", "emoji-other");
  const field = element("input");
  field.type = "text";
  field.placeholder = "Any emoji";
  field.setAttribute("aria-label", "Any emoji");
  field.maxLength = 64;
  const add = element("button", "", "React");
  add.type = "submit";
  const problem = element("span", "emoji-problem");
  form.append(field, add, problem);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = field.value.trim();
    problem.textContent = emojiProblem(text);
    if (!problem.textContent) pick(text);
  });
  return form;
}

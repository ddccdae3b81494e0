// Answering a message: the bar above the message box that says to what, and
// the ``reply_to`` the next message carries (docs/protocol.md).

import {element, textNode, ui} from "./dom.js";

const QUOTE_CHARS = 80;

const state = {target: null, bar: null};

function bar() {
  if (state.bar) return state.bar;
  const node = element("div", "reply-bar");
  node.id = "reply-bar";
  node.hidden = true;
  ui.composer.before(node);
  state.bar = node;
  return node;
}

export function startReply(id, nick, text) {
  state.target = id;
  const node = bar();
  const cancel = element("button", "reply-cancel", "×");
  cancel.type = "button";
  cancel.setAttribute("aria-label", "Cancel the reply");
  cancel.addEventListener("click", cancelReply);
  const quote = element("span", "quote-text", [...text].slice(0, QUOTE_CHARS).join(""));
  quote.dir = "auto";
  node.replaceChildren(textNode("Replying to "), element("bdi", "nick", nick), textNode(": "), quote, cancel);
  node.hidden = false;
  ui.text.focus();
}

export function cancelReply() {
  state.target = null;
  if (state.bar) state.bar.hidden = true;
}

// What the next message answers: the id, or undefined.
export const replyTarget = () => (state.target === null ? undefined : state.target);

// The original was deleted while the reply was being written: the reply still goes, quoting nothing.
export function onDeleted(id) {
  if (state.target === id && state.bar) state.bar.querySelector(".quote-text").textContent = "message deleted";
}

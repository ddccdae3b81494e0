// Answering a message: the bar above the message box that says to what, and
// the ``reply_to`` the next message carries (docs/protocol.md).

import {element, textNode, ui} from "./dom.js";

const QUOTE_CHARS = 80;

const state = {target: null, bar: null, nick: "", text: ""};

function bar() {
  if (state.bar) return state.bar;
  const node = element("div", "reply-bar");
  node.id = "reply-bar";
  node.hidden = true;
  ui.composer.before(node);
  state.bar = node;
  return node;
}

// ``focus``: the box takes the focus (not when a kept draft's reply comes back with the page).
export function startReply(id, nick, text, {focus = true} = {}) {
  Object.assign(state, {target: id, nick, text: [...text].slice(0, QUOTE_CHARS).join("")});
  const node = bar();
  const cancel = element("button", "reply-cancel", "×");
  cancel.type = "button";
  cancel.setAttribute("aria-label", "Cancel the reply");
  cancel.addEventListener("click", cancelReply);
  const quote = element("span", "quote-text", state.text);
  quote.dir = "auto";
  node.replaceChildren(textNode("Replying to "), element("bdi", "nick", nick), textNode(": "), quote, cancel);
  node.hidden = false;
  describeBox(true);
  if (focus) ui.text.focus();
}

export function cancelReply() {
  state.target = null;
  if (state.bar) state.bar.hidden = true;
  describeBox(false);
}

// A screen reader in the message box hears what it answers (the bar is out of its way, above it).
function describeBox(replying) {
  const others = (ui.text.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== "reply-bar");
  ui.text.setAttribute("aria-describedby", [...(replying ? ["reply-bar"] : []), ...others].join(" "));
}

// Escape in the message box gives the reply up (after the mention list, which takes it first).
export function wireReply() {
  ui.text.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || state.target === null || event.isComposing) return;
    event.preventDefault();
    cancelReply();
  });
}

// What the next message answers, to be kept with a draft (static/js/drafts.js): {id, nick, text}, or null.
export const replyDraft = () => (state.target === null ? null : {id: state.target, nick: state.nick, text: state.text});

// What the next message answers: the id, or undefined.
export const replyTarget = () => (state.target === null ? undefined : state.target);

// The original was deleted while the reply was being written: the reply still goes, quoting nothing.
export function onDeleted(id) {
  if (state.target !== id || !state.bar) return;
  state.text = "message deleted";
  state.bar.querySelector(".quote-text").textContent = state.text;
}

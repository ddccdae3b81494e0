// What changes to messages look like on the page (docs/protocol.md, "Changes
// to messages"): the "edited" mark, the tombstone of a deleted message,
// reaction chips with their counts and who reacted, a reply's quote of its
// original, the pin of a message pinned to its room, and the cards of its
// links (link_previews.js). ``decorate`` adds them to a message element from
// its user frame; ``applyChange`` applies an edit, delete, reaction, pin or
// preview frame to the element it targets. Applying one twice is harmless. User text goes in as
// text nodes only.

import {hideQuoteIfBlocked} from "./blocks.js";
import {emojiGlyph} from "./custom_emoji.js";
import {element, textNode} from "./dom.js";
import {fileLabel} from "./file_view.js";
import {dropForwardCard, ownText} from "./forward_card.js";
import {showPreviews} from "./link_previews.js";
import {plainText} from "./message_format.js";
import {applyPollChange, showPoll} from "./polls.js";
import {fileOfItem, forgetText, removeFile, renderText} from "./render.js";
import {mayChangeMessages, session} from "./session.js";

const QUOTE_CHARS = 100;
const LONG_PRESS_MS = 450;
const SHOW_WHO_MS = 4000;

// Per message element: its reactions (emoji -> nicks, in order), its current text and that text's tree.
const reactionsOf = new WeakMap();
const textOf = new WeakMap();
const treeOf = new WeakMap();

const hooks = {
  toggle: (id, emoji, on) => {}, // put on or take back one's reaction
  jump: (id) => {}, // show message ``id`` (a reply's quote was clicked)
};

export function configureState(given) {
  Object.assign(hooks, given);
}

export const currentText = (item) => textOf.get(item) || "";
// The current text as read, without formatting marks: what a reply to it quotes.
export const currentPlainText = (item) => plainText(currentText(item), treeOf.get(item));
export const isDeleted = (item) => item.classList.contains("deleted");
export const isPinned = (item) => item.classList.contains("pinned");

// Whether the person's own reaction ``emoji`` is on the message.
export function hasReacted(item, emoji) {
  const nicks = reactionsOf.get(item)?.get(emoji) || [];
  return session.myNick !== "" && nicks.includes(session.myNick);
}

function shortQuote(text) {
  const chars = [...text];
  return chars.length <= QUOTE_CHARS ? text : chars.slice(0, QUOTE_CHARS - 1).join("") + "…";
}

// --- from a user frame --------------------------------------------------------------

export function decorate(item, frame) {
  const shown = ownText(frame); // a forwarded copy's own text is its comment (forward_card.js)
  textOf.set(item, shown.text);
  treeOf.set(item, shown.fmt);
  const original = frame.reply_to;
  if (original && typeof original === "object" && typeof original.id === "number") {
    item.querySelector(".text").before(quoteElement(original));
  }
  if (frame.deleted === true) return showDeleted(item);
  if (typeof frame.edited === "number") markEdited(item, frame.edited);
  if (frame.pinned && typeof frame.pinned.nick === "string") markPinned(item, frame.pinned.nick, frame.pinned.ts);
  showPreviews(item, frame.previews);
  const reactions = new Map();
  for (const r of Array.isArray(frame.reactions) ? frame.reactions : []) {
    if (r && typeof r.emoji === "string" && Array.isArray(r.nicks)) {
      reactions.set(r.emoji, r.nicks.filter((nick) => typeof nick === "string"));
    }
  }
  reactionsOf.set(item, reactions);
  showPoll(item, frame);
  renderReactions(item);
}

function quoteElement(original) {
  const quote = element("button", "reply-quote");
  quote.type = "button";
  quote.dataset.replyTo = String(original.id);
  quote.append(element("bdi", "nick", typeof original.nick === "string" ? original.nick : ""), textNode(" "));
  quote.append(quoteText(original.message, original));
  quote.title = "Show the message this answers";
  quote.addEventListener("click", () => hooks.jump(original.id));
  if (typeof original.nick === "string") hideQuoteIfBlocked(quote, original.nick, quotesGuest(original.id));
  return quote;
}

// Whether the quoted message is a guest's, when the page holds it (a reply's quote does not say).
const quotesGuest = (id) => document.querySelector(`#messages .msg[data-id="${Number(id)}"]`)?.dataset.guest === "1";

function quoteText(message, original) {
  if (typeof message !== "string") return element("span", "quote-text gone", "message deleted");
  const text = element("span", "quote-text", shortQuote(message || fileQuote(original)));
  text.dir = "auto";
  return text;
}

// A message that is only a file (its text is empty) is quoted by its file's
// name when the page holds it (a reply's quote carries text alone).
function fileQuote(original) {
  const item = document.querySelector(`#messages .msg[data-id="${Number(original.id)}"]`);
  const file = item ? fileOfItem(item) : null;
  return fileLabel(file ? file.name : "a file");
}

// --- the states ------------------------------------------------------------------------

function markEdited(item, ts) {
  let mark = item.querySelector(".meta .edited");
  if (!mark) {
    mark = element("span", "edited", "edited");
    item.querySelector(".meta").append(mark);
  }
  mark.title = `Edited ${new Date(ts).toLocaleString()}`;
}

// "📌 Pinned by ann" in the message's line of who and when: seen on a phone as on a desktop, and read out.
function markPinned(item, nick, ts) {
  item.querySelector(".meta .pinned-mark")?.remove();
  item.classList.add("pinned");
  const mark = element("span", "pinned-mark");
  mark.append(element("span", "pin-icon", "📌"), textNode(" Pinned by "), element("bdi", "", nick));
  mark.firstChild.setAttribute("aria-hidden", "true");
  if (typeof ts === "number") mark.title = `Pinned by ${nick}, ${new Date(ts).toLocaleString()}`;
  item.querySelector(".meta").append(mark);
}

function unmarkPinned(item) {
  item.classList.remove("pinned");
  item.querySelector(".meta .pinned-mark")?.remove();
}

function showDeleted(item) {
  unmarkPinned(item); // deleting a pinned message unpins it (docs/protocol.md)
  item.classList.add("deleted");
  textOf.set(item, "");
  treeOf.delete(item);
  reactionsOf.set(item, new Map());
  const parts = ".reactions, .meta .edited, .reply-quote, .reaction-who, .poll, .link-previews";
  for (const gone of item.querySelectorAll(parts)) gone.remove();
  removeFile(item);
  dropForwardCard(item);
  const body = item.querySelector(".text");
  forgetText(body);
  body.replaceChildren(element("span", "tombstone", "message deleted"));
  updateQuotes(Number(item.dataset.id), null);
}

// Replies on the page quote the original as it is now.
function updateQuotes(id, message) {
  for (const quote of document.querySelectorAll(`.reply-quote[data-reply-to="${id}"]`)) {
    quote.querySelector(".quote-text").replaceWith(quoteText(message, {id}));
  }
}

function renderReactions(item) {
  const old = item.querySelector(".reactions");
  const focused = old?.contains(document.activeElement) ? document.activeElement.dataset.emoji : null;
  old?.remove();
  item.querySelector(".reaction-who")?.remove(); // it named those of the row gone
  const reactions = reactionsOf.get(item);
  if (reactions && reactions.size > 0) {
    const row = element("div", "reactions");
    for (const [emoji, nicks] of reactions) row.append(chip(item, emoji, nicks));
    (item.querySelector(".file") || item.querySelector(".text")).after(row);
  }
  // A chip pressed from the keyboard, or changed by someone else under it, keeps the focus
  // (its message does, once nobody is left on it).
  if (focused === null) return;
  const again = [...item.querySelectorAll(".reaction")].find((other) => other.dataset.emoji === focused);
  (again || item).focus();
}

function chip(item, emoji, nicks) {
  const mine = hasReacted(item, emoji);
  const button = element("button", "reaction");
  button.type = "button";
  button.dataset.emoji = emoji;
  button.append(emojiGlyph(emoji, "reaction-emoji"), element("span", "count", String(nicks.length)));
  button.title = nicks.join(", ");
  button.setAttribute("aria-label", `${emoji} ${nicks.length}: ${nicks.join(", ")}`);
  button.setAttribute("aria-pressed", String(mine));
  button.disabled = !mayChangeMessages();
  button.addEventListener("click", () => hooks.toggle(Number(item.dataset.id), emoji, !mine));
  onLongPress(button, () => {
    const hide = showWho(item, emoji, nicks);
    setTimeout(hide, SHOW_WHO_MS);
  });
  button.addEventListener("focus", () => {
    if (button.matches(":focus-visible")) button.addEventListener("blur", showWho(item, emoji, nicks), {once: true});
  });
  return button;
}

// Nobody hovers on a touch screen, nor with the keyboard: a long press says who reacted for a moment,
// a chip reached with the keyboard while it has the focus. Answers what takes the line away.
function showWho(item, emoji, nicks) {
  item.querySelector(".reaction-who")?.remove();
  const who = element("p", "reaction-who", `${emoji} ${nicks.join(", ")}`);
  item.querySelector(".reactions").after(who);
  return () => who.remove();
}

export function onLongPress(target, action) {
  let timer = 0;
  const cancel = () => clearTimeout(timer);
  target.addEventListener(
    "touchstart",
    () => {
      cancel();
      timer = setTimeout(action, LONG_PRESS_MS);
    },
    {passive: true},
  );
  for (const end of ["touchend", "touchmove", "touchcancel"]) target.addEventListener(end, cancel, {passive: true});
}

// --- change frames --------------------------------------------------------------------

// Applies an edit, delete, reaction, pin, vote, close_poll or preview frame to ``item`` (its target's element).
export function applyChange(item, frame) {
  if (isDeleted(item)) return;
  if (frame.type === "delete") return showDeleted(item);
  if (frame.type === "vote" || frame.type === "close_poll") return applyPollChange(item, frame);
  if (frame.type === "preview") return showPreviews(item, frame.on === true ? frame.previews : []);
  if (frame.type === "pin" && typeof frame.nick === "string") {
    return frame.on === true ? markPinned(item, frame.nick, frame.ts) : unmarkPinned(item);
  }
  if (frame.type === "edit" && typeof frame.message === "string") {
    textOf.set(item, frame.message);
    treeOf.set(item, frame.fmt);
    const body = item.querySelector(".text");
    body.replaceChildren();
    renderText(body, frame.message, frame.fmt);
    markEdited(item, frame.ts);
    return updateQuotes(Number(item.dataset.id), plainText(frame.message, frame.fmt));
  }
  if (frame.type === "reaction" && typeof frame.emoji === "string" && typeof frame.nick === "string") {
    const reactions = reactionsOf.get(item) || new Map();
    const nicks = (reactions.get(frame.emoji) || []).filter((nick) => nick !== frame.nick);
    if (frame.on === true) nicks.push(frame.nick);
    if (nicks.length) reactions.set(frame.emoji, nicks);
    else reactions.delete(frame.emoji);
    reactionsOf.set(item, reactions);
    renderReactions(item);
  }
}

// Chips say which reactions are one's own: known only once the server named us.
export function refreshOwnReactions() {
  for (const item of document.querySelectorAll("#messages .msg")) renderReactions(item);
}

// A custom emoji came or went: the messages and chips that name it show its image, or its name as text.
export function refreshCustomEmoji() {
  for (const item of document.querySelectorAll(".msg")) {
    if (isDeleted(item) || !textOf.has(item)) continue;
    if (/:[a-z0-9_+-]+:/.test(currentText(item))) renderText(item.querySelector(".text"), currentText(item), treeOf.get(item));
    if (reactionsOf.get(item)?.size) renderReactions(item);
  }
}

// Whether one may react is known once the server says the page is an
// account's, which may be after the history is shown, and changes when the
// room is archived or brought back: chips follow.
export function refreshReactionChips() {
  for (const chip of document.querySelectorAll("#messages .reaction")) chip.disabled = !mayChangeMessages();
}

// What one can do with a message: reply, start or open its thread, react, pin it to the room (or unpin
// it), edit and delete one's own (an administrator deletes any, and so does a room's owner in it), copy
// its link, mark the room unread from it, save it for later, be reminded of it, forward it, block or bar its author
// (these behind "⋯ More actions").
// One toolbar serves every message: it moves to the message under the pointer (desktop), the one
// long-pressed (phone), or the one reached with the keyboard, so the list
// holds no buttons per message. Changes go out as frames with refs of their
// own; their refusals are said in static/js/change_refusals.js.

import {isAdministrator} from "./admin_api.js";
import {ownMembership} from "./api.js";
import {blockPerson, isBlocked, unblockPerson} from "./blocks.js";
import {sendFrame} from "./connection.js";
import {announce, element, ui} from "./dom.js";
import {closeEmojiPicker, openEmojiPicker} from "./emoji_picker.js";
import {wireMessageFocus} from "./message_focus.js";
import {cancelEditing, configureEditing, editLastOwn, mayEdit, startEditing} from "./message_editing.js";
import {currentPlainText, hasReacted, isDeleted, isPinned, onLongPress} from "./message_state.js";
import {permalink} from "./permalink.js";
import {quotedText} from "./render.js";
import {REF_PREFIX} from "./change_refusals.js";
import {FRAME} from "./protocol.js";
import {quickReactionButtons, rememberReaction} from "./reaction_choice.js";
import {barOffer, mayOfferBar} from "./room_bars.js";
import {startReply} from "./reply.js";
import {remindOffer} from "./reminders.js";
import {forwardOffer} from "./forward.js";
import {saveOffer} from "./saved.js";
import {openThread, threadLink} from "./thread.js";
import {repliesOf} from "./thread_summary.js";
import {markUnreadFrom} from "./unread.js";
import {refreshPolls} from "./polls.js";
import {mayChangeMessages, mayWrite, session} from "./session.js";

const COPIED_MS = 1500;
const TOOLBAR_GAP_PX = 4;

// ``deletesAny``: whether this page's person may delete anyone's message (asked once it is known who);
// ``moderating``: the promise of that answer, asked once (the page shows one room); ``moreMadeFor``: what
// the page knew when it made the open "More actions" menu (``knownPowers``).
const toolbar = {node: null, item: null, refCounter: 0, deletesAny: false, moderating: null, moreMadeFor: ""};
const knownPowers = () => `${session.isAccount}/${toolbar.deletesAny}`;

const idOf = (item) => Number(item.dataset.id);

// Whether this page's person closes anyone's poll here, as it deletes anyone's message (polls.js).
export const deletesAny = () => toolbar.deletesAny;

function sendChange(frame) {
  toolbar.refCounter += 1;
  return sendFrame({...frame, ref: `${REF_PREFIX}-${Date.now().toString(36)}-${toolbar.refCounter}`});
}

export function toggleReaction(id, emoji, on) {
  sendChange({type: FRAME.REACT, id, emoji, on});
}

// --- the toolbar ----------------------------------------------------------------------

// ``key``: what names the button when the focus is given back to it (its title, unless that changes).
function button(label, title, action, key = title) {
  const node = element("button", "msg-action", label);
  node.type = "button";
  node.dataset.action = key;
  node.title = title;
  node.setAttribute("aria-label", title);
  node.addEventListener("click", (event) => {
    event.stopPropagation();
    action(event.currentTarget);
  });
  return node;
}

function buttonsFor(item) {
  const own = item.classList.contains("own");
  const deleted = isDeleted(item);
  const nick = nickOf(item);
  const buttons = [];
  const quoted = () => quotedText(currentPlainText(item), item);
  // An archived room's messages are read: no reply, reaction or change is offered. In the thread panel,
  // its box is the reply.
  const replying = !deleted && mayWrite() && !inThreadPanel(item);
  if (replying) buttons.push(button("↩", "Reply", () => startReply(idOf(item), nick, quoted())));
  if (replying && roomyRow()) buttons.push(threadButton(item, false));
  if (!deleted && mayChangeMessages()) {
    buttons.push(button("☺", "React", () => showQuickReactions(item)));
  }
  // Pinning puts a message before everyone: whoever may post here pins (docs/protocol.md).
  if (!deleted && mayChangeMessages() && mayWrite()) buttons.push(pinButton(item));
  if (mayEdit(item)) buttons.push(button("✎", "Edit", () => startEditing(item)));
  if (!deleted && mayChangeMessages() && (own || toolbar.deletesAny)) {
    buttons.push(button("🗑", "Delete", () => confirmDelete(item)));
  }
  // The rarer actions wait behind "⋯": all in one row, the toolbar covered a phone's message from its
  // author's name to its edge. Alone (a deleted message, an archived room) they fit in the row.
  const rarer = rarerButtons(item, buttons.length > 0);
  if (!buttons.length) return rarer;
  return [...buttons, button("⋯", "More actions", () => showMore(item), "more")];
}

const nickOf = (item) => item.querySelector(".meta .nick")?.textContent || "";

// Mark unread, copy the link, save it, block its author: a symbol alone in the row, with words in the menu.
function rarerButtons(item, inMenu) {
  const own = item.classList.contains("own");
  const nick = nickOf(item);
  const rare = (symbol, words, title, action, key) =>
    button(inMenu ? `${symbol} ${words}` : symbol, title, action, key);
  const buttons = [];
  if (!isDeleted(item) && mayWrite() && !inThreadPanel(item) && !roomyRow()) buttons.push(threadButton(item, inMenu));
  if (!isDeleted(item) && session.isAccount) {
    buttons.push(rare("✉", "Mark unread", "Mark unread from here", () => markUnread(item)));
  }
  buttons.push(rare("🔗", "Copy link", "Copy link", (node) => copyLink(item, node)));
  if (!isDeleted(item) && session.isAccount) buttons.push(saveOffer(item, rare, hideToolbar)); // saved.js
  if (!isDeleted(item) && session.isAccount) buttons.push(remindOffer(item, rare, hideToolbar)); // reminders.js
  if (!isDeleted(item) && session.isAccount) buttons.push(forwardOffer(item, rare, hideToolbar)); // forward.js
  // A person (not a bot, not a guest) may be blocked by anyone with an account but themselves.
  if (!own && session.isAccount && !item.dataset.bot && !item.dataset.guest && nick) {
    const blocked = isBlocked(nick);
    const act = async () => {
      await (blocked ? unblockPerson(nick) : blockPerson(nick));
      hideToolbar();
    };
    const verb = blocked ? "Unblock" : "Block";
    buttons.push(rare("🚫", `${verb} ${nick}`, `${verb} ${nick}`, act, verb));
  }
  // Who manages an open or closed room bars someone from it from a message of theirs (room_bars.js).
  if (!own && toolbar.deletesAny && nick && mayOfferBar(item)) buttons.push(barOffer(nick, rare, hideToolbar));
  if (inMenu) for (const node of buttons) node.classList.add("more-action");
  return buttons;
}

// A thread is common: in the row on a desktop; a phone's row has no room left for it (its author's
// name and time stay in sight), so it heads the menu there. Opened, it takes the message's replies.
const roomyRow = () => !matchMedia("(max-width: 720px), (pointer: coarse)").matches;
const inThreadPanel = (item) => Boolean(item.closest("#thread-panel"));

// A reply also sent to the room opens the thread it is in.
function threadButton(item, inMenu) {
  const root = Number(item.dataset.thread) || idOf(item);
  const title = item.dataset.thread || repliesOf(item) ? "Open thread" : "Start a thread";
  return button(inMenu ? `🧵 ${title}` : "🧵", title, () => openThread(root), "thread");
}

// The toolbar turns into a short menu of the rarer actions, in words; Escape goes back to the row.
function showMore(item) {
  const menu = rarerButtons(item, true);
  toolbar.moreMadeFor = knownPowers();
  toolbar.node.classList.add("more");
  toolbar.node.replaceChildren(...menu);
  toolbar.node.scrollIntoView({block: "nearest"}); // the newest message's menu hangs below the list
  menu[0].focus();
}

// The room shows as unread from this message on (its count in the rooms list) until it is opened again.
async function markUnread(item) {
  const focused = toolbar.node?.contains(document.activeElement);
  hideToolbar();
  if (focused) item.focus();
  const answer = await markUnreadFrom(idOf(item));
  announce(answer.ok ? "Marked unread from this message." : "The room could not be marked unread: try again.");
}

function showToolbar(item) {
  if (toolbar.item === item || item.classList.contains("editing")) return;
  if (reactionPickerOpen()) closeEmojiPicker();
  if (!toolbar.node) {
    toolbar.node = element("div", "msg-actions");
    toolbar.node.setAttribute("role", "toolbar");
    toolbar.node.setAttribute("aria-label", "Message actions");
    toolbar.node.addEventListener("keydown", onToolbarKey);
  }
  toolbar.node.classList.remove("more");
  toolbar.node.replaceChildren(...buttonsFor(item));
  toolbar.item = item;
  item.append(toolbar.node);
  keepToolbarInView();
}

// A message taller than the conversation, its top scrolled away (or right under the top bar): the
// toolbar comes down to the top of what shows of it, where it can be seen and pressed.
function keepToolbarInView() {
  toolbar.node.style.top = "";
  const scroller = toolbar.item.closest("#thread-scroller") || ui.scroller;
  const hidden = scroller.getBoundingClientRect().top - toolbar.node.getBoundingClientRect().top;
  if (hidden > 0) toolbar.node.style.top = `${toolbar.node.offsetTop + hidden + TOOLBAR_GAP_PX}px`;
}

function hideToolbar() {
  if (reactionPickerOpen()) closeEmojiPicker();
  toolbar.node?.remove();
  toolbar.item = null;
}

// The pin's button says what pressing it does; it turns once the room has heard of the change.
function pinButton(item) {
  const pinned = isPinned(item);
  const title = pinned ? "Unpin" : "Pin to this room";
  return button("📌", title, () => sendChange({type: FRAME.PIN, id: idOf(item), on: !pinned}), "pin");
}

// The toolbar's buttons again, the focus on ``focusName``'s.
function showButtons(item, focusName) {
  toolbar.node.classList.remove("more");
  toolbar.node.replaceChildren(...buttonsFor(item));
  if (focusName) toolbar.node.querySelector(`[data-action="${focusName}"]`)?.focus();
}

// What one may do is known once the server says the page is an account's,
// which may be after the toolbar is shown: it gains what it lacked, unless
// it is asking something (quick reactions, deleting, a link), and the focus
// stays on the button that had it (on the message, when that button went). An
// archived room, or the message deleted, takes away all but the link, whatever
// was being asked, and an edit under way.
export function refreshToolbar() {
  if (!mayChangeMessages() || !mayWrite()) cancelEditing();
  if (!toolbar.item) return;
  const asking = toolbar.node.querySelector(".quick-reaction, .msg-question, .msg-link, .more-action");
  // A menu opened in the moment before the page knew it is an account's, or its person manages the room,
  // gains what they may do (Save..., Bar...).
  const moreBeforeKnown = toolbar.node.classList.contains("more") && toolbar.moreMadeFor !== knownPowers();
  if (moreBeforeKnown && !isDeleted(toolbar.item)) return refreshMore();
  if (asking && mayChangeMessages() && !isDeleted(toolbar.item)) return;
  if (reactionPickerOpen()) closeEmojiPicker();
  const focused = toolbar.node.contains(document.activeElement) ? document.activeElement : null;
  showButtons(toolbar.item, focused?.dataset.action || "");
  if (focused && !toolbar.node.contains(document.activeElement)) toolbar.item.focus(); // its button went
}

// Made again only when it gains or loses an item (one under way, a link copied, stays as it is). The
// focus stays on the item the person had moved it to; on the first item if it was there, as a menu
// opens, or if its item went.
function refreshMore() {
  const menu = rarerButtons(toolbar.item, true);
  toolbar.moreMadeFor = knownPowers();
  const actions = (nodes) => nodes.map((node) => node.dataset.action).join("\n");
  if (actions(menu) === actions([...toolbar.node.children])) return;
  const active = document.activeElement;
  const focused = toolbar.node.contains(active) ? active.dataset.action : null;
  const moved = active !== toolbar.node.firstElementChild;
  toolbar.node.replaceChildren(...menu);
  if (focused === null) return;
  const kept = moved ? menu.find((node) => node.dataset.action === focused) : null;
  (kept || menu[0]).focus();
}

// Escape goes back a step: from the quick reactions or the menu to the buttons, from them to the message.
function onToolbarKey(event) {
  const item = toolbar.item;
  if (event.key !== "Escape" || !item) return;
  event.stopPropagation();
  if (choosingReaction()) showButtons(item, "React");
  else if (toolbar.node.classList.contains("more")) showButtons(item, "more");
  else item.focus();
}

// --- reacting ---------------------------------------------------------------------------

// The picker opened from the quick row sets its button's aria-expanded while it is open.
const reactionPickerOpen = () => Boolean(toolbar.node?.querySelector('.quick-reaction[aria-expanded="true"]'));

// The quick row stays when the pointer slips out of the list.
const choosingReaction = () => Boolean(toolbar.node?.querySelector(".quick-reaction"));

// The toolbar turns into a row of quick reactions and a button for any other emoji.
function showQuickReactions(item) {
  const react = (emoji) => {
    toggleReaction(idOf(item), emoji, !hasReacted(item, emoji));
    rememberReaction(emoji);
    showButtons(item, "React");
  };
  // Placed by the toolbar, which sits on the message: the picker leaves both in view.
  const more = (anchor) => openEmojiPicker(anchor, react, {label: "React with an emoji", near: toolbar.node});
  const row = quickReactionButtons({pick: react, more, pressed: (emoji) => hasReacted(item, emoji)});
  toolbar.node.replaceChildren(...row);
  row[0].focus();
}

// --- delete, copy (editing: message_editing.js) ----------------------------------------

// Asked in the toolbar itself: deleting cannot be undone.
function confirmDelete(item) {
  const question = element("span", "msg-question", "Delete for everyone?");
  // The keyboard stays on the message, which turns "message deleted" (the toolbar follows: refreshToolbar).
  const yes = button("Delete", "Delete for everyone", () => {
    sendChange({type: FRAME.DELETE, id: idOf(item)});
    showButtons(item, "");
    item.focus();
  });
  yes.classList.add("danger");
  const no = button("Keep", "Keep the message", () => showButtons(item, "Delete"));
  toolbar.node.replaceChildren(question, yes, no);
  no.focus();
}

async function copyLink(item, node) {
  const link = inThreadPanel(item) ? threadLink(idOf(item)) : permalink(idOf(item));
  try {
    await navigator.clipboard.writeText(link);
  } catch {
    // No clipboard here: the link, selected, for the keyboard to copy.
    const field = element("input", "msg-link");
    field.readOnly = true;
    field.value = link;
    field.setAttribute("aria-label", "Link to the message");
    toolbar.node.replaceChildren(field);
    return field.select();
  }
  const label = node.textContent;
  node.textContent = label === "🔗" ? "✓" : "✓ Link copied";
  node.title = "Link copied";
  announce("Link copied"); // the tick is not for a screen reader's ears
  setTimeout(() => Object.assign(node, {textContent: label, title: "Copy link"}), COPIED_MS);
}

// --- wiring -------------------------------------------------------------------------------

// Whether this page's person deletes anyone's message here: an administrator of the server (signed in
// with a session or a token), or the room's owner, as its member list says (a direct conversation has
// none). Not before the page knows it speaks for an account: a guess made before would stick.
async function learnModerating() {
  if (await isAdministrator()) return true;
  const {membership} = await ownMembership(session.room);
  return membership?.role === "owner";
}

// Those who may are offered "Delete" on everyone's messages.
export async function learnAdministrator() {
  if (!session.isAccount) return;
  toolbar.moderating ??= learnModerating();
  toolbar.deletesAny = await toolbar.moderating;
  refreshToolbar();
  refreshPolls();
}

// Up with the box empty and nothing else taking the key (the suggestions above the box take it first):
// one's last message of ``list`` is edited.
function onBoxKey(event, list) {
  const box = event.currentTarget;
  const plain = !(event.shiftKey || event.altKey || event.ctrlKey || event.metaKey || event.isComposing);
  if (event.key !== "ArrowUp" || !plain || event.defaultPrevented || box.value !== "") return;
  if (editLastOwn(list, box)) event.preventDefault();
}

export function wireMessageActions() {
  configureEditing({send: sendChange, before: hideToolbar});
  const threadList = document.getElementById("thread-messages");
  ui.text.addEventListener("keydown", (event) => onBoxKey(event, ui.list));
  document.getElementById("thread-text").addEventListener("keydown", (event) => onBoxKey(event, threadList));
  // The timeline's messages and the thread panel's offer the one toolbar alike.
  for (const list of [ui.list, threadList]) wirePointer(list);
  wireMessageFocus(showToolbar, () => {
    if (!reactionPickerOpen() && !toolbar.item?.matches(":hover")) hideToolbar();
  });
}

function wirePointer(list) {
  list.addEventListener("mouseover", (event) => {
    const item = event.target.closest?.(".msg");
    if (item && !reactionPickerOpen()) showToolbar(item);
  });
  list.addEventListener("mouseleave", () => {
    if (!choosingReaction()) hideToolbar();
  });
  onLongPress(list, () => {
    const item = list.querySelector(".msg:active, .msg.touched");
    if (item) showToolbar(item);
  });
  list.addEventListener(
    "touchstart",
    (event) => {
      for (const old of list.querySelectorAll(".msg.touched")) old.classList.remove("touched");
      event.target.closest?.(".msg")?.classList.add("touched");
    },
    {passive: true},
  );
}

// Drafts: what was typed in the message box and not sent, kept per room in
// this browser's localStorage, so that opening another room (a page load)
// and coming back finds it again, with the message it answers. Each person
// has their own (an account by its name, a guest by nick): two people on one
// browser never see each other's, and signing out forgets them. Not the
// outbox (static/js/outbox.js): that holds messages already sent, waiting to
// go, in this tab alone; a draft was never sent, and goes once it is.

import {ui} from "./dom.js";
import {MAX_MESSAGE_CHARS, nickKey} from "./protocol.js";
import {replyDraft, startReply} from "./reply.js";
import {session} from "./session.js";

const STORAGE_PREFIX = "chatroom.drafts.";
// Bounds, so that drafts never fill the browser's storage: the oldest go first.
const MAX_ROOMS = 30;
const MAX_CHARS = 2 * MAX_MESSAGE_CHARS; // a draft may be over the limit while it is being cut down

const drafts = {
  restored: false,
  typed: () => ui.text.value, // the box's text less a message on its way
  shown: () => {}, // the box was filled from a draft (it fits its height)
  changed: () => {}, // another room's draft came or went (the rooms list marks them)
};

// Whose drafts: an account's or a guest's, by name; "" until known.
function owner() {
  if (session.account) return `account:${nickKey(session.account.name)}`;
  if (!session.myNick) return "";
  return `${session.myGuest ? "guest" : "account"}:${nickKey(session.myNick)}`;
}

function load(who) {
  try {
    const kept = JSON.parse(localStorage.getItem(STORAGE_PREFIX + who) || "{}");
    return kept && typeof kept === "object" && !Array.isArray(kept) ? kept : {};
  } catch {
    return {};
  }
}

function store(who, all) {
  const newest = Object.entries(all)
    .sort(([, a], [, b]) => b.at - a.at)
    .slice(0, MAX_ROOMS);
  try {
    if (newest.length) localStorage.setItem(STORAGE_PREFIX + who, JSON.stringify(Object.fromEntries(newest)));
    else localStorage.removeItem(STORAGE_PREFIX + who);
  } catch {
    // Storage full or switched off: the draft lives as long as the page.
  }
}

const isDraft = (draft) => Boolean(draft && typeof draft.text === "string" && draft.text.trim());

// Whether ``room`` has a draft of this page's person.
export function hasDraft(room) {
  const who = owner();
  return who !== "" && isDraft(load(who)[room]);
}

// The box (and the reply) as they are now become this room's draft; an empty box has none.
export function keepDraft() {
  const who = owner();
  if (!who || !drafts.restored) return;
  const all = load(who);
  const text = drafts.typed();
  if (text.trim()) all[session.room] = {text: text.slice(0, MAX_CHARS), reply: replyDraft(), at: Date.now()};
  else if (session.room in all) delete all[session.room];
  else return;
  store(who, all);
}

// Once it is known who the page is: this room's draft back in the box, unless something was typed first.
function restore() {
  if (drafts.restored || !owner()) return;
  drafts.restored = true;
  const draft = load(owner())[session.room];
  if (!isDraft(draft) || ui.text.value) return keepDraft();
  ui.text.value = draft.text;
  ui.text.selectionStart = ui.text.selectionEnd = draft.text.length;
  const reply = draft.reply;
  if (reply && Number.isInteger(reply.id) && typeof reply.nick === "string" && typeof reply.text === "string") {
    startReply(reply.id, reply.nick, reply.text, {focus: false});
  }
  drafts.shown();
}

// The welcome says who a guest or a token's account is.
export const onWelcome = restore;

// Signing out: this person's drafts go with them.
export function forgetDrafts() {
  const who = owner();
  drafts.restored = false; // nor is the box kept as the page goes
  if (!who) return;
  try {
    localStorage.removeItem(STORAGE_PREFIX + who);
  } catch {
    // Nothing was kept.
  }
}

// ``typed()``: the box's text that is not on its way; ``shown()``: the box was filled;
// ``changed()``: drafts of other rooms changed (in another tab).
export function wireDrafts(given) {
  Object.assign(drafts, given);
  ui.text.addEventListener("input", keepDraft);
  // A reply started or given up is no input: it is kept as the page goes or is put away.
  window.addEventListener("pagehide", keepDraft);
  document.addEventListener("visibilitychange", () => document.hidden && keepDraft());
  window.addEventListener("storage", (event) => event.key?.startsWith(STORAGE_PREFIX) && drafts.changed());
  restore(); // an account signed in with its cookie is known at once
}

// The "Threads" view (docs/protocol.md, "Followed threads"): an entry at the
// top of the side panel with a badge (how many followed threads have replies
// one has not read; a mention among them stands out), opening the list of the
// threads one follows, those with unread replies first, then by latest reply,
// each with its room, the root's author and text (cut short), the latest
// replies' authors and how many are new; pressing one opens its room and its
// thread. A reply in a followed thread (a thread_reply frame) redraws them and,
// the page in the background, pops up a notification. User text goes in as
// text nodes only.

import {apiCall, failure, roomPath, roomUrl} from "./api.js";
import {isBlocked} from "./blocks.js";
import {element, nickElement} from "./dom.js";
import {fileLabel, fileOf} from "./file_view.js";
import {plainText} from "./message_format.js";
import {roomEntry, roomLabel} from "./rooms.js";
import {session} from "./session.js";
import {chime} from "./sound.js";
import {ownPaused} from "./status.js";
import {openThread} from "./thread.js";
import {notifyLevel} from "./unread.js";

const $ = (id) => document.getElementById(id);
const PAGE = 30;
const SNIPPET_CHARS = 120;
const SHOWN_CAP = 99;
const REFRESH_DELAY_MS = 300;
const NOTIFY_TEXT_CHARS = 140;

// ``asked``: the latest request's number, whose answer alone is shown.
const state = {next: null, asked: 0, timer: 0};

const cut = (text) => {
  const chars = [...text];
  return chars.length <= SNIPPET_CHARS ? text : chars.slice(0, SNIPPET_CHARS - 1).join("") + "…";
};

function rootText(message) {
  if (message.deleted === true) return "This message was deleted.";
  const file = fileOf(message);
  return cut(plainText(message.message, message.fmt) || (file ? fileLabel(file.name) : ""));
}

// --- the badge -------------------------------------------------------------------------

function showBadge(unread, mentions) {
  const badge = $("threads-badge");
  badge.hidden = !unread;
  badge.textContent = unread > SHOWN_CAP ? `${SHOWN_CAP}+` : String(unread);
  badge.className = mentions ? "badge mention" : "badge unread";
  const said = mentions ? `, ${mentions} mentioning you` : "";
  $("threads-open").setAttribute("aria-label", unread ? `Threads, ${unread} with new replies${said}` : "Threads");
}

// The entry and its badge (accounts only), and the list again if it is open: a moment after the
// last of several reasons, as one request.
export function refreshThreads() {
  $("threads-open").hidden = !session.isAccount;
  if (!session.isAccount) return;
  clearTimeout(state.timer);
  state.timer = setTimeout(() => showPage(false), REFRESH_DELAY_MS);
}

// --- the list ----------------------------------------------------------------------------

function opened(thread) {
  $("threads-dialog").close();
  if (thread.room === session.room) openThread(thread.root);
}

function threadLink(thread, entry) {
  const link = element("a", "search-result thread-entry");
  link.href = `${roomUrl(thread.room)}#t-${thread.root}`;
  const where = element("span", "search-where");
  where.append(element("bdi", "search-room", roomLabel(entry)), nickElement(thread.message.nick));
  const news = element("span", "thread-news");
  if (thread.unread) {
    const count = element("span", thread.mention ? "badge mention" : "badge unread", String(thread.unread));
    news.append(count, document.createTextNode(thread.unread === 1 ? " new reply" : " new replies"));
  }
  const authors = (thread.authors || []).filter((nick) => typeof nick === "string" && !isBlocked(nick));
  const who = element("span", "thread-authors");
  authors.forEach((nick, index) => who.append(index ? ", " : "", nickElement(nick)));
  if (authors.length) who.append(" replied");
  link.append(where, element("span", "search-snippet", rootText(thread.message)), news, who);
  link.addEventListener("click", (event) => {
    if (thread.room !== session.room) return; // another room: the link opens it, and the thread
    event.preventDefault();
    opened(thread);
  });
  return link;
}

async function entriesOf(threads) {
  const rooms = [...new Set(threads.map((thread) => thread.room))];
  const entries = await Promise.all(rooms.map(async (room) => (await roomEntry(room)) || {room}));
  return new Map(entries.map((entry) => [entry.room, entry]));
}

const valid = (thread) =>
  thread && typeof thread.room === "string" && typeof thread.root === "number" && thread.message;

// The first page again (``append`` false), or the next one after those shown.
async function showPage(append) {
  const asked = ++state.asked;
  const open = $("threads-dialog").open;
  const query = append && state.next ? state.next.slice(state.next.indexOf("?")) : `?limit=${open ? PAGE : 1}`;
  const answer = await apiCall("GET", `/api/me/threads${query}`);
  const threads = answer.ok && Array.isArray(answer.body.threads) ? answer.body.threads.filter(valid) : [];
  const entries = open ? await entriesOf(threads) : new Map();
  if (asked !== state.asked) return; // a later answer is on its way
  if (answer.ok) showBadge(Number(answer.body.unread) || 0, Number(answer.body.mentions) || 0);
  if (!open) return;
  $("threads-error").textContent = answer.ok ? "" : failure(answer);
  if (!answer.ok) return;
  const items = threads.map((thread) => {
    const item = element("li", "thread-item");
    item.append(threadLink(thread, entries.get(thread.room)));
    return item;
  });
  if (append) $("threads-list").append(...items);
  else $("threads-list").replaceChildren(...items);
  state.next = answer.body.next || null;
  $("threads-more").hidden = !state.next;
  $("threads-note").textContent = $("threads-list").children.length
    ? ""
    : "No threads yet. You follow a thread when you start one that gets a reply, reply in one, or are mentioned in one.";
}

export function openThreads() {
  $("threads-dialog").showModal();
  showPage(false);
}

// --- replies in followed threads ----------------------------------------------------------

export async function onThreadReply(frame) {
  if (typeof frame.room !== "string" || typeof frame.root !== "number" || typeof frame.id !== "number") return;
  refreshThreads();
  if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
  if (ownPaused() || notifyLevel(frame.room) === "muted") return; // "do not disturb", a muted room
  const path = `${roomPath(frame.room)}/messages?thread=${frame.root}&after=${frame.id - 1}&before=${frame.id + 1}`;
  const answer = await apiCall("GET", path);
  const reply = answer.ok && Array.isArray(answer.body?.messages) ? answer.body.messages.at(-1) : null;
  if (!reply || reply.id !== frame.id || typeof reply.nick !== "string" || isBlocked(reply.nick)) return;
  const where = ` in #${frame.room}`;
  const title = frame.mention ? `${reply.nick} mentioned you in a thread${where}` : `${reply.nick} replied in a thread${where}`;
  const file = fileOf(reply);
  const body = (!reply.message && file ? fileLabel(file.name) : String(reply.message)).slice(0, NOTIFY_TEXT_CHARS);
  // One notification per thread: another tab of the same person replaces it rather than adding one.
  const notice = new Notification(title, {body, tag: `chatroom:thread:${frame.room}:${frame.root}`});
  chime();
  notice.addEventListener("click", () => {
    window.focus();
    notice.close();
    if (frame.room === session.room) openThread(frame.root, frame.id);
    else location.href = `${roomUrl(frame.room)}#t-${frame.root}-${frame.id}`;
  });
}

export function wireThreadsView() {
  const dialog = $("threads-dialog");
  $("threads-open").addEventListener("click", openThreads);
  $("threads-more").addEventListener("click", () => showPage(true));
  for (const button of dialog.querySelectorAll("[data-close]")) button.addEventListener("click", () => dialog.close());
}

// The line under a thread's root: "3 replies · last reply 10:02", a button that opens the thread.
// The server sums a root's replies up when it reads it (docs/protocol.md, "Threads"); live, each
// reply newer than the summary's last counts onto it, so a reply seen twice (history, then live)
// counts once.

import {element} from "./dom.js";

const summaries = new WeakMap(); // a root's element -> {count, last_id, last_at}

const clock = new Intl.DateTimeFormat(undefined, {hour: "2-digit", minute: "2-digit"});
const day = new Intl.DateTimeFormat(undefined, {weekday: "short", day: "numeric", month: "short"});

function when(ts) {
  const at = new Date(ts);
  return new Date().toDateString() === at.toDateString() ? clock.format(at) : `${day.format(at)}, ${clock.format(at)}`;
}

const validSummary = (r) =>
  r && typeof r === "object" && [r.count, r.last_id, r.last_at].every((n) => typeof n === "number") && r.count > 0;

export const repliesOf = (item) => summaries.get(item) || null;

// A root's summary as the server read it (none: the line is not shown).
export function showSummary(item, replies) {
  if (!validSummary(replies)) return;
  summaries.set(item, {count: replies.count, last_id: replies.last_id, last_at: replies.last_at});
  render(item);
}

// A reply of ``item``'s thread (a user frame): counted unless the summary holds it already.
export function countReply(item, frame) {
  const known = summaries.get(item);
  if (known && frame.id <= known.last_id) return;
  const count = (known ? known.count : 0) + (frame.deleted === true ? 0 : 1);
  if (!count) return;
  summaries.set(item, {count, last_id: frame.id, last_at: frame.ts});
  render(item);
}

// A thread reply also sent to the room, in the timeline: a line under it opens its thread.
export function showSentToRoom(item, frame) {
  item.dataset.thread = String(frame.thread);
  const line = element("button", "thread-summary thread-from");
  line.type = "button";
  line.dataset.root = String(frame.thread);
  line.append(element("span", "thread-icon", "🧵"), element("span", "thread-count", "replied in a thread"));
  line.firstElementChild.setAttribute("aria-hidden", "true");
  line.setAttribute("aria-label", "Replied in a thread: open the thread");
  item.append(line);
}

// A reply of ``item``'s thread was deleted: one fewer (its last reply's time stays until the next read).
export function uncountReply(item) {
  const known = summaries.get(item);
  if (!known) return;
  known.count -= 1;
  if (known.count > 0) return render(item);
  summaries.delete(item);
  item.querySelector(":scope > .thread-summary")?.remove();
}

function render(item) {
  const {count, last_at: lastAt} = summaries.get(item);
  let line = item.querySelector(":scope > .thread-summary");
  if (!line) {
    line = element("button", "thread-summary");
    line.type = "button";
    line.dataset.root = item.dataset.id;
    item.append(line);
  }
  const replies = count === 1 ? "1 reply" : `${count} replies`;
  line.replaceChildren(
    element("span", "thread-icon", "🧵"),
    element("span", "thread-count", replies),
    element("span", "thread-last", ` · last reply ${when(lastAt)}`),
  );
  line.firstElementChild.setAttribute("aria-hidden", "true");
  line.setAttribute("aria-label", `${replies}, last reply at ${when(lastAt)}: open the thread`);
}

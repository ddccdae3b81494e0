// Following the open thread: "Follow" / "Unfollow" in the thread panel, and
// reading it. While the panel shows a thread (the page visible), what it shows
// is marked read (PUT /api/me/threads/{room}/{root}/read), which every tab
// and device of the person hears of (a thread frame), as a room's read mark.

import {apiCall, failure} from "./api.js";
import {announce} from "./dom.js";
import {session} from "./session.js";
import {configureThreadPanel, newestShown, openRoot} from "./thread.js";
import {refreshThreads} from "./threads_view.js";

const $ = (id) => document.getElementById(id);

const state = {root: 0, following: false, readId: 0, marking: 0};

const threadPath = (root, what) => `/api/me/threads/${encodeURIComponent(session.room)}/${Number(root)}/${what}`;

function showFollowing() {
  const button = $("thread-follow");
  button.hidden = !session.isAccount || !state.root;
  button.textContent = state.following ? "Unfollow" : "Follow";
  button.setAttribute("aria-pressed", String(state.following));
  button.title = state.following
    ? "Stop following: its replies leave your Threads and stop notifying you"
    : "Follow: its replies show in your Threads and notify you";
}

function take(body) {
  if (!body || body.room !== session.room || body.root !== state.root) return;
  state.following = body.following === true;
  state.readId = Math.max(state.readId, Number(body.read_id) || 0);
  showFollowing();
}

// The panel shows ``root`` up to ``newest``: marked read when the page is seen.
async function shown(root, newest) {
  if (root !== state.root) Object.assign(state, {root, following: false, readId: 0});
  showFollowing();
  if (!session.isAccount || document.hidden || newest <= state.readId || state.marking >= newest) return;
  state.marking = newest;
  const answer = await apiCall("PUT", threadPath(root, "read"), {id: newest});
  if (answer.ok) take(answer.body);
  state.marking = 0;
}

async function toggle() {
  const root = state.root;
  const answer = await apiCall(state.following ? "DELETE" : "PUT", threadPath(root, "follow"));
  if (!answer.ok) return announce(`Not changed: ${failure(answer)}`);
  take(answer.body);
  announce(state.following ? "Following the thread." : "No longer following the thread.");
  refreshThreads();
}

// Another tab or device of the person followed, unfollowed or read a thread (this one's own come back too).
export function onThreadFrame(frame) {
  if (frame.room === session.room && frame.root === state.root) {
    state.following = frame.following === true;
    state.readId = Math.max(state.readId, Number(frame.read_id) || 0);
    showFollowing();
  }
  refreshThreads();
}

export function wireThreadFollow() {
  configureThreadPanel({
    shown,
    closed: () => {
      state.root = 0;
      showFollowing();
    },
  });
  $("thread-follow").addEventListener("click", toggle);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && openRoot()) shown(openRoot(), newestShown());
  });
}

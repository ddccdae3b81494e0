// Permalinks: every message's absolute link (``/?room=ROOM#m-ID``), and
// showing a message by id, paging older history in until it is there (a
// link opened, a reply's quote clicked).

import {session} from "./session.js";

const MAX_PAGES = 40; // at 50 messages a page: the last 2000 messages
const HIGHLIGHT_MS = 2500;

const hooks = {
  itemById: (id) => null,
  oldestId: () => 0,
  hasEarlier: () => false,
  requestEarlier: () => {},
  notFound: (id) => {},
};

const jump = {target: 0, pages: 0};

export function configurePermalinks(given) {
  Object.assign(hooks, given);
}

export function permalink(id) {
  const url = new URL("/", location.origin);
  url.searchParams.set("room", session.room);
  url.hash = `m-${id}`;
  return url.href;
}

// The message shown takes the focus: the keyboard, and a screen reader, go on from it (its actions a Tab away).
function show(item) {
  item.scrollIntoView({block: "center"});
  item.focus({preventScroll: true});
  item.classList.add("highlight");
  setTimeout(() => item.classList.remove("highlight"), HIGHLIGHT_MS);
}

// Shows message ``id``, loading older pages while it is older than what the page holds.
export function jumpTo(id) {
  jump.target = id;
  jump.pages = 0;
  carryOn();
}

function carryOn() {
  const id = jump.target;
  if (!id) return;
  const item = hooks.itemById(id);
  if (item) {
    jump.target = 0;
    return show(item);
  }
  const older = hooks.oldestId() === 0 || id < hooks.oldestId();
  if (older && hooks.hasEarlier() && jump.pages < MAX_PAGES) {
    jump.pages += 1;
    return hooks.requestEarlier();
  }
  jump.target = 0;
  hooks.notFound(id);
}

// A page of older history came: the message may be there now.
export function onPage() {
  if (jump.target) carryOn();
}

// The page was opened with a message's link: show it once the history is in.
export function jumpFromAddress() {
  const match = /^#m-(\d+)$/.exec(location.hash);
  if (match) jumpTo(Number(match[1]));
}

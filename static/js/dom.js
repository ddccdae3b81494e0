// The page's elements, and the only ways user text reaches them: text nodes
// (textContent), never markup (a message's formatting: static/js/message_format.js).

const $ = (id) => document.getElementById(id);

export const ui = {
  roomTitle: $("room-title"),
  starRoom: $("star-room"),
  roomTopic: $("room-topic"),
  roomArchived: $("room-archived"),
  roomAnnounce: $("room-announce"),
  roomMissing: $("room-missing"),
  roomMissingTitle: $("room-missing-title"),
  roomMissingHelp: $("room-missing-help"),
  roomMissingLobby: $("room-missing-lobby"),
  roomMissingRooms: $("room-missing-rooms"),
  directPresence: $("direct-presence"),
  status: $("status"),
  statusText: $("status-text"),
  retry: $("retry"),
  banner: $("connection-banner"),
  bannerText: $("connection-detail"),
  signInAgain: $("sign-in-again"),
  me: $("me"),
  meNick: $("me-nick"),
  meAvatar: $("me-avatar"),
  signInLink: $("sign-in-link"),
  drawerToggle: $("drawer-toggle"),
  onlineCount: $("online-count"),
  onlineCountSide: $("online-count-side"),
  scroller: $("scroller"),
  loadEarlier: $("load-earlier"),
  historyStart: $("history-start"),
  list: $("messages"),
  empty: $("empty"),
  pill: $("new-pill"),
  sidebar: $("sidebar"),
  sidebarClose: $("sidebar-close"),
  scrim: $("scrim"),
  people: $("people"),
  users: $("users"),
  usersLabel: $("users-label"),
  rooms: $("rooms"),
  roomSearch: $("room-search"),
  roomsNote: $("rooms-note"),
  notifyOn: $("notify-on"),
  unreadElsewhere: $("unread-elsewhere"),
  roomForm: $("room-form"),
  roomName: $("room-name"),
  roomError: $("room-error"),
  roomActions: $("room-actions"),
  roomSettings: $("room-settings"),
  typing: $("typing"),
  sendError: $("send-error"),
  outbox: $("outbox"),
  composer: $("composer"),
  text: $("text"),
  send: $("send"),
  attach: $("attach"),
  composerNote: $("composer-note"),
  emojiOpen: $("emoji-open"),
  scheduleOpen: $("schedule-open"),
  completionList: $("completion-list"),
  announcer: $("announcer"),
  dialog: $("join-dialog"),
  joinForm: $("join-form"),
  joinError: $("join-error"),
  nickField: $("nick-field"),
  nick: $("nick"),
  tokenField: $("token-field"),
  token: $("token"),
  joinCancel: $("join-cancel"),
};

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export const textNode = (text) => document.createTextNode(text);

const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform);

// A shortcut's modifier held alone: ⌘ on a Mac (where Ctrl+K in a text field deletes to the end of the
// line), Ctrl elsewhere.
export const commandKey = (event) => (IS_MAC ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey);

// Each <kbd> with a ``data-mac`` says its keys the Mac's way there (⌘ for Ctrl, ⌥ for Alt).
export function sayKeysForThisComputer() {
  if (!IS_MAC) return;
  for (const key of document.querySelectorAll("kbd[data-mac]")) key.textContent = key.dataset.mac;
}

const ANNOUNCED_KEPT = 3;

// Said to a screen reader (the polite live region): a line of its own each time, so that the same
// words twice (a second "ok", a second copied link) are heard twice, which replacing the text is not.
export function announce(text) {
  ui.announcer.append(element("p", "", text));
  while (ui.announcer.childElementCount > ANNOUNCED_KEPT) ui.announcer.firstElementChild.remove();
}

// A button that looks like a link and does ``onClick``.
export function linkButton(label, onClick) {
  const node = element("button", "link-button", label);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

// A name, isolated so that right-to-left names do not reorder what follows.
export const nickElement = (nick) => element("bdi", "nick", nick);

const clockFormat = new Intl.DateTimeFormat(undefined, {hour: "2-digit", minute: "2-digit"});
const dayFormat = new Intl.DateTimeFormat(undefined, {weekday: "short", day: "numeric", month: "short"});
const fullFormat = new Intl.DateTimeFormat(undefined, {dateStyle: "full", timeStyle: "medium"});

// The time of day (with the day when not today); the full date in its tooltip.
export function timeElement(ts) {
  const when = new Date(ts);
  const today = new Date().toDateString() === when.toDateString();
  const label = today ? clockFormat.format(when) : `${dayFormat.format(when)}, ${clockFormat.format(when)}`;
  const node = element("time", "time", label);
  node.dateTime = when.toISOString();
  node.title = fullFormat.format(when);
  return node;
}

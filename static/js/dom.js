// The page's elements, and the only ways user text reaches them: text nodes
// (textContent), never markup; links built with DOM APIs, only for http(s).

const $ = (id) => document.getElementById(id);

export const ui = {
  roomTitle: $("room-title"),
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
  users: $("users"),
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
  composer: $("composer"),
  text: $("text"),
  send: $("send"),
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

// A button that looks like a link and does ``onClick``.
export function linkButton(label, onClick) {
  const node = element("button", "link-button", label);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

// A name, isolated so that right-to-left names do not reorder what follows.
export const nickElement = (nick) => element("bdi", "nick", nick);

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING_PUNCTUATION = /[)\].,!?:;'"}]+$/;

// A clickable link, or null: only http and https, opened without an opener.
function safeLink(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const link = element("a", "", raw);
  link.href = url.href;
  link.rel = "noopener noreferrer";
  link.target = "_blank";
  return link;
}

// ``text`` as text nodes, with its http(s) addresses as links.
export function appendLinkified(parent, text) {
  let done = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    const raw = match[0].replace(TRAILING_PUNCTUATION, "");
    if (!raw) continue;
    parent.append(textNode(text.slice(done, match.index)));
    parent.append(safeLink(raw) || textNode(raw));
    done = match.index + raw.length;
  }
  parent.append(textNode(text.slice(done)));
}

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

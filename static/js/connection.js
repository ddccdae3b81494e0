// The WebSocket: connecting with the nick or token, reconnecting with backoff
// and ``since`` (the last id seen), noticing a new epoch, and the status the
// header shows. Frames go to the handlers registered with ``on``.

import {announce, ui} from "./dom.js";
import {CLOSE, ERROR_FOR_CLOSE, FRAME} from "./protocol.js";
import {guestKey, isOwn, session} from "./session.js";

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30000;

const link = {
  socket: null,
  waiting: "", // why the page waits to connect again, when it is not a lost connection
  epoch: null,
  sinceSent: 0,
  attempt: 0,
  retryAt: 0,
  retryTimer: 0,
  countdownTimer: 0,
  said: "", // the reason last said to a screen reader, why the page cannot go on by itself
  lost: false, // a screen reader was told the page is offline, and not yet that it is back
  sayTimer: 0,
};

const handlers = new Map();
const hooks = {
  since: () => 0, // the newest id the page holds
  closed: () => {}, // the socket went, for whatever reason
  mustAct: () => {}, // closed with a code that reconnecting cannot help (its error code)
};

// ``fn(frame, ...)`` for every frame of ``type``, in the order registered.
// Welcome handlers also get ``{epochChanged, replay}``.
export function on(type, fn) {
  if (!handlers.has(type)) handlers.set(type, []);
  handlers.get(type).push(fn);
}

export function configure(given) {
  Object.assign(hooks, given);
}

// The header says it in a word; the banner under it says what is going on.
export function setStatus(kind, word, detail) {
  ui.status.dataset.state = kind;
  ui.statusText.textContent = word;
  ui.bannerText.textContent = detail || "";
  ui.banner.hidden = !detail;
  ui.banner.dataset.state = kind;
  ui.retry.hidden = kind !== "offline" || session.mustAct;
  if (kind === "online") link.said = "";
  if (session.mustAct && detail && link.epoch !== null) sayWhyLater();
}

// The status says "Offline"; why, when reconnecting cannot help, is said too: once, after what
// one event set (a refusal, then its close, may set it more than once), never the countdown. A page
// never welcomed (link.epoch) says why where it asks: the nick dialog, the room's own note.
function sayWhyLater() {
  clearTimeout(link.sayTimer);
  link.sayTimer = setTimeout(() => {
    const why = ui.bannerText.textContent;
    if (!session.mustAct || !why || why === link.said) return;
    link.said = why;
    announce(why);
  }, 0);
}

// Whether a welcome ever came: until then the page says why where it asks (see sayWhyLater).
export function welcomedOnce() {
  return link.epoch !== null;
}

export function socketOpen() {
  return session.connected && link.socket !== null && link.socket.readyState === WebSocket.OPEN;
}

export function sendFrame(frame) {
  if (!socketOpen()) return false;
  link.socket.send(JSON.stringify(frame));
  return true;
}

function socketUrl() {
  const params = new URLSearchParams({room: session.room});
  if (session.jwtRequired) params.set("token", session.token);
  else if (session.nick) params.set("nick", session.nick);
  // A guest's connections share its nick: one lost without the server noticing yet does not hold it
  // from the next (docs/protocol.md, "Who connects").
  if (!session.account && !session.jwtRequired) params.set("guest_key", guestKey());
  link.sinceSent = hooks.since();
  if (link.sinceSent) params.set("since", String(link.sinceSent));
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws?${params}`;
}

export function connect() {
  clearTimeout(link.retryTimer);
  clearInterval(link.countdownTimer);
  dropSocket();
  session.mustAct = false;
  if (link.attempt) setStatus("connecting", "Reconnecting…", "Reconnecting…");
  else setStatus("connecting", "Connecting…");
  const socket = new WebSocket(socketUrl());
  link.socket = socket;
  socket.addEventListener("message", (event) => {
    if (socket === link.socket) receive(event.data);
  });
  socket.addEventListener("close", (event) => {
    if (socket === link.socket) onClose(event);
  });
}

// The next connection starts a fresh backoff (the person asked, or the network came back).
export function resetBackoff() {
  link.attempt = 0;
}

export function retryNow() {
  if (!link.socket && !session.mustAct) connect();
}

function dropSocket() {
  const old = link.socket;
  link.socket = null;
  session.connected = false;
  if (old && old.readyState <= WebSocket.OPEN) old.close(CLOSE.NORMAL, "leaving");
}

function receive(data) {
  let frame;
  try {
    frame = JSON.parse(data);
  } catch {
    return; // not ours to show: a frame we cannot read is skipped
  }
  if (!frame || typeof frame !== "object") return;
  const extra = frame.type === FRAME.WELCOME ? [welcomed(frame)] : [];
  for (const handle of handlers.get(frame.type) || []) handle(frame, ...extra);
}

// A new epoch means the room's ids started over: what the page holds (and
// its since=) mean nothing any more, which the welcome handlers are told.
function welcomed(frame) {
  const epochChanged = link.epoch !== null && frame.epoch !== link.epoch;
  link.epoch = frame.epoch;
  session.myNick = frame.nick;
  session.myGuest = Array.isArray(frame.guests) && frame.guests.some((n) => isOwn(n));
  session.connected = true;
  session.mustAct = false;
  link.attempt = 0;
  link.waiting = "";
  setStatus("online", "Connected");
  if (link.lost) announce("Connected again.");
  link.lost = false;
  return {epochChanged, replay: link.sinceSent > 0 && !epochChanged};
}

function onClose(event) {
  link.socket = null;
  link.waiting = "";
  session.connected = false;
  hooks.closed();
  const code = ERROR_FOR_CLOSE[event.code];
  if (code) {
    session.mustAct = true;
    const why = {
      [CLOSE.UNAUTHORIZED]: "a valid token is needed",
      [CLOSE.FORBIDDEN]: session.barred ? "you were barred from this room" : "you are no longer a member of this room",
      [CLOSE.NOT_FOUND]: "this room doesn't exist, or you are not a member of it",
    }[event.code] || "pick another name";
    setStatus("offline", "Offline", `Not connected: ${why}.`);
    hooks.mustAct(code);
    return;
  }
  if (event.code === CLOSE.RECONNECT) return reconnectSoon();
  if (!session.mustAct) scheduleReconnect();
}

// The server asked the page to come back (with a new name, or this browser's new
// session): nothing was lost. A moment's wait lets the answer that set a new
// session cookie land first.
function reconnectSoon() {
  setStatus("connecting", "Reconnecting…");
  link.retryTimer = setTimeout(connect, BACKOFF_FIRST_MS);
}

// Refused for now, not for good (an account's name held by someone else in the room):
// try again with the same backoff, saying ``why`` instead of "connection lost".
export function retryLater(why) {
  session.mustAct = false;
  link.waiting = why;
  scheduleReconnect();
}

// Exponential backoff with jitter, so a restarted server is not stampeded.
function scheduleReconnect() {
  // The status word changes at every try, which a reader is not told (it is not a live region): they
  // hear once that the page is offline, and once that it is back.
  if (!link.lost) announce("Offline: trying to reconnect.");
  link.lost = true;
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** link.attempt);
  const delay = ceiling / 2 + Math.random() * (ceiling / 2);
  link.attempt += 1;
  link.retryAt = Date.now() + delay;
  link.retryTimer = setTimeout(connect, delay);
  showCountdown();
  clearInterval(link.countdownTimer);
  link.countdownTimer = setInterval(showCountdown, 1000);
}

function showCountdown() {
  const seconds = Math.max(0, Math.ceil((link.retryAt - Date.now()) / 1000));
  const when = seconds > 0 ? `in ${seconds} s` : "now";
  const why = link.waiting ? `Not connected: ${link.waiting}.` : "Connection lost.";
  setStatus("offline", "Offline", `${why} Trying again ${when}; what you send waits below and goes once connected.`);
}

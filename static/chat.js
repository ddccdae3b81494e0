// The chat page: one WebSocket per room, speaking PROTOCOL.md version 1 and
// the presence frame of docs/protocol.md (joins and leaves, coalesced).
// User text is only ever put on the page as text nodes (textContent), never
// parsed as HTML; links are built with DOM APIs and only for http(s).
"use strict";
(function () {
  const MAX_MESSAGE_CHARS = 4000;
  const PAGE_SIZE = 50;
  const TYPING_SEND_EVERY_MS = 2500;
  const TYPING_SHOWN_FOR_MS = 4000;
  const BACKOFF_FIRST_MS = 500;
  const BACKOFF_MAX_MS = 30000;
  const GROUP_WITHIN_MS = 5 * 60 * 1000;
  const NEAR_BOTTOM_PX = 48;
  const NEAR_TOP_PX = 80;
  // Messages and notices kept on the page: however long or busy the session,
  // the page holds this many, and scrolling brings back what was let go.
  const MAX_ITEMS = 300;
  const NAMES_IN_TITLE = 20;
  const ROOMS_REFRESH_MS = 30000;
  const ROOMS_SHOWN = 50; // one page of GET /api/rooms: the list stays this short
  const ROOM_SEARCH_DELAY_MS = 250;
  const NICK_KEY = "chatroom.nick";
  const TOKEN_KEY = "chatroom.token";
  const NICK_COLOURS = 8;

  // Close codes after which reconnecting cannot help: the user must act.
  const CLOSE_BAD_NAME = 4400;
  const CLOSE_UNAUTHORIZED = 4401;
  const CLOSE_NICK_TAKEN = 4409;

  const HELP = {
    rate_limited: () => "You are sending messages too fast. Wait a moment, then press Enter again: your message is still in the box.",
    too_long: (m) => `That message is too long (${m || "at most " + MAX_MESSAGE_CHARS + " characters"}). Shorten it or split it into several messages.`,
    empty: () => "There is nothing to send: type a message first.",
    nick_taken: () => "Someone in this room already uses that nick. Pick another one.",
    bad_name: (m) => `That name is not allowed: ${m || "use letters, digits, single spaces, - _ and ."}. Pick another one.`,
    unauthorized: () => "Your access token was refused (missing, invalid or expired). Paste a fresh token to join.",
    unavailable: () => "The server cannot store messages right now. Your message is still in the box: try again in a moment.",
    bad_request: (m) => `The server did not accept that message${m ? " (" + m + ")" : ""}. Edit it and try again.`,
    bad_json: () => "The server could not read what this page sent. Reload the page and try again.",
    binary: () => "The server only accepts text. Reload the page and try again.",
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    picker: $("room-picker"),
    status: $("status"),
    statusText: $("status-text"),
    retry: $("retry"),
    banner: $("connection-banner"),
    bannerText: $("connection-detail"),
    me: $("me"),
    meNick: $("me-nick"),
    peopleToggle: $("people-toggle"),
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
    users: $("users"),
    rooms: $("rooms"),
    roomSearch: $("room-search"),
    roomsNote: $("rooms-note"),
    roomForm: $("room-form"),
    roomName: $("room-name"),
    roomError: $("room-error"),
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

  const jwtRequired = document.body.dataset.jwt === "required";
  const state = {
    room: (document.body.dataset.room || "lobby").normalize("NFC"),
    nick: null, // what we ask for; "" asks the server for a guest nick
    myNick: "", // what the server gave us
    token: "",
    socket: null,
    connected: false,
    sinceSent: 0,
    epoch: null,
    lastId: 0,
    byId: new Map(),
    hasEarlier: false,
    // Newer messages were let go while the reader was far up: the list ends
    // at cutAfter, and reaching the bottom loads the newest again.
    newerCut: false,
    cutAfter: 0,
    paging: false,
    historyPurposes: [],
    pending: null,
    attempt: 0,
    retryAt: 0,
    retryTimer: 0,
    countdownTimer: 0,
    mustAct: false,
    typers: new Map(),
    typingTimer: 0,
    lastTypingSent: 0,
    users: [],
    rooms: [],
    roomsDrawn: "",
    roomsMore: false, // the server has rooms beyond the page shown
    roomsPrefix: "", // what the search box asked the server for
    roomsAsked: 0, // numbers the rooms requests, so that a late answer is dropped
    roomSearchTimer: 0,
    stick: true,
    unseen: 0,
    unseenWhileHidden: 0,
    refCounter: 0,
    // The last message given back unacked: sent again unchanged, it keeps its
    // ref, so the server stores it once even if the first send got through.
    unacked: null,
  };

  // --- names (the rules of PROTOCOL.md, checked before the server does) ---

  const ROOM_RULE = /^[\p{L}\p{Nd}][\p{L}\p{Nd}\p{M}_.-]*$/u;
  const NICK_RULE = /^[\p{L}\p{Nd}][\p{L}\p{Nd}\p{M}_.-]*(?: [\p{L}\p{Nd}\p{M}_.-]+)*$/u;
  const codePoints = (text) => [...text].length;
  const nickKey = (nick) => nick.toLowerCase();

  function roomProblem(room) {
    if (codePoints(room) < 1 || codePoints(room) > 64) return "a room name has 1 to 64 characters";
    if (!ROOM_RULE.test(room)) return "a room name is letters, digits, - _ and ., starting with a letter or digit";
    return "";
  }

  function nickProblem(nick) {
    if (codePoints(nick) > 32) return "a nick has at most 32 characters";
    if (!NICK_RULE.test(nick)) {
      return "a nick is letters, digits, single spaces, - _ and ., starting with a letter or digit";
    }
    return "";
  }

  // --- small DOM helpers ------------------------------------------------

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function nickColour(nick) {
    let hash = 0;
    for (const char of nickKey(nick)) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
    return "c" + (hash % NICK_COLOURS);
  }

  function nickElement(nick) {
    const node = element("bdi", "nick " + nickColour(nick), nick);
    return node;
  }

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

  function appendLinkified(parent, text) {
    let done = 0;
    for (const match of text.matchAll(URL_IN_TEXT)) {
      const raw = match[0].replace(TRAILING_PUNCTUATION, "");
      if (!raw) continue;
      parent.append(document.createTextNode(text.slice(done, match.index)));
      parent.append(safeLink(raw) || document.createTextNode(raw));
      done = match.index + raw.length;
    }
    parent.append(document.createTextNode(text.slice(done)));
  }

  const clockFormat = new Intl.DateTimeFormat(undefined, {hour: "2-digit", minute: "2-digit"});
  const dayFormat = new Intl.DateTimeFormat(undefined, {weekday: "short", day: "numeric", month: "short"});
  const fullFormat = new Intl.DateTimeFormat(undefined, {dateStyle: "full", timeStyle: "medium"});

  function timeElement(ts) {
    const when = new Date(ts);
    const today = new Date().toDateString() === when.toDateString();
    const label = today ? clockFormat.format(when) : `${dayFormat.format(when)}, ${clockFormat.format(when)}`;
    const node = element("time", "time", label);
    node.dateTime = when.toISOString();
    node.title = fullFormat.format(when);
    return node;
  }

  // --- scrolling ----------------------------------------------------------

  function nearBottom() {
    const s = ui.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  function scrollToBottom() {
    if (state.newerCut) loadNewest();
    ui.scroller.scrollTop = ui.scroller.scrollHeight;
    state.stick = true;
    state.unseen = 0;
    ui.pill.hidden = true;
  }

  function noteUnseen() {
    state.unseen += 1;
    ui.pill.textContent = state.unseen === 1 ? "1 new message ↓" : `${state.unseen} new messages ↓`;
    ui.pill.hidden = false;
  }

  function onScroll() {
    state.stick = nearBottom();
    if (state.stick) {
      if (state.newerCut) loadNewest();
      state.unseen = 0;
      ui.pill.hidden = true;
      boundList();
    }
    if (ui.scroller.scrollTop < NEAR_TOP_PX) requestEarlier();
  }

  // Older messages go in above what the reader is looking at: keep it still.
  function keepingScrollPosition(change) {
    const fromBottom = ui.scroller.scrollHeight - ui.scroller.scrollTop;
    change();
    ui.scroller.scrollTop = ui.scroller.scrollHeight - fromBottom;
  }

  // --- the message list ---------------------------------------------------

  function isOwn(nick) {
    return state.myNick !== "" && nickKey(nick) === nickKey(state.myNick);
  }

  // A message posted through the HTTP API says "bot": it is never ours, even
  // under our nick, and it is marked as a bot's.
  function isOwnMessage(frame) {
    return frame.bot !== true && isOwn(frame.nick);
  }

  function messageItem(frame) {
    const item = element("li", "msg");
    item.dataset.id = String(frame.id);
    item.dataset.nick = nickKey(frame.nick);
    item.dataset.ts = String(frame.ts);
    if (frame.bot === true) item.dataset.bot = "1";
    if (isOwnMessage(frame)) item.classList.add("own");
    const meta = element("div", "meta");
    meta.append(nickElement(frame.nick));
    if (frame.bot === true) meta.append(document.createTextNode(" "), element("span", "badge", "bot"));
    meta.append(document.createTextNode(" "), timeElement(frame.ts));
    const body = element("p", "text");
    body.dir = "auto";
    appendLinkified(body, frame.message);
    item.append(meta, body);
    return item;
  }

  // Messages are kept in id order whatever order they arrive in; the newest
  // goes last, after any join and leave lines that came before it.
  function placeById(item, id) {
    if (id > state.lastId) return ui.list.append(item);
    let after = ui.list.lastElementChild;
    while (after && !(after.dataset.id && Number(after.dataset.id) < id)) {
      after = after.previousElementSibling;
    }
    if (after) after.after(item);
    else ui.list.prepend(item);
  }

  // A message right after one by the same person, soon after, drops its header.
  function regroup(item) {
    for (const node of [item, item.nextElementSibling]) {
      if (!node || !node.classList.contains("msg")) continue;
      const before = node.previousElementSibling;
      const continues =
        before !== null &&
        before.classList.contains("msg") &&
        before.dataset.nick === node.dataset.nick &&
        before.dataset.bot === node.dataset.bot &&
        Number(node.dataset.ts) - Number(before.dataset.ts) < GROUP_WITHIN_MS;
      node.classList.toggle("cont", continues);
    }
  }

  function addMessage(frame) {
    if (typeof frame.id !== "number" || state.byId.has(frame.id)) return false;
    if (state.newerCut && frame.id > state.cutAfter) {
      // Beyond the end of what the list holds: it comes back with the newest.
      state.lastId = Math.max(state.lastId, frame.id);
      return false;
    }
    const item = messageItem(frame);
    state.byId.set(frame.id, item);
    placeById(item, frame.id);
    regroup(item);
    state.lastId = Math.max(state.lastId, frame.id);
    return true;
  }

  function addLine(className, nodes, ts) {
    if (state.newerCut) return null;
    const item = element("li", "line " + className);
    item.append(...nodes);
    if (ts) item.append(document.createTextNode(" "), timeElement(ts));
    ui.list.append(item);
    regroup(item);
    return item;
  }

  function oldestId() {
    let oldest = Infinity;
    for (const id of state.byId.keys()) oldest = Math.min(oldest, id);
    return oldest === Infinity ? 0 : oldest;
  }

  function dropMessages(keep) {
    for (const [id, item] of state.byId) {
      if (!keep(id)) {
        item.remove();
        state.byId.delete(id);
      }
    }
  }

  function clearEverything() {
    ui.list.replaceChildren();
    state.byId.clear();
    state.lastId = 0;
    state.hasEarlier = false;
    state.newerCut = false;
  }

  // --- keeping the list short ---------------------------------------------

  // At most MAX_ITEMS items: the end farther from what the reader looks at
  // goes. Older ones come back with a history request when the reader
  // scrolls to the top; newer ones when the reader scrolls to the bottom.
  function boundList() {
    const excess = ui.list.childElementCount - MAX_ITEMS;
    if (excess <= 0) return;
    const s = ui.scroller;
    const readingOlder = !state.stick && s.scrollTop + s.clientHeight / 2 < s.scrollHeight / 2;
    if (readingOlder) trimNewest(excess);
    else keepingScrollPosition(() => trimOldest(excess));
  }

  function removeItem(item) {
    if (item.dataset.id) state.byId.delete(Number(item.dataset.id));
    item.remove();
  }

  function trimOldest(count) {
    for (let i = 0; i < count && ui.list.firstElementChild; i += 1) {
      if (ui.list.firstElementChild.dataset.id) state.hasEarlier = true;
      removeItem(ui.list.firstElementChild);
    }
    if (ui.list.firstElementChild) regroup(ui.list.firstElementChild);
    updateEdges();
  }

  function trimNewest(count) {
    for (let i = 0; i < count && ui.list.lastElementChild; i += 1) removeItem(ui.list.lastElementChild);
    let newest = 0;
    for (const id of state.byId.keys()) newest = Math.max(newest, id);
    state.cutAfter = newest;
    state.newerCut = true;
    ui.pill.textContent = "Newer messages ↓";
    ui.pill.hidden = false;
  }

  // Back at the bottom after newer messages were let go: the newest page again.
  function loadNewest() {
    if (!socketOpen()) return;
    state.newerCut = false;
    ui.list.replaceChildren();
    state.byId.clear();
    state.stick = true;
    sendHistoryRequest(state.lastId + 1, "fresh");
  }

  function updateEdges() {
    const any = state.byId.size > 0;
    ui.loadEarlier.hidden = !state.hasEarlier;
    ui.loadEarlier.textContent = state.paging ? "Loading earlier messages…" : "Load earlier messages";
    ui.historyStart.hidden = state.hasEarlier || !any;
    ui.empty.hidden = any || !state.connected;
  }

  // --- frames from the server ---------------------------------------------

  function onWelcome(frame) {
    const epochChanged = state.epoch !== null && frame.epoch !== state.epoch;
    state.epoch = frame.epoch;
    state.myNick = frame.nick;
    state.connected = true;
    state.attempt = 0;
    state.mustAct = false;
    if (epochChanged) {
      // A new id sequence: what we hold (and since=) mean nothing any more.
      clearEverything();
      addLine("notice", [document.createTextNode("The server's history was reset, so older messages were cleared.")]);
      state.historyPurposes = ["ignore"];
      if (frame.last_id > 0) sendHistoryRequest(frame.last_id + 1, "fresh");
    } else {
      state.historyPurposes = [state.sinceSent ? "replay" : "fresh"];
    }
    rememberIdentity();
    closeJoinDialog();
    setUsers(frame.users);
    setStatus("online", "Online");
    ui.me.hidden = false;
    ui.meNick.textContent = frame.nick;
    for (const item of ui.list.querySelectorAll(".msg")) {
      item.classList.toggle("own", !item.dataset.bot && item.dataset.nick === nickKey(frame.nick));
    }
    updateEdges();
    refreshRooms();
  }

  function onHistory(frame) {
    const purpose = state.historyPurposes.shift() || "page";
    if (purpose === "ignore") return;
    const messages = Array.isArray(frame.messages) ? frame.messages : [];
    if (purpose === "page") {
      keepingScrollPosition(() => messages.forEach(addMessage));
      state.hasEarlier = Boolean(frame.truncated) && messages.length > 0;
      state.paging = false;
    } else {
      if (purpose === "replay" && frame.truncated) {
        // More was missed than the server replays: drop what is now cut off.
        dropMessages(() => false);
        state.hasEarlier = true;
        state.newerCut = false;
      } else if (purpose === "fresh") {
        state.hasEarlier = Boolean(frame.truncated);
      }
      const stick = state.stick;
      messages.forEach((m) => {
        addMessage(m);
        settlePendingBy(m);
      });
      if (stick) scrollToBottom();
      if (purpose === "replay") givePendingBack();
    }
    updateEdges();
    boundList();
    fillViewport();
  }

  function onUser(frame) {
    const wasAtBottom = state.stick;
    if (!addMessage(frame)) {
      if (state.newerCut && isOwnMessage(frame)) scrollToBottom(); // to see what one sent
      return;
    }
    const own = isOwnMessage(frame);
    settlePendingBy(frame);
    forgetTyper(frame.nick);
    if (own || wasAtBottom) scrollToBottom();
    else noteUnseen();
    if (!own) {
      const who = frame.bot === true ? `${frame.nick} (bot)` : frame.nick;
      ui.announcer.textContent = `${who}: ${frame.message.slice(0, 300)}`;
      if (document.hidden) {
        state.unseenWhileHidden += 1;
        updateTitle();
      }
    }
    updateEdges();
    boundList();
  }

  function onSys(frame) {
    if (frame.event === "join") {
      if (!state.users.some((n) => nickKey(n) === nickKey(frame.nick))) setUsers([...state.users, frame.nick]);
      if (isOwn(frame.nick)) return;
    } else {
      setUsers(state.users.filter((n) => nickKey(n) !== nickKey(frame.nick)));
      forgetTyper(frame.nick);
    }
    const wasAtBottom = state.stick;
    const verb = frame.event === "join" ? " joined" : " left";
    addLine("sys " + (frame.event === "join" ? "join" : "leave"), [nickElement(frame.nick), document.createTextNode(verb)], frame.ts);
    if (wasAtBottom) scrollToBottom();
    boundList();
  }

  // Several joins and leaves at once (a busy room): the online list takes
  // them all; one line says what changed in it, names in its tooltip.
  function onPresence(frame) {
    const names = (list) => (Array.isArray(list) ? list.filter((n) => typeof n === "string") : []);
    const joined = names(frame.joined);
    const left = names(frame.left);
    const had = new Set(state.users.map(nickKey));
    const joinedKeys = new Set(joined.map(nickKey));
    const leftKeys = new Set(left.map(nickKey));
    const arrived = joined.filter((n) => !had.has(nickKey(n)) && !isOwn(n));
    const departed = [...new Map(left.filter((n) => had.has(nickKey(n)) && !joinedKeys.has(nickKey(n))).map((n) => [nickKey(n), n])).values()];
    setUsers([...state.users.filter((n) => !leftKeys.has(nickKey(n)) && !joinedKeys.has(nickKey(n))), ...joined]);
    departed.forEach(forgetTyper);
    if (arrived.length + departed.length === 0) return;
    const wasAtBottom = state.stick;
    if (arrived.length + departed.length === 1) {
      const [nick, verb, kind] = arrived.length ? [arrived[0], " joined", "join"] : [departed[0], " left", "leave"];
      addLine("sys " + kind, [nickElement(nick), document.createTextNode(verb)], frame.ts);
    } else {
      const parts = [];
      if (arrived.length) parts.push(`${arrived.length} joined`);
      if (departed.length) parts.push(`${departed.length} left`);
      const line = addLine("sys presence", [document.createTextNode(parts.join(", "))], frame.ts);
      if (line) line.title = presenceTitle(arrived, departed);
    }
    if (wasAtBottom) scrollToBottom();
    boundList();
  }

  function presenceTitle(arrived, departed) {
    const some = (list) => list.slice(0, NAMES_IN_TITLE).join(", ") + (list.length > NAMES_IN_TITLE ? ", …" : "");
    const parts = [];
    if (arrived.length) parts.push("Joined: " + some(arrived));
    if (departed.length) parts.push("Left: " + some(departed));
    return parts.join("\n");
  }

  function onTyping(frame) {
    if (isOwn(frame.nick)) return;
    state.typers.set(frame.nick, Date.now() + TYPING_SHOWN_FOR_MS);
    showTypers();
  }

  function onAck(frame) {
    if (state.pending && frame.ref === state.pending.ref) settlePending();
  }

  function onError(frame) {
    const help = (HELP[frame.code] || (() => frame.message || "The server refused that."))(frame.message);
    if (frame.code === "nick_taken" || frame.code === "bad_name" || frame.code === "unauthorized") {
      state.mustAct = true;
      askForIdentity(help);
      return;
    }
    if (state.pending && frame.ref === state.pending.ref) {
      state.pending = null;
      ui.composer.classList.remove("sending");
    }
    showSendError(help);
  }

  const HANDLERS = {
    welcome: onWelcome,
    history: onHistory,
    user: onUser,
    sys: onSys,
    presence: onPresence,
    typing: onTyping,
    ack: onAck,
    error: onError,
  };

  function receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return; // not ours to show: a frame we cannot read is skipped
    }
    const handle = frame && HANDLERS[frame.type];
    if (handle) handle(frame);
  }

  // --- online list and typing -----------------------------------------------

  function setUsers(names) {
    state.users = [...names].sort((a, b) => {
      const ka = nickKey(a), kb = nickKey(b);
      return ka < kb ? -1 : ka > kb ? 1 : a < b ? -1 : a > b ? 1 : 0;
    });
    ui.users.replaceChildren(
      ...state.users.map((name) => {
        const item = element("li");
        item.append(element("span", "presence", ""), nickElement(name));
        if (isOwn(name)) item.append(element("span", "you", " (you)"));
        return item;
      }),
    );
    ui.onlineCount.textContent = String(state.users.length);
    ui.onlineCountSide.textContent = String(state.users.length);
    showRooms(state.rooms);
  }

  function forgetTyper(nick) {
    if (state.typers.delete(nick)) showTypers();
  }

  function showTypers() {
    const now = Date.now();
    for (const [nick, until] of state.typers) if (until <= now) state.typers.delete(nick);
    const names = [...state.typers.keys()];
    ui.typing.replaceChildren();
    if (names.length === 1) ui.typing.append(nickElement(names[0]), document.createTextNode(" is typing…"));
    else if (names.length === 2) {
      ui.typing.append(nickElement(names[0]), document.createTextNode(" and "), nickElement(names[1]), document.createTextNode(" are typing…"));
    } else if (names.length > 2) ui.typing.append(document.createTextNode("Several people are typing…"));
    clearTimeout(state.typingTimer);
    if (names.length) {
      const next = Math.min(...state.typers.values()) - now;
      state.typingTimer = setTimeout(showTypers, Math.max(next, 50));
    }
  }

  function sendTypingHint() {
    const now = Date.now();
    if (!ui.text.value.trim() || now - state.lastTypingSent < TYPING_SEND_EVERY_MS) return;
    if (sendFrame({type: "typing"})) state.lastTypingSent = now;
  }

  // --- sending ----------------------------------------------------------------

  function socketOpen() {
    return state.connected && state.socket !== null && state.socket.readyState === WebSocket.OPEN;
  }

  function sendFrame(frame) {
    if (!socketOpen()) return false;
    state.socket.send(JSON.stringify(frame));
    return true;
  }

  function sendHistoryRequest(before, purpose) {
    if (!sendFrame({type: "history", before, limit: PAGE_SIZE})) return false;
    state.historyPurposes.push(purpose);
    return true;
  }

  function requestEarlier() {
    if (!state.hasEarlier || state.paging) return;
    const before = oldestId();
    if (before && sendHistoryRequest(before, "page")) {
      state.paging = true;
      updateEdges();
    }
  }

  // Too few messages to scroll: nobody can reach the top to ask for more.
  function fillViewport() {
    if (state.hasEarlier && ui.scroller.scrollHeight <= ui.scroller.clientHeight) requestEarlier();
  }

  function showSendError(text) {
    ui.sendError.textContent = text;
    ui.sendError.hidden = false;
  }

  function clearSendError() {
    ui.sendError.hidden = true;
    ui.sendError.textContent = "";
  }

  function sendMessage() {
    const raw = ui.text.value;
    const text = raw.trim();
    if (state.pending) return;
    if (!text) return showSendError(HELP.empty());
    if (codePoints(text) > MAX_MESSAGE_CHARS) return showSendError(HELP.too_long());
    if (!socketOpen()) {
      return showSendError("Not connected right now: your message stays in the box. Press Enter again once the status says Online.");
    }
    let ref;
    if (state.unacked && state.unacked.raw === raw) {
      ref = state.unacked.ref;
    } else {
      state.refCounter += 1;
      ref = `m${Date.now().toString(36)}-${state.refCounter}`;
    }
    state.unacked = null;
    state.pending = {ref, raw, text};
    clearSendError();
    ui.composer.classList.add("sending");
    sendFrame({type: "message", message: raw, ref});
    state.lastTypingSent = 0;
  }

  // The box keeps the text until the server has it: an ack, or (after a
  // reconnect) the stored message itself in the replay.
  function settlePending() {
    const {raw} = state.pending;
    state.pending = null;
    ui.composer.classList.remove("sending");
    const value = ui.text.value;
    if (value === raw) ui.text.value = "";
    else if (value.startsWith(raw)) ui.text.value = value.slice(raw.length).replace(/^\s+/, "");
    fitTextBox();
  }

  function settlePendingBy(frame) {
    if (state.pending && isOwnMessage(frame) && frame.message === state.pending.text) settlePending();
  }

  function givePendingBack() {
    if (!state.pending) return;
    state.unacked = {ref: state.pending.ref, raw: state.pending.raw};
    state.pending = null;
    ui.composer.classList.remove("sending");
    showSendError("Your last message was not sent before the connection dropped. It is still in the box: press Enter to send it.");
  }

  function fitTextBox() {
    ui.text.style.height = "auto";
    ui.text.style.height = Math.min(ui.text.scrollHeight + 2, 160) + "px";
  }

  // --- the connection -----------------------------------------------------------

  // The header says it in a word; the banner under it says what is going on.
  function setStatus(kind, word, detail) {
    ui.status.dataset.state = kind;
    ui.statusText.textContent = word;
    ui.bannerText.textContent = detail || "";
    ui.banner.hidden = !detail;
    ui.banner.dataset.state = kind;
    ui.retry.hidden = kind !== "offline" || state.mustAct;
  }

  function socketUrl() {
    const params = new URLSearchParams({room: state.room});
    if (jwtRequired) params.set("token", state.token);
    else if (state.nick) params.set("nick", state.nick);
    state.sinceSent = state.lastId;
    if (state.lastId) params.set("since", String(state.lastId));
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws?${params}`;
  }

  function connect() {
    clearTimeout(state.retryTimer);
    clearInterval(state.countdownTimer);
    dropSocket();
    state.mustAct = false;
    if (state.attempt) setStatus("connecting", "Reconnecting…", "Reconnecting…");
    else setStatus("connecting", "Connecting…");
    const socket = new WebSocket(socketUrl());
    state.socket = socket;
    socket.addEventListener("message", (event) => {
      if (socket === state.socket) receive(event.data);
    });
    socket.addEventListener("close", (event) => {
      if (socket === state.socket) onClose(event);
    });
  }

  function dropSocket() {
    const old = state.socket;
    state.socket = null;
    state.connected = false;
    if (old && old.readyState <= WebSocket.OPEN) old.close(1000, "leaving");
  }

  function onClose(event) {
    state.socket = null;
    state.connected = false;
    state.paging = false;
    state.historyPurposes = [];
    state.typers.clear();
    showTypers();
    updateEdges();
    if (event.code === CLOSE_NICK_TAKEN || event.code === CLOSE_BAD_NAME || event.code === CLOSE_UNAUTHORIZED) {
      state.mustAct = true;
      const why = event.code === CLOSE_UNAUTHORIZED ? "a valid token is needed" : "pick another name";
      setStatus("offline", "Offline", `Not connected: ${why}.`);
      if (!ui.dialog.open) askForIdentity(HELP[{4400: "bad_name", 4401: "unauthorized", 4409: "nick_taken"}[event.code]]());
      return;
    }
    if (!state.mustAct) scheduleReconnect();
  }

  // Exponential backoff with jitter, so a restarted server is not stampeded.
  function scheduleReconnect() {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** state.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    state.attempt += 1;
    state.retryAt = Date.now() + delay;
    state.retryTimer = setTimeout(connect, delay);
    showCountdown();
    clearInterval(state.countdownTimer);
    state.countdownTimer = setInterval(showCountdown, 1000);
  }

  function showCountdown() {
    const seconds = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
    const when = seconds > 0 ? `in ${seconds} s` : "now";
    setStatus("offline", "Offline", `Connection lost. Trying again ${when}; anything you type stays in the box.`);
  }

  function retryNow() {
    if (!state.socket && !state.mustAct) connect();
  }

  // --- nick, token and room -------------------------------------------------------

  function rememberIdentity() {
    try {
      if (!jwtRequired && state.nick !== null) localStorage.setItem(NICK_KEY, state.nick);
      if (jwtRequired && state.token) sessionStorage.setItem(TOKEN_KEY, state.token);
    } catch {
      // Storage can be full or switched off (private windows): then we ask again next time.
    }
  }

  function askForIdentity(problem) {
    ui.joinError.textContent = problem || "";
    ui.nickField.hidden = jwtRequired;
    ui.tokenField.hidden = !jwtRequired;
    ui.joinCancel.hidden = !state.connected;
    if (!jwtRequired) ui.nick.value = state.nick || state.myNick || "";
    if (!ui.dialog.open) ui.dialog.showModal();
    const field = jwtRequired ? ui.token : ui.nick;
    field.focus();
    field.select();
  }

  function closeJoinDialog() {
    if (ui.dialog.open) ui.dialog.close();
  }

  function onJoinSubmit(event) {
    event.preventDefault();
    if (jwtRequired) {
      const token = ui.token.value.trim();
      if (!token) return void (ui.joinError.textContent = "Paste your access token first.");
      state.token = token;
    } else {
      const nick = ui.nick.value.trim().normalize("NFC");
      const problem = nick ? nickProblem(nick) : "";
      if (problem) return void (ui.joinError.textContent = `That nick does not work: ${problem}.`);
      if (state.connected && nickKey(nick) === nickKey(state.myNick)) return closeJoinDialog();
      state.nick = nick;
    }
    ui.joinError.textContent = "";
    closeJoinDialog();
    state.attempt = 0;
    connect();
    ui.text.focus();
  }

  function roomUrl(room) {
    return "?" + new URLSearchParams({room});
  }

  function goToRoom(raw) {
    const room = raw.trim().normalize("NFC");
    const problem = roomProblem(room);
    if (problem) {
      ui.roomError.textContent = `That room name does not work: ${problem}.`;
      ui.roomName.focus();
      return;
    }
    location.assign(roomUrl(room));
  }

  // The list holds one page of rooms in name order (the server's), those
  // starting with the search box's text when it has some: never thousands of
  // elements, however many rooms the server has. The current room is always
  // in the dropdown; its count comes from our own online list, which is live.
  function roomEntries(rooms) {
    const names = new Map(rooms.map((r) => [r.room, r.online]));
    if (state.connected || !names.has(state.room)) names.set(state.room, state.users.length);
    return [...names].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  function showRooms(rooms) {
    state.rooms = rooms;
    const entries = roomEntries(rooms);
    const listed = entries.filter(([name]) => name.startsWith(state.roomsPrefix));
    // Redraw only on change, and keep focus, so a refresh never pulls the
    // rug from under someone tabbing through the list.
    const drawn = JSON.stringify([entries, state.roomsPrefix, state.roomsMore]);
    if (drawn === state.roomsDrawn) return;
    state.roomsDrawn = drawn;
    const focused = document.activeElement && document.activeElement.closest("#rooms a");
    const focusedRoom = focused ? focused.dataset.room : null;
    const options = entries.map(([name, online]) => {
      const option = element("option", "", online ? `#${name} (${online})` : `#${name}`);
      option.value = name;
      option.selected = name === state.room;
      return option;
    });
    if (state.roomsMore || state.roomsPrefix) {
      const more = element("option", "", "Find another room…");
      more.value = ""; // no room has an empty name
      options.push(more);
    }
    ui.picker.replaceChildren(...options);
    ui.rooms.replaceChildren(
      ...listed.map(([name, online]) => {
        const item = element("li");
        const link = element("a", "room-link");
        link.href = roomUrl(name);
        link.dataset.room = name;
        link.append(element("bdi", "", "#" + name), element("span", "count", String(online)));
        link.setAttribute("aria-label", `#${name}, ${online} online`);
        if (name === state.room) link.setAttribute("aria-current", "page");
        item.append(link);
        return item;
      }),
    );
    ui.roomsNote.textContent = roomsNote(listed.length);
    const again = [...ui.rooms.querySelectorAll("a")].find((a) => a.dataset.room === focusedRoom);
    if (again) again.focus();
  }

  function roomsNote(shown) {
    const prefix = state.roomsPrefix;
    if (prefix && !shown) return `No room starts with “${prefix}”. You can create it below.`;
    if (state.roomsMore && prefix) return `Showing the first ${ROOMS_SHOWN} rooms starting with “${prefix}”: type more to narrow it.`;
    if (state.roomsMore) return `Showing the first ${ROOMS_SHOWN} rooms: search to find the others.`;
    return "";
  }

  // One page of rooms, from the search box's prefix; an answer that comes
  // after a newer question is dropped.
  async function refreshRooms() {
    const prefix = ui.roomSearch.value.trim().normalize("NFC");
    const asked = ++state.roomsAsked;
    if (prefix && roomProblem(prefix)) {
      // No room name starts like that: nothing to ask the server.
      state.roomsPrefix = prefix;
      state.roomsMore = false;
      return showRooms([]);
    }
    // With tokens required the API answers only to one: until we have it, there is nothing to ask.
    if (jwtRequired && !state.token) return;
    const query = new URLSearchParams({limit: String(ROOMS_SHOWN)});
    if (prefix) query.set("prefix", prefix);
    const headers = {Accept: "application/json"};
    if (jwtRequired) headers.Authorization = `Bearer ${state.token}`;
    try {
      const response = await fetch("/api/rooms?" + query, {headers});
      if (!response.ok) return;
      const body = await response.json();
      if (asked !== state.roomsAsked || !Array.isArray(body.rooms)) return;
      state.roomsPrefix = prefix;
      state.roomsMore = Boolean(body.next);
      showRooms(body.rooms);
    } catch {
      // The list is a convenience; the chat works without it.
    }
  }

  function searchRoomsSoon() {
    clearTimeout(state.roomSearchTimer);
    state.roomSearchTimer = setTimeout(refreshRooms, ROOM_SEARCH_DELAY_MS);
  }

  function onPickerChange() {
    if (ui.picker.value) return goToRoom(ui.picker.value);
    ui.picker.value = state.room;
    toggleSidebar(true);
    ui.roomSearch.focus();
  }

  function toggleSidebar(open) {
    ui.sidebar.classList.toggle("open", open);
    ui.peopleToggle.setAttribute("aria-expanded", String(open));
    if (open) {
      refreshRooms();
      ui.sidebarClose.focus();
    }
  }

  function updateTitle() {
    const prefix = state.unseenWhileHidden ? `(${state.unseenWhileHidden}) ` : "";
    document.title = `${prefix}#${state.room} · chatroom`;
  }

  // --- wiring -------------------------------------------------------------------

  function onTextKey(event) {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    sendMessage();
  }

  function wire() {
    ui.scroller.addEventListener("scroll", onScroll, {passive: true});
    new ResizeObserver(() => state.stick && scrollToBottom()).observe(ui.scroller);
    ui.loadEarlier.addEventListener("click", requestEarlier);
    ui.pill.addEventListener("click", () => {
      scrollToBottom();
      ui.text.focus();
    });
    ui.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      sendMessage();
    });
    ui.text.addEventListener("keydown", onTextKey);
    ui.text.addEventListener("input", () => {
      fitTextBox();
      sendTypingHint();
      if (!ui.sendError.hidden && !state.pending) clearSendError();
    });
    ui.retry.addEventListener("click", () => {
      state.attempt = 0;
      retryNow();
    });
    ui.me.addEventListener("click", () => askForIdentity(""));
    ui.joinForm.addEventListener("submit", onJoinSubmit);
    ui.joinCancel.addEventListener("click", closeJoinDialog);
    ui.dialog.addEventListener("cancel", (event) => {
      if (!state.connected) event.preventDefault(); // someone must be chosen first
    });
    ui.picker.addEventListener("change", onPickerChange);
    ui.roomSearch.addEventListener("input", searchRoomsSoon);
    ui.roomSearch.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      clearTimeout(state.roomSearchTimer);
      refreshRooms();
    });
    ui.picker.addEventListener("focus", refreshRooms);
    ui.roomForm.addEventListener("submit", (event) => {
      event.preventDefault();
      goToRoom(ui.roomName.value);
    });
    ui.roomName.addEventListener("input", () => (ui.roomError.textContent = ""));
    ui.peopleToggle.addEventListener("click", () => toggleSidebar(!ui.sidebar.classList.contains("open")));
    ui.sidebarClose.addEventListener("click", () => {
      toggleSidebar(false);
      ui.peopleToggle.focus();
    });
    ui.sidebar.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && ui.sidebar.classList.contains("open")) {
        toggleSidebar(false);
        ui.peopleToggle.focus();
      }
    });
    window.addEventListener("online", () => {
      state.attempt = 0;
      retryNow();
    });
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) {
        state.unseenWhileHidden = 0;
        updateTitle();
      }
    });
    setInterval(() => !document.hidden && refreshRooms(), ROOMS_REFRESH_MS);
  }

  // A token in the address bar is taken once, then removed from it, so it is
  // not left in the history or shared with a copied link.
  function takeTokenFromAddress() {
    const params = new URLSearchParams(location.search);
    const token = params.get("token");
    if (token === null) return sessionStorage.getItem(TOKEN_KEY) || "";
    params.delete("token");
    const query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
    return token;
  }

  function start() {
    wire();
    updateTitle();
    const problem = roomProblem(state.room);
    if (problem) {
      setStatus("offline", "Offline", "Not connected: this room name cannot be used.");
      ui.roomError.textContent = `“${state.room}” cannot be a room: ${problem}. Pick another one.`;
      toggleSidebar(true);
      ui.roomName.focus();
      return;
    }
    if (jwtRequired) state.token = takeTokenFromAddress();
    else state.nick = localStorage.getItem(NICK_KEY);
    refreshRooms();
    if (jwtRequired ? state.token : state.nick !== null) return connect();
    state.mustAct = true;
    setStatus("offline", "Offline", jwtRequired ? "Not connected: a token is needed." : "Not connected: choose a nick.");
    askForIdentity("");
  }

  start();
})();

// The chat page: one WebSocket per room, speaking docs/protocol.md. This
// module only wires the others together: frames to the modules that show
// them, events on the page to the modules that answer them.

import {showAccountActions} from "./account_actions.js";
import {offerAdministration, wireAdministration} from "./admin.js";
import {onAdminFrame} from "./admin_role.js";
import {roomUrl} from "./api.js";
import {onAvatarFrame} from "./avatar_pictures.js";
import {loadBlocks, onBlockFrame} from "./blocks.js";
import * as composer from "./composer.js";
import {loadCustomEmoji, onCustomEmoji, onEmojiFrame} from "./custom_emoji.js";
import {loadGroups, onGroupFrame, onGroups} from "./groups.js";
import {wireGroups} from "./groups_dialog.js";
import {wireAddEmoji} from "./emoji_add.js";
import {wirePollForm} from "./poll_form.js";
import {configure, connect, on, resetBackoff, retryNow, setStatus, welcomedOnce} from "./connection.js";
import {announce, ui} from "./dom.js";
import * as drafts from "./drafts.js";
import {showYourRooms, toggleDrawer} from "./drawer.js";
import * as identity from "./identity.js";
import {wireLightbox} from "./lightbox.js";
import {onHistoryChanges, onRefusedChange, refreshMessageActions, wireChanges} from "./message_changes.js";
import {refreshCustomEmoji} from "./message_state.js";
import {wireCompletion} from "./completion.js";
import {wireEmojiCompletion} from "./emoji_complete.js";
import {wireMentionCompletion} from "./mention_complete.js";
import {wireSlashCommands} from "./slash_commands.js";
import {wireSound} from "./sound.js";
import * as messages from "./messages.js";
import * as outbox from "./outbox.js";
import {forgetPeers, onPeer} from "./peers.js";
import * as people from "./people.js";
import {ERROR, FRAME, IDENTITY_ERRORS, ROOM_ERRORS, roomProblem} from "./protocol.js";
import {wireRoomDialogs} from "./room_dialogs.js";
import {onTopicFrame} from "./room_topic.js";
import {accountKnown} from "./room_voice.js";
import {wireRoomSwitcher} from "./room_switcher.js";
import {wireSettings} from "./room_settings.js";
import {loadSavedHere, onSavedFrame, wireSaved} from "./saved.js";
import {onReminderFrame, onWelcomeReminders, wireReminders} from "./reminders.js";
import {wireForward} from "./forward.js";
import {onScheduledFrame, onWelcomeScheduled, wireScheduled} from "./scheduled.js";
import {wireSearch} from "./search.js";
import {
  configureRooms,
  currentEntry,
  onRoomFrame,
  onRoomGone,
  refreshRooms,
  roomKind,
  showRooms,
  wireRooms,
} from "./rooms.js";
import {reformatMentions} from "./render.js";
import {loadMembers} from "./roster.js";
import {recallIdentity, session} from "./session.js";
import {wireShortcuts} from "./shortcuts.js";
import {configureStars, onStarredFrame, wireStars} from "./stars.js";
import {onDndFrame, onStatusFrame} from "./status.js";
import {onThreadRefused, wireThreads} from "./thread.js";
import {onThreadFrame, wireThreadFollow} from "./thread_follow.js";
import {showThreadAttach, wireThreadTools} from "./thread_tools.js";
import {onThreadReply, refreshThreads, wireThreadsView} from "./threads_view.js";
import {configureUnread, markSeenSoon, onReconnected, onUnread} from "./unread.js";

function routeFrames() {
  on(FRAME.WELCOME, (frame, how) => {
    messages.onWelcome(frame, how);
    composer.requeuePending(); // from a socket that went without a word
    outbox.onWelcome();
    identity.onWelcome(frame);
    drafts.onWelcome();
    people.onWelcome(frame);
    loadMembers();
    refreshRooms();
    showAccountActions(() => {
      refreshMessageActions();
      accountKnown();
      refreshThreads();
      showThreadAttach();
      onWelcomeScheduled();
      onWelcomeReminders();
      if (session.isAccount) {
        loadBlocks();
        loadSavedHere();
        loadGroups();
      }
    });
    offerAdministration();
    onReconnected();
  });
  on(FRAME.HISTORY, (frame) => {
    const {purpose, messages: shown} = messages.onHistory(frame);
    onHistoryChanges(frame, purpose);
    if (purpose === "page") return;
    markSeenSoon();
    shown.forEach(composer.settleBy);
    // A replay holds only what came after the page's newest: an own message
    // in it with an outbox item's text is that item, stored with its ack lost.
    if (purpose === "replay") shown.forEach(outbox.settleBy);
    outbox.onCaughtUp();
  });
  on(FRAME.USER, (frame) => {
    if (!messages.onUser(frame)) {
      // A thread reply counts as unread like any message (docs/protocol.md, "Threads"): seen here, it is read.
      if (typeof frame.thread === "number") markSeenSoon();
      return;
    }
    markSeenSoon();
    composer.settleBy(frame);
    outbox.settleBy(frame);
    people.forgetTyper(frame.nick);
  });
  on(FRAME.SYS, people.onSys);
  on(FRAME.PRESENCE, people.onPresence);
  on(FRAME.TYPING, people.onTyping);
  on(FRAME.ACK, (frame) => outbox.onAck(frame) || composer.onAck(frame));
  on(FRAME.ERROR, (frame) => {
    if (onRefusedChange(frame) || onThreadRefused(frame)) return;
    if (IDENTITY_ERRORS.has(frame.code)) identity.onIdentityRefused(frame);
    else if (ROOM_ERRORS.has(frame.code)) onRoomRefused(frame.code, frame.message);
    else if (!outbox.onRefused(frame)) composer.onRefused(frame);
  });
  on(FRAME.ROOM, onRoomFrame);
  on(FRAME.ROOM, onTopicFrame);
  configureRooms({mayChangeMessages: refreshMessageActions});
  on(FRAME.ROOM_GONE, onRoomGone);
  wireChanges();
  on(FRAME.UNREAD, onUnread);
  on(FRAME.PEER, (frame) => onPeer(frame) && showRooms());
  on(FRAME.AVATAR, onAvatarFrame);
  on(FRAME.BLOCK, onBlockFrame);
  on(FRAME.ADMIN, onAdminFrame);
  on(FRAME.STATUS, onStatusFrame);
  on(FRAME.DND, onDndFrame);
  on(FRAME.SAVED, onSavedFrame);
  on(FRAME.STARRED, onStarredFrame);
  configureStars({changed: () => showRooms(), problem: composer.showSendError});
  on(FRAME.EMOJI, onEmojiFrame);
  // Each welcome reads the list again: an emoji added or removed while the page was offline shows.
  on(FRAME.WELCOME, loadCustomEmoji);
  onCustomEmoji(refreshCustomEmoji);
  on(FRAME.THREAD, onThreadFrame);
  on(FRAME.THREAD_REPLY, onThreadReply);
  on(FRAME.SCHEDULED, onScheduledFrame);
  on(FRAME.REMINDER, onReminderFrame);
  on(FRAME.GROUP, onGroupFrame);
  // A group's name or members changed: its mentions, and which are one's own, are read again.
  onGroups(() => reformatMentions(true));
  configureUnread({
    changed: () => showRooms(),
    openRoom: (room) => (room === session.room ? messages.scrollToBottom() : location.assign(roomUrl(room))),
    seenUpTo: messages.lastId,
    seeingNewest: messages.atBottom,
    kindOf: roomKind,
  });
  configure({
    since: messages.lastId,
    closed: () => {
      messages.onClosed();
      people.forgetTypers();
      people.markUnknown();
      forgetPeers();
      composer.requeuePending();
      outbox.onClosed();
    },
    mustAct: (code) => (ROOM_ERRORS.has(code) ? onRoomRefused(code) : identity.onIdentityClosed(code)),
  });
  people.onChange(() => showRooms());
}

// Taken out of the room (forbidden), or it is not one's to see (not_found): nothing to retry,
// the conversation says so and offers the ways out. ``message``: the server's words, if it said any
// (the close that follows an error frame has none).
function onRoomRefused(code, message = "") {
  session.mustAct = true;
  if (code === ERROR.FORBIDDEN) showRemoved(message);
  else showRoomMissing();
}

// The server's words for a guest an administrator removed, or whose address is barred
// (docs/protocol.md, "Version 2: administration").
const GUEST_REMOVED = "an administrator removed you";
// The server's words for an account barred from the room it is in (docs/protocol.md).
const BARRED = "you were barred from";

// Taken out of the room while in it: its messages go from the page, which says why. A guest
// removed by an administrator is told so in the server's words (until when, once it says), and
// offered no other room: guests from its address are kept out of every one.
function showRemoved(message) {
  if (session.roomMissing) return;
  messages.forgetRoom();
  const guestRemoved = typeof message === "string" && message.startsWith(GUEST_REMOVED);
  const barred = typeof message === "string" && message.startsWith(BARRED);
  session.barred = barred; // the close that follows says so too
  ui.roomMissingTitle.textContent = guestRemoved
    ? "An administrator removed you"
    : barred
      ? "You were barred from this room"
      : "You are no longer a member of this room";
  ui.roomMissingHelp.textContent = guestRemoved
    ? `${message.charAt(0).toUpperCase()}${message.slice(1)}.`
    : barred
      ? "Its owner or an administrator barred you: you can neither read nor write in it until they lift the bar."
      : "Someone who manages it took you out: ask them if you should be in it.";
  showRoomMissing();
  if (guestRemoved) ui.roomMissingLobby.hidden = true;
}

// The room does not exist, or is not one's to see (the server answers both
// alike): no welcome comes, yet the page stays one's own (the account, its
// rooms, what it may do) and the conversation says so, with the ways out.
async function showRoomMissing() {
  if (session.roomMissing) return; // its error frame, then the close
  session.roomMissing = true;
  ui.roomMissing.hidden = false;
  // A live region that was hidden is not read as it shows: the page's own announcer says it, unless
  // the status already says why (a page that was in the room: connection.js).
  if (!welcomedOnce()) announce(`${ui.roomMissingTitle.textContent}. ${ui.roomMissingHelp.textContent}`);
  ui.roomMissingLobby.hidden = session.room === "lobby";
  ui.people.hidden = true; // nobody is in a room that is not there
  composer.showWritable();
  showRooms();
  await identity.showAccount();
  showAccountActions(refreshMessageActions);
  offerAdministration();
  refreshRooms();
}

function wirePage() {
  ui.scroller.addEventListener("scroll", messages.onScroll, {passive: true});
  new ResizeObserver(() => messages.atBottom() && messages.scrollToBottom()).observe(ui.scroller);
  ui.loadEarlier.addEventListener("click", messages.requestEarlier);
  ui.pill.addEventListener("click", () => {
    messages.scrollToBottom();
    ui.text.focus();
  });
  ui.roomMissingRooms.addEventListener("click", showYourRooms);
  ui.retry.addEventListener("click", () => {
    resetBackoff();
    retryNow();
  });
  window.addEventListener("online", () => {
    resetBackoff();
    retryNow();
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) messages.onVisible();
    markSeenSoon();
  });
  // Reading: the newest message on screen while the page is looked at marks the room read.
  ui.scroller.addEventListener("scroll", markSeenSoon, {passive: true});
  window.addEventListener("focus", markSeenSoon);
  composer.wireComposer();
  wireSound();
  drafts.wireDrafts({typed: composer.typedSincePending, shown: composer.fitTextBox, changed: () => showRooms()});
  wireLightbox();
  wireMentionCompletion();
  const threadBox = document.getElementById("thread-text");
  wireEmojiCompletion([ui.text, threadBox]);
  wireSlashCommands();
  wireCompletion(ui.text, ui.completionList, ui.composer);
  const threadList = document.getElementById("thread-completion-list");
  wireCompletion(threadBox, threadList, document.getElementById("thread-composer"));
  identity.wireIdentity();
  wireRooms();
  wireRoomDialogs();
  wireRoomSwitcher();
  wireShortcuts();
  wireSearch();
  wireSaved();
  wireStars();
  wireScheduled();
  wireReminders();
  wireForward();
  wireThreads();
  wireThreadFollow();
  wireThreadTools(on);
  wireThreadsView();
  wireSettings(currentEntry);
  wireAdministration();
  wireAddEmoji();
  wirePollForm();
  wireGroups();
}

function start() {
  routeFrames();
  wirePage();
  messages.updateTitle();
  const problem = roomProblem(session.room);
  if (problem) {
    setStatus("offline", "Offline", "Not connected: this room name cannot be used.");
    ui.roomError.textContent = `“${session.room}” cannot be a room: ${problem}. Pick another one.`;
    toggleDrawer(true);
    ui.roomName.focus();
    return;
  }
  recallIdentity();
  refreshRooms();
  if (session.jwtRequired ? session.token : session.nick !== null) return connect();
  session.mustAct = true;
  setStatus(
    "offline",
    "Offline",
    session.jwtRequired ? "Not connected: a token is needed." : "Not connected: choose a nick.",
  );
  identity.askForIdentity("");
}

start();

// What this page may add to the room it shows: nothing in an archived room (read only), and, in a
// room where only its owner and administrators post (its entry's ``posting`` is "managers": an
// announcements room), reactions and deleting one's own messages for everyone else, whose message
// box gives way to a line saying so (chatroom/access.py holds the same rules; the server refuses
// what this page would not offer). Whether this page's person manages the room is learnt once: an
// administrator does; anyone else is its owner when the room's member list says so. Until that is
// known, the box stays closed: nothing is offered on a guess.

import {isAdministrator} from "./admin_api.js";
import {ownMembership} from "./api.js";
import {showWritable} from "./composer.js";
import {ui} from "./dom.js";
import {refreshTopic} from "./room_topic.js";
import {mayChangeMessages, mayWrite, session} from "./session.js";

let manager = null; // the promise of whether this page's person manages the room; null: not asked yet
let shown = null; // the room's entry shown last
let lastChanged = () => {};

// Whether this page's person manages ``room``: an administrator does; anyone else when the room's member
// list names them its owner (the forward dialog asks it of the rooms it offers).
export async function managesRoom(room) {
  if (await isAdministrator()) return true;
  const {membership} = await ownMembership(room);
  return membership?.role === "owner";
}

const learnManager = () => managesRoom(session.room);

// Not before the page knows it speaks for an account (account_actions.js asks as the room list is
// fetched): a guess made before would stick. Until then, nobody here manages the room.
function managing() {
  if (!session.isAccount) return Promise.resolve(false);
  manager ??= learnManager();
  return manager;
}

// The page now knows whether it is an account's: the room's entry is shown again with that known.
export function accountKnown() {
  if (shown) showVoice(shown, lastChanged);
}

// The room's entry (or null) turned what the page may add: the header's marks, the message box and,
// through ``changed``, the messages' actions, all at once.
export function showVoice(entry, changed) {
  shown = entry;
  lastChanged = changed;
  const managers = Boolean(entry && entry.posting === "managers");
  ui.roomArchived.hidden = !(entry && entry.archived);
  // Nobody says hello in a read-only room.
  ui.empty.textContent =
    entry && entry.archived ? "No messages here: the room is archived." : "No messages here yet. Say hello!";
  ui.roomAnnounce.hidden = !managers;
  apply({readOnly: Boolean(entry && entry.archived), listening: managers}, changed);
  if (!managers) return;
  managing().then((manages) => shown === entry && apply({readOnly: session.readOnly, listening: !manages}, changed));
}

function apply({readOnly, listening}, changed) {
  const could = [mayWrite(), mayChangeMessages()];
  session.readOnly = readOnly;
  session.listening = listening;
  showWritable();
  refreshTopic(); // who may post sets the topic
  if (mayWrite() !== could[0] || mayChangeMessages() !== could[1]) changed();
}

// The names this page knows in the room: who is online, who has written, the
// room's members (GET /api/rooms/{room}/members, when one may read them) and
// oneself. Mentions are read against them, and the composer offers them.
// Authors' names may be old ones (an account renamed since): the accounts
// whose name starts with what is typed (GET /api/accounts?prefix=) say which
// names are current.

import {apiCall} from "./api.js";
import {groupNames, myGroupKeys} from "./groups.js";
import {nickKey} from "./protocol.js";
import {session} from "./session.js";

const known = new Map(); // nickKey -> the name as its owner writes it
let membersOf = "";
let memberCount = null; // how many members membersOf has, once its members came
let memberKeys = null; // the keys of membersOf's members (as many as the answer lists), once they came
let arriving = null; // the call for membersOf's members, while under way
let learned = () => {};
let pending = false;

// ``fn()`` once after names were learned (at most once a frame).
export function onNewNames(fn) {
  learned = fn;
}

export function noteNames(names) {
  let added = false;
  for (const name of names) {
    if (typeof name !== "string" || !name || known.has(nickKey(name))) continue;
    known.set(nickKey(name), name);
    added = true;
  }
  if (!added || pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    learned();
  });
}

export const knownNames = () => [...known.values()];

// What message text is read with: the known names and the groups', who is reading and the groups they are in.
export const textContext = () => ({
  names: [...knownNames(), session.myNick, ...groupNames()].filter(Boolean),
  me: session.myNick,
  groups: myGroupKeys(),
});

// Only an account may list a room's members: signed in here, by token, or known to be one.
const mayListMembers = () => Boolean(session.account || session.jwtRequired || session.isAccount);

// The room's members, asked for once per room (an outsider gets none, which is fine):
// true once they came in answer to this call, or to the call still under way
// (the welcome asks; "@" typed before the answer comes learns of it too).
export function loadMembers() {
  if (membersOf === session.room) return arriving || Promise.resolve(false);
  if (!mayListMembers()) return Promise.resolve(false);
  membersOf = session.room;
  memberCount = null;
  memberKeys = null;
  const call = askForMembers(session.room);
  arriving = call;
  call.then(() => arriving === call && (arriving = null));
  return call;
}

async function askForMembers(room) {
  const answer = await apiCall("GET", `/api/rooms/${encodeURIComponent(room)}/members`);
  if (!answer.ok || !answer.body || !Array.isArray(answer.body.members)) return false;
  const names = answer.body.members.map((member) => member && member.name).filter((name) => typeof name === "string");
  noteNames(names);
  if (room === membersOf) memberKeys = new Set(names.map(nickKey));
  if (room === membersOf && Number.isInteger(answer.body.count)) memberCount = answer.body.count;
  return true;
}

// How many people of this room a mention of all of it notifies, oneself aside (null: not known yet).
export function othersInRoom() {
  if (membersOf !== session.room || memberCount === null) return null;
  return Math.max(0, memberCount - 1);
}

// Whether the account called ``name`` is a member of this room (null: not known yet).
export function inRoom(name) {
  if (membersOf !== session.room || memberKeys === null) return null;
  return memberKeys.has(nickKey(name));
}

// --- current accounts ----------------------------------------------------------------

const ACCOUNTS_ASKED = 10;
const ACCOUNTS_KEPT_MS = 30 * 1000; // a rename since is seen on the next look after this
const accountsBy = new Map(); // prefix key -> {at, keys: the accounts' name keys, complete, asking}

// What the last answer for ``prefix`` said, when it is fresh: {keys, complete} (complete: every
// account whose name starts so is among ``keys``), or null.
export function accountsStarting(prefix) {
  const known = accountsBy.get(nickKey(prefix));
  return known && known.keys && Date.now() - known.at < ACCOUNTS_KEPT_MS ? known : null;
}

// Asks for the accounts whose name starts with ``prefix`` unless a fresh answer is there or on its
// way: true once a new answer came (the names are learned too: an account away who never wrote).
export function lookUpAccounts(prefix) {
  const key = nickKey(prefix);
  const known = accountsBy.get(key);
  if (!mayListMembers() || (known && (known.asking || accountsStarting(prefix)))) return Promise.resolve(false);
  const entry = {at: 0, keys: null, complete: false, asking: true};
  accountsBy.set(key, entry);
  return askForAccounts(prefix, entry);
}

async function askForAccounts(prefix, entry) {
  const query = new URLSearchParams({prefix, limit: String(ACCOUNTS_ASKED)});
  const answer = await apiCall("GET", `/api/accounts?${query}`);
  entry.asking = false;
  if (!answer.ok || !answer.body || !Array.isArray(answer.body.accounts)) return false;
  const names = answer.body.accounts.map((account) => account && account.name).filter((n) => typeof n === "string");
  Object.assign(entry, {at: Date.now(), keys: new Set(names.map(nickKey)), complete: names.length < ACCOUNTS_ASKED});
  noteNames(names);
  return true;
}

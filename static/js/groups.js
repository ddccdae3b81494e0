// The server's groups (``GET /api/groups``, docs/protocol.md "Groups"): each
// a name mentioned as one (``@designers``), a description and its members,
// kept up to date by ``group`` frames. Mentions read the names, completion
// offers them, and a mention of a group one is in stands out as one's own.
// Guests have no groups: the page asks only for an account.

import {apiCall} from "./api.js";
import {nickKey} from "./protocol.js";
import {session} from "./session.js";
import {frameTold, keepTold, lookupAsked} from "./told.js";

const groups = new Map(); // nickKey(name) -> {name, description, by, ts, members}
const listeners = new Set();

const isEntry = (entry) => entry && typeof entry.name === "string" && Array.isArray(entry.members);

// ``listener()`` after each change (mentions read again, the dialog, completion).
export function onGroups(listener) {
  listeners.add(listener);
}

function changed() {
  for (const listener of listeners) listener();
}

// Every group, by name.
export const allGroups = () => [...groups.values()].sort((a, b) => (nickKey(a.name) < nickKey(b.name) ? -1 : 1));
export const groupNamed = (name) => groups.get(nickKey(String(name))) || null;
export const groupNames = () => [...groups.values()].map((group) => group.name);
export const isMember = (group, name = session.myNick) =>
  Boolean(name) && group.members.some((member) => nickKey(member) === nickKey(name));
// The names (folded) of the groups this page's person is in: their mentions are the person's own.
export const myGroupKeys = () => new Set(allGroups().filter((group) => isMember(group)).map((g) => g.name.toLowerCase()));

// ``loaded``: the groups came once (until then a mention's reach is not known); ``arriving``: the call.
const reading = {loaded: false, arriving: null};

export function loadGroups() {
  if (!session.isAccount) return Promise.resolve();
  const call = readGroups();
  reading.arriving = call;
  return call;
}

// The list as the server has it, but for the groups a frame told of since it was asked (told.js).
async function readGroups() {
  const asked = lookupAsked();
  const answer = await apiCall("GET", "/api/groups");
  if (!answer.ok || !Array.isArray(answer.body?.groups)) return;
  const listed = new Map();
  for (const entry of answer.body.groups) if (isEntry(entry)) listed.set(nickKey(entry.name), entry);
  const kept = keepTold("group", asked, listed, groups);
  groups.clear();
  for (const [key, entry] of kept) groups.set(key, entry);
  reading.loaded = true;
  changed();
}

// Whether the page knows the groups (a guest has none); ``groupsRead()`` settles once the call under way does.
export const groupsKnown = () => !session.isAccount || reading.loaded;
export const groupsRead = () => reading.arriving || Promise.resolve();

// A ``group`` frame: the group pages knew as ``name`` is now ``group`` (created, changed, renamed), or gone.
export function onGroupFrame(frame) {
  if (typeof frame.name !== "string") return;
  frameTold("group", nickKey(frame.name));
  groups.delete(nickKey(frame.name));
  if (isEntry(frame.group)) {
    frameTold("group", nickKey(frame.group.name));
    groups.set(nickKey(frame.group.name), frame.group);
  }
  changed();
}

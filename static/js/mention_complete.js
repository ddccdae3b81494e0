// Mentions in the message box and a thread's reply box: typing "@" and the start of a name offers the
// room's people (static/js/roster.js) in the box's suggestions
// (static/js/completion.js): who is online and the accounts of that name
// first, then names only remembered from messages, and not those no account
// has any more (a rename's old name). Choosing one puts "@Name " in the box.
// After the people, the groups whose name starts so ("designers — group, 5
// people": static/js/groups.js), then "@room" (notify everyone in this room) when what is typed
// starts it or one of its aliases ("@channel", "@everyone", "@all"), and "@here"
// (notify who is online) when it starts "here".

import {addSource, refresh} from "./completion.js";
import {element} from "./dom.js";
import {nickKey} from "./protocol.js";
import {isHere} from "./people.js";
import {allGroups, groupNamed, onGroups} from "./groups.js";
import {HERE, ROOM} from "./mentions.js";
import {accountsStarting, knownNames, loadMembers, lookUpAccounts, othersInRoom} from "./roster.js";
import {isOwn} from "./session.js";

const MAX_SHOWN = 8;
const ROOM_WORDS = ["room", "channel", "everyone", "all"];
const LOOK_BACK = 40; // a name has at most 32 characters
// "@" where a mention may start (static/js/mentions.js), then what is typed of the name, up to the caret.
const TYPED = /(?:^|[^\p{L}\p{N}\p{M}_.\-@/])@([\p{L}\p{N}\p{M}_. -]{0,33})$/u;

// How sure the page is that a name is someone's now: online or an account (0), only
// remembered (1), or no account's any more (2: an answer naming every account so called lacks it).
function standing(name, typed) {
  const key = nickKey(name);
  const accounts = accountsStarting(typed);
  if (isHere(name) || (accounts && accounts.keys.has(key))) return 0;
  return accounts && accounts.complete && key.startsWith(nickKey(typed)) ? 2 : 1;
}

// The names that start with ``typed``, or whose later word does; oneself never; current names first.
export function candidates(typed, names) {
  const key = nickKey(typed);
  const found = [];
  for (const name of names) {
    if (isOwn(name)) continue;
    const nameKey = nickKey(name);
    const starts = nameKey.startsWith(key);
    if (!starts && !nameKey.split(" ").some((word) => word.startsWith(key))) continue;
    const rank = standing(name, typed);
    if (rank < 2) found.push({name, nameKey, order: rank * 2 + (starts ? 0 : 1)});
  }
  found.sort((a, b) => a.order - b.order || (a.nameKey < b.nameKey ? -1 : a.nameKey > b.nameKey ? 1 : 0));
  return found.slice(0, MAX_SHOWN).map((candidate) => candidate.name);
}

function typedMention(box) {
  const to = box.selectionStart;
  const before = box.value.slice(Math.max(0, to - LOOK_BACK), to);
  const match = before.match(TYPED);
  // Names have single spaces inside: a space first, last or twice is past the name.
  if (!match || /^ | $|  /.test(match[1])) return null;
  return {typed: match[1], from: to - match[1].length - 1, to};
}

// The room's members and the accounts of that name come from the server: the list follows them.
function offered({typed}) {
  loadMembers().then((loaded) => loaded && refresh());
  lookUpAccounts(typed).then((answered) => answered && refresh());
  const people = candidates(typed, knownNames());
  const key = typed.toLowerCase();
  const many = [ROOM_WORDS.some((word) => word.startsWith(key)) && ROOM, "here".startsWith(key) && HERE];
  return [...people, ...groupsStarting(typed), ...many.filter(Boolean)];
}

// The groups whose name (or a later word of it) starts with ``typed``, those starting so first.
function groupsStarting(typed) {
  const key = nickKey(typed);
  const matching = allGroups().filter((group) => nickKey(group.name).split(" ").some((word) => word.startsWith(key)));
  const starts = (group) => (nickKey(group.name).startsWith(key) ? 0 : 1);
  return matching
    .sort((a, b) => starts(a) - starts(b))
    .slice(0, MAX_SHOWN)
    .map((group) => group.name);
}

// A group in the list: "designers — group, 5 people".
function groupOffer(group) {
  const count = group.members.length;
  const hint = ` — group, ${count.toLocaleString("en")} ${count === 1 ? "person" : "people"}`;
  return [element("bdi", "", group.name), element("span", "offer-hint", hint)];
}

function offerContent(name) {
  if (name === ROOM) return roomOffer();
  if (name === HERE) return hereOffer();
  const group = groupNamed(name);
  return group ? groupOffer(group) : [element("bdi", "", name)];
}

// "@room" in the list: what it does, and to how many when known.
function roomOffer() {
  const others = othersInRoom();
  const many = others === null ? "" : `, ${others.toLocaleString("en")} ${others === 1 ? "person" : "people"}`;
  return [element("bdi", "", ROOM), element("span", "offer-hint", ` notify everyone in this room${many}`)];
}

function hereOffer() {
  return [element("bdi", "", HERE), element("span", "offer-hint", " notify who is online")];
}

export function wireMentionCompletion() {
  onGroups(refresh); // "@cre" typed before the groups came offers @crew once they do
  addSource({
    name: "mention",
    label: "People to mention",
    find: typedMention,
    candidates: offered,
    content: offerContent,
    insertion: (name) => (name === ROOM || name === HERE ? name : `@${name}`),
    key: (name) => name,
  });
}

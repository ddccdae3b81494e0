// Who a message mentions: ``@`` and a known name (docs/protocol.md, "Message
// text"). Pure, so the message list, unread badges and notifications all use
// one rule; chatroom/mentions.py is the same rule on the server.
//
// The ``@`` starts the text or follows a character that is not a letter,
// digit, mark or one of _ . - @ / (so "bob@ada.org" and "x.com/@ada" mention
// nobody). The name is the longest known one that the text continues with,
// compared without case, ending where the text ends or before a character
// that is not a letter, digit, mark or _ (so "@ada," and "@ada." mention Ada,
// "@adam" does not). Names may hold spaces: "@Ada Lovelace" is Ada Lovelace
// when she is known, else Ada when she is.
//
// "@room" and its aliases "@channel", "@everyone" and "@all" mention the whole
// room by the same rule (so "x@all.com" mentions nobody), read before any
// person's name: their mention's ``name`` is ROOM. "@here" (those online in the
// room when it is sent) likewise, its ``name`` HERE. A group (static/js/groups.js)
// is a name like a person's: "@designers" mentions each of its members.

const WORD = /[\p{L}\p{N}\p{M}_]/u;
const NOT_BEFORE_AT = /[\p{L}\p{N}\p{M}_.\-@/]/u;

const fold = (text) => text.toLowerCase();

// What a mention of the whole room is called: no person's name starts with "@".
export const ROOM = "@room";
export const HERE = "@here";
const ROOM_WORDS = ["room", "channel", "everyone", "all"];

// The known names by length (UTF-16 units), longest first, each length's by its folded form:
// a few lookups for each "@", however many names there are.
function index(names) {
  const byLength = new Map();
  for (const [word, name] of [...ROOM_WORDS.map((w) => [w, ROOM]), ["here", HERE]]) {
    if (!byLength.has(word.length)) byLength.set(word.length, new Map());
    byLength.get(word.length).set(word, name);
  }
  for (const name of names) {
    if (typeof name !== "string" || !name) continue;
    if (!byLength.has(name.length)) byLength.set(name.length, new Map());
    const folded = byLength.get(name.length);
    if (!folded.has(fold(name))) folded.set(fold(name), name);
  }
  return [...byLength].sort((a, b) => b[0] - a[0]);
}

function charBefore(text, at) {
  if (at === 0) return "";
  const code = text.charCodeAt(at - 1);
  const low = code >= 0xdc00 && code <= 0xdfff && at >= 2;
  return low ? text.slice(at - 2, at) : text[at - 1];
}

function nameAt(text, at, byLength) {
  for (const [length, names] of byLength) {
    const end = at + length;
    if (end > text.length || (end < text.length && WORD.test(String.fromCodePoint(text.codePointAt(end))))) continue;
    const name = names.get(fold(text.slice(at, end)));
    if (name !== undefined) return {name, length};
  }
  return null;
}

// [{start, end, name}] for every mention in ``text`` of one of ``names``:
// ``start`` is the ``@``'s index, ``end`` just past the name (UTF-16 units),
// ``name`` the name as given in ``names``.
export function mentions(text, names) {
  const byLength = index(names);
  const found = [];
  let at = text.indexOf("@");
  while (at !== -1) {
    const before = charBefore(text, at);
    const known = before && NOT_BEFORE_AT.test(before) ? null : nameAt(text, at + 1, byLength);
    if (known) found.push({start: at, end: at + 1 + known.length, name: known.name});
    at = text.indexOf("@", known ? at + 1 + known.length : at + 1);
  }
  return found;
}

// Whether a mention found is of many at once (the whole room, or those online in it).
export const isGroup = (found) => found.name === ROOM || found.name === HERE;

// Whether ``text`` mentions ``name`` (compared without case), a group of theirs (``groups``: the folded
// names of the groups they are in), the whole room, or those online in it.
export function mentionsName(text, names, name, groups = new Set()) {
  return mentions(text, names).some(
    (found) => isGroup(found) || fold(found.name) === fold(name) || groups.has(fold(found.name)),
  );
}

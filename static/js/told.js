// What a frame told (a person's status, paused notifications, being an
// administrator; a custom emoji, a group, a block, a saved message, a star) is newer
// than the answer to a lookup or a list asked before the frame came: the
// server may have read that answer before the change. A lookup takes a mark
// as it is asked (``lookupAsked``) and its answer leaves alone what a frame
// told since (``toldSince``, ``keepTold``).

let frames = 0; // frames told of so far
// What was told, and of which key (a name's, an emoji's, a message's) -> the frame that last told it.
const toldAt = new Map();

// A mark of now, taken as a lookup is asked.
export const lookupAsked = () => frames;

// A frame told ``what`` of the name key ``key``.
export function frameTold(what, key) {
  toldAt.set(`${what} ${key}`, ++frames);
}

// Whether a frame told ``what`` of ``key`` after the lookup marked ``asked`` was asked.
export const toldSince = (what, key, asked) => (toldAt.get(`${what} ${key}`) || 0) > asked;

// The keys a frame told ``what`` of since the lookup marked ``asked`` was asked.
function toldKeysSince(what, asked) {
  const keys = new Set();
  const prefix = `${what} `;
  for (const [told, at] of toldAt) if (at > asked && told.startsWith(prefix)) keys.add(told.slice(prefix.length));
  return keys;
}

// A list's answer (``answer``, a Map by key) with the page's own entries (``now``) for the keys a frame told
// ``what`` of since it was asked (``asked``): present or absent as the frame left them.
export function keepTold(what, asked, answer, now) {
  for (const key of toldKeysSince(what, asked)) {
    if (now.has(key)) answer.set(key, now.get(key));
    else answer.delete(key);
  }
  return answer;
}

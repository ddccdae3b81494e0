// What a frame told of a person (a status, paused notifications, being an
// administrator) is newer than the answer to a lookup asked before the frame
// came: the server may have read that answer before the change. A lookup
// takes a mark as it is asked (``lookupAsked``) and its answer leaves alone
// what a frame told since (``toldSince``).

let frames = 0; // frames told of so far
const toldAt = new Map(); // what was told, and of whom (a name key) -> the frame that last told it

// A mark of now, taken as a lookup is asked.
export const lookupAsked = () => frames;

// A frame told ``what`` of the name key ``key``.
export function frameTold(what, key) {
  toldAt.set(`${what} ${key}`, ++frames);
}

// Whether a frame told ``what`` of ``key`` after the lookup marked ``asked`` was asked.
export const toldSince = (what, key, asked) => (toldAt.get(`${what} ${key}`) || 0) > asked;

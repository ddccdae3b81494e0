// Whether the other people of this direct room are online anywhere: the
// server's ``peer`` frames (docs/protocol.md, "Direct rooms: is the other
// person online"), one per person when the page connects and whenever it
// changes. Known for this connection's room only, and forgotten when the
// connection goes: what was true before it may not be now.

import {nickKey} from "./protocol.js";
import {session} from "./session.js";

const online = new Map(); // nick key -> whether that person is online anywhere

// A ``peer`` frame: true when it concerns this room.
export function onPeer(frame) {
  if (frame.room !== session.room || typeof frame.name !== "string" || typeof frame.online !== "boolean") {
    return false;
  }
  online.set(nickKey(frame.name), frame.online);
  return true;
}

// Whether the server said ``name`` is online (false when it has not said).
export const isOnline = (name) => online.get(nickKey(name)) === true;

// The connection is gone: the next one is told again.
export function forgetPeers() {
  online.clear();
}

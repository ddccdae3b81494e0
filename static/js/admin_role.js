// Someone was made an administrator of the server, or no longer is one (an admin frame): the mark
// beside their name follows at once, wherever this page shows it. When it is this page's own person,
// much of what the page offers changes with it (the Administration panel, deleting anyone's message,
// the rooms' settings): the page loads again, as the server has closed its connections for them to come
// back with their new rights.

import {adminTold} from "./admin_marks.js";
import {announce} from "./dom.js";
import {isOwn} from "./session.js";

const RELOAD_AFTER_MS = 1500; // time to read, or hear, why

export function onAdminFrame(frame) {
  if (typeof frame.name !== "string" || typeof frame.admin !== "boolean") return;
  adminTold(frame.name, frame.admin);
  if (!isOwn(frame.name)) return;
  announce(
    frame.admin
      ? "You are now an administrator of this server: the page reloads."
      : "You are no longer an administrator of this server: the page reloads.",
  );
  setTimeout(() => location.reload(), RELOAD_AFTER_MS);
}

// Who administers the server, marked where the page shows a name: beside an
// author's name on messages, in the online list and in a room's member list.
// ``Administrator`` or ``admin.`` beside an administrator ``admin`` are other
// names (docs/security.md, "Names"): the mark is how people tell them apart.
//
// Whether an account is an administrator is asked of the server, never kept on
// messages: the lookups the page makes anyway for colours and pictures
// (/api/accounts, asked again for the names shown after every reconnect) and
// the member list say ``admin``, so the marks are as the server says now; someone made an
// administrator, or no longer one, is told at once by an ``admin`` frame (admin_role.js), which no
// answer to a lookup asked before it undoes (told.js).
// Marks are text, with a tooltip and a name for screen readers, not colour.

import {element} from "./dom.js";
import {nickKey} from "./protocol.js";
import {frameTold, toldSince} from "./told.js";

const admins = new Set(); // name keys of the accounts the server said are administrators

// The place of ``nick``'s mark: empty, unless and while the server says that account is an
// administrator (nothing of it shows, or is read, for anyone else).
export function adminMark(nick) {
  const node = element("span", "admin-mark");
  node.dataset.adminOf = nickKey(nick);
  show(node, admins.has(node.dataset.adminOf));
  return node;
}

// An ``admin`` frame told that ``nick`` is an administrator now, or no longer: every mark follows.
export function adminTold(nick, admin) {
  frameTold("admin", nickKey(nick));
  learnAdmin(nick, admin);
}

// What a lookup or a member list said of ``nick``'s account, unless a frame told otherwise since it was
// asked (``asked``, told.js): every mark of the name follows.
export function learnAdmin(nick, admin, asked = Infinity) {
  const key = nickKey(nick);
  if (admin === admins.has(key) || toldSince("admin", key, asked)) return;
  if (admin) admins.add(key);
  else admins.delete(key);
  for (const node of document.querySelectorAll(".admin-mark[data-admin-of]")) {
    if (node.dataset.adminOf === key) show(node, admin);
  }
}

function show(node, admin) {
  if (!admin) return node.replaceChildren();
  const badge = element("span", "badge admin", "admin");
  badge.title = "An administrator of this server";
  badge.setAttribute("role", "img");
  badge.setAttribute("aria-label", "administrator");
  node.replaceChildren(" ", badge);
}

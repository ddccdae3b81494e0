// The moderation history in the administration panel: who did what to whom,
// newest first, in words ("ann deactivated bob"), a page at a time with
// "More". The server keeps no deleted message's text, so none shows here.
// Every name reaches the page as text, never as markup.

import {adminCall} from "./admin_api.js";
import {element, nickElement, timeElement} from "./dom.js";

const $ = (id) => document.getElementById(id);
const PAGE = "/api/admin/moderation?limit=20";
let following = null; // the next page's address, or null at the oldest act
let say = () => {};

export function wireActs(note) {
  say = note;
  $("admin-acts-more").addEventListener("click", more);
}

export async function renderActs() {
  const page = await adminCall("GET", PAGE);
  $("admin-acts").replaceChildren(...page.acts.map(actItem));
  $("admin-acts-none").hidden = page.acts.length > 0;
  showMore(page.next);
}

async function more() {
  try {
    const page = await adminCall("GET", following);
    $("admin-acts").append(...page.acts.map(actItem));
    showMore(page.next);
  } catch (error) {
    say(error.message);
  }
}

function showMore(next) {
  following = next;
  $("admin-acts-more").hidden = !next;
}

const room = (act) => ` #${act.room}`;

// What each act says between its two names, and after the second.
const WORDS = {
  deactivate: () => [" deactivated ", ""],
  reactivate: () => [" reactivated ", ""],
  remove_member: (act) => [" took ", ` out of${room(act)}`],
  remove_guest: (act) => [" removed the guest ", ` from${room(act)}`],
  delete_message: (act) => [" deleted a message of ", ` in${room(act)}`],
  delete_everything: () => [" deleted the messages and reactions of ", ""],
  bar: (act) => [" barred ", ` from${room(act)}`],
  lift_bar: (act) => [" lifted the bar on ", ` in${room(act)}`],
  make_admin: () => [" made ", " an administrator"],
  remove_admin: () => [" took the administration from ", ""],
  remove_emoji: () => [" removed a custom emoji ", " had added"],
  manage_group: () => [" changed a group of ", ""],
  sign_out: () => [" signed ", " out everywhere"],
};

function actItem(act) {
  const item = element("li");
  const [between, after] = (WORDS[act.act] || (() => [` ${act.act} `, ""]))(act);
  const detail = act.detail ? ` (${act.detail})` : "";
  item.append(
    nickElement(act.actor),
    between,
    nickElement(act.subject),
    `${after}${detail} `,
    timeElement(act.ts),
  );
  return item;
}

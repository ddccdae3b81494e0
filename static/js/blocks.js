// People one blocked (docs/security.md, "Blocking"). Their messages still
// come to this page, as everyone's in the room do: hiding them is the
// page's, each behind a line that shows it on request. "Block" is in a
// message's actions; the list, each with "Unblock", in the account menu.
// Another tab of one's own that blocks or unblocks tells this one (a block frame).

import {apiCall, serverMessage} from "./api.js";
import {announce, element, textNode, ui} from "./dom.js";
import {nickKey} from "./protocol.js";

const $ = (id) => document.getElementById(id);
const shown = {list: $("blocks-list"), none: $("blocks-none"), note: $("blocks-note")};
let names = []; // the blocked people's names, earliest block first
let keys = new Set(); // their nick keys

export const isBlocked = (nick) => keys.has(nickKey(nick));

// A message by a blocked person (never a guest's, who may not hold an account's name) is hidden.
export function hideIfBlocked(item) {
  const hide = item.dataset.guest !== "1" && keys.has(item.dataset.nick);
  item.classList.toggle("blocked", hide);
  const note = item.querySelector(":scope > .blocked-note");
  if (hide && !note) item.append(blockedNote(item));
  if (!hide) {
    note?.remove();
    item.classList.remove("revealed");
  }
}

function blockedNote(item) {
  const note = element("div", "blocked-note");
  const show = element("button", "link-button", "show");
  show.type = "button";
  show.addEventListener("click", (event) => {
    event.stopPropagation();
    item.classList.add("revealed");
  });
  note.append(textNode("Message from a person you blocked — "), show);
  return note;
}

function take(list) {
  names = list;
  keys = new Set(list.map(nickKey));
  for (const item of ui.list.querySelectorAll("li.msg")) hideIfBlocked(item);
  showList();
}

// The list as the server has it now (an account's page, when it opens a room).
export async function loadBlocks() {
  const answer = await apiCall("GET", "/api/me/blocks");
  if (answer.ok && Array.isArray(answer.body.blocks)) take(answer.body.blocks.map((entry) => String(entry.name)));
}

// Another tab of one's own blocked or unblocked someone.
export function onBlockFrame(frame) {
  if (typeof frame.name !== "string") return;
  const others = names.filter((name) => nickKey(name) !== nickKey(frame.name));
  take(frame.blocked === true ? [...others, frame.name] : others);
}

async function change(method, name) {
  const answer = await apiCall(method, `/api/me/blocks/${encodeURIComponent(name)}`);
  if (!answer.ok) {
    const why = serverMessage(answer);
    announce(why);
    shown.note.textContent = why;
    return false;
  }
  take(answer.body.blocks.map((entry) => String(entry.name)));
  return true;
}

export async function blockPerson(name) {
  if (await change("PUT", name)) announce(`You blocked ${name}: their messages are hidden. Unblock in your account menu.`);
}

export async function unblockPerson(name) {
  if (await change("DELETE", name)) announce(`You unblocked ${name}.`);
}

function showList() {
  if (!shown.list) return;
  shown.note.textContent = "";
  shown.none.hidden = names.length > 0;
  shown.list.replaceChildren(
    ...names.map((name) => {
      const row = element("li", "block-row");
      const unblock = element("button", "link-button", "Unblock");
      unblock.type = "button";
      unblock.setAttribute("aria-label", `Unblock ${name}`);
      unblock.addEventListener("click", () => unblockPerson(name));
      row.append(element("bdi", "nick", name), textNode(" "), unblock);
      return row;
    }),
  );
}

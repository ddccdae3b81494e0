// The closed rooms part of the administration panel: each closed room with
// how many members it has; opening one lists its members (a page at a time), to take one out or
// add someone (adding oneself is how an administrator comes to read it, and
// the member list shows it). Messages are never shown here.

import {adminCall} from "./admin_api.js";
import {element, linkButton as button} from "./dom.js";

const $ = (id) => document.getElementById(id);
let say = () => {};

export function wireRooms(note) {
  say = note;
}

export async function renderRooms() {
  const {rooms} = await adminCall("GET", "/api/admin/rooms?limit=500");
  $("admin-rooms").replaceChildren(...rooms.map(roomItem));
  $("admin-rooms-none").hidden = rooms.length > 0;
}

function roomItem(room) {
  const item = element("li", room.archived ? "inactive" : "");
  const members = element("ul", "admin-members");
  members.hidden = true;
  const toggle = button("Members", () => showMembers(room, members, toggle));
  toggle.setAttribute("aria-expanded", "false");
  const count = `${room.members} member${room.members === 1 ? "" : "s"}${room.member ? ", you among them" : ""}`;
  item.append(element("bdi", "nick", `#${room.title}`), element("span", "hint", ` (${count}) `), toggle, members);
  return item;
}

async function showMembers(room, list, toggle) {
  const open = list.hidden;
  list.hidden = !open;
  toggle.setAttribute("aria-expanded", String(open));
  if (!open) return;
  try {
    const {members, next} = await adminCall("GET", `/api/rooms/${encodeURIComponent(room.room)}/members`);
    list.replaceChildren(...members.map((member) => memberItem(room, member)), ...moreItem(room, next), addForm(room));
  } catch (error) {
    say(error.message);
  }
}

// A room of more members than a page (docs/protocol.md: a hundred) offers the next page, which comes
// in place of the offer, above the form to add someone.
function moreItem(room, next) {
  if (!next) return [];
  const item = element("li");
  item.append(
    button("More members", async () => {
      try {
        const page = await adminCall("GET", next);
        item.replaceWith(...page.members.map((member) => memberItem(room, member)), ...moreItem(room, page.next));
      } catch (error) {
        say(error.message);
      }
    }),
  );
  return [item];
}

function memberItem(room, member) {
  const item = element("li");
  item.append(
    element("bdi", "nick", member.name),
    " ",
    button("Take out", () => change("DELETE", room, `/members/${encodeURIComponent(member.name)}`)),
  );
  return item;
}

function addForm(room) {
  const item = element("li");
  const form = element("form", "row");
  const field = element("input");
  field.setAttribute("aria-label", `Add someone to #${room.title} by name`);
  field.maxLength = 32;
  field.spellcheck = false;
  const add = element("button", "", "Add");
  add.type = "submit";
  form.append(field, add);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = field.value.trim();
    if (name) change("POST", room, "/members", {name});
  });
  item.append(form);
  return item;
}

async function change(method, room, tail, body) {
  try {
    await adminCall(method, `/api/rooms/${encodeURIComponent(room.room)}${tail}`, body);
    say(method === "POST" ? `Added to #${room.title}.` : `Taken out of #${room.title}.`);
    await renderRooms();
  } catch (error) {
    say(error.message);
  }
}

// The account menu's "Groups" (docs/protocol.md, "Groups"): every group with
// how many are in it and Join or Leave; a new one made from its name and what
// it is for; one group opened shows its members, and to its creator and the
// administrators, Add a member (the people picker, static/js/picker.js),
// Remove, a new name or description, and Delete. Every page of every person
// follows each change (static/js/groups.js); the server has the last word,
// said in its words. Names are text, never markup.

import {isAdministrator} from "./admin_api.js";
import {apiCall, failure} from "./api.js";
import {element, linkButton} from "./dom.js";
import {allGroups, groupNamed, isMember, onGroupFrame, onGroups} from "./groups.js";
import {PeoplePicker} from "./picker.js";
import {isOwn, session} from "./session.js";

const $ = (id) => document.getElementById(id);
const state = {open: null, admin: false}; // the name of the group shown, if one is

const groupPath = (name) => `/api/groups/${encodeURIComponent(name)}`;
const memberPath = (name, person) => `${groupPath(name)}/members/${encodeURIComponent(person)}`;
const people = (count) => `${count.toLocaleString("en")} ${count === 1 ? "person" : "people"}`;
const mayManage = (group) => state.admin || (group.by !== null && isOwn(group.by));

function showError(answer) {
  $("groups-error").textContent = answer && !answer.ok ? failure(answer) : "";
  return Boolean(answer?.ok);
}

// An answer's group is known at once (its frame may come later): ``was`` the name it had before.
async function call(method, path, body, was = null) {
  const answer = await apiCall(method, path, body);
  if (answer.ok && answer.body?.group) onGroupFrame({name: was ?? answer.body.group.name, group: answer.body.group});
  return showError(answer) ? answer : null;
}

function joinButton(group, className = "link-button") {
  const mine = isMember(group);
  const button = element("button", className, mine ? "Leave" : "Join");
  button.type = "button";
  button.setAttribute("aria-label", `${mine ? "Leave" : "Join"} @${group.name}`);
  button.addEventListener("click", () => call(mine ? "DELETE" : "PUT", memberPath(group.name, session.myNick)));
  return button;
}

function groupItem(group) {
  const item = element("li", "group-item");
  const about = element("div", "group-about");
  const open = linkButton(`@${group.name}`, () => showGroup(group.name));
  open.classList.add("group-open");
  open.setAttribute("aria-label", `@${group.name}, ${people(group.members.length)}: open`);
  const line = element("span", "hint", `${people(group.members.length)}${group.description ? " · " : ""}`);
  if (group.description) line.append(element("bdi", "", group.description));
  about.append(open, line);
  item.append(about, joinButton(group));
  return item;
}

function showAll() {
  const groups = allGroups();
  $("groups-list").replaceChildren(...groups.map(groupItem));
  $("groups-none").hidden = groups.length > 0;
}

function memberItem(group, name, manage) {
  const item = element("li");
  item.append(element("bdi", "nick", name));
  if (isOwn(name)) item.append(element("span", "hint", "you"));
  else if (manage) {
    const remove = linkButton("Remove", () => call("DELETE", memberPath(group.name, name)));
    remove.setAttribute("aria-label", `Remove ${name} from @${group.name}`);
    item.append(remove);
  }
  return item;
}

function showOne(group) {
  const manage = mayManage(group);
  $("group-name").textContent = `@${group.name}`;
  const by = group.by === null ? "" : `Made by ${group.by}. `;
  $("group-about").textContent = `${group.description ? group.description + " · " : ""}${by}${people(group.members.length)}.`;
  $("group-join").replaceWith(Object.assign(joinButton(group, "secondary"), {id: "group-join"}));
  $("group-members").replaceChildren(...group.members.map((name) => memberItem(group, name, manage)));
  $("group-members-none").hidden = group.members.length > 0;
  if ($("group-delete").dataset.asked !== group.name) $("group-delete").textContent = "Delete group";
  $("group-add-form").hidden = !manage;
  $("group-edit-form").hidden = !manage;
  if (document.activeElement !== $("group-edit-name") && document.activeElement !== $("group-edit-description")) {
    $("group-edit-name").value = group.name;
    $("group-edit-description").value = group.description;
  }
}

// The view the dialog shows now, after a change anywhere.
function redraw() {
  if (!$("groups-dialog").open) return;
  const group = state.open === null ? null : groupNamed(state.open);
  if (state.open !== null && !group) state.open = null; // deleted meanwhile
  $("groups-all").hidden = group !== null;
  $("group-one").hidden = group === null;
  if (group) showOne(group);
  else showAll();
}

function showGroup(name) {
  state.open = name;
  delete $("group-delete").dataset.asked;
  showError(null);
  redraw();
  $("group-back").focus();
}

export async function openGroups() {
  $("account-dialog")?.close();
  state.open = null;
  state.admin = Boolean(await isAdministrator());
  showError(null);
  $("groups-dialog").showModal();
  redraw();
}

async function create(event) {
  event.preventDefault();
  const name = $("group-create-name").value.trim();
  const answer = await call("POST", "/api/groups", {name, description: $("group-create-description").value});
  if (!answer) return $("group-create-name").focus();
  $("group-create-form").reset();
  showGroup(answer.body.group.name);
}

async function edit(event) {
  event.preventDefault();
  const group = groupNamed(state.open);
  if (!group) return;
  const body = {name: $("group-edit-name").value.trim(), description: $("group-edit-description").value};
  state.open = null; // while the answer comes: a frame of the rename shows the list, not a group gone
  const answer = await call("PATCH", groupPath(group.name), body, group.name);
  state.open = answer ? answer.body.group.name : group.name;
  redraw();
}

// Delete asks once more on the button itself ("Really delete @designers?"), then deletes.
async function remove() {
  const group = groupNamed(state.open);
  const button = $("group-delete");
  if (!group) return;
  if (button.dataset.asked !== group.name) {
    button.dataset.asked = group.name;
    button.textContent = `Really delete @${group.name}?`;
    return;
  }
  if (await call("DELETE", groupPath(group.name))) {
    state.open = null;
    onGroupFrame({name: group.name, group: null}); // and redrawn
  }
}

export function wireGroups() {
  const dialog = $("groups-dialog");
  if (!dialog) return;
  const picker = new PeoplePicker($("group-add"), $("group-add-suggestions"), $("group-add-chips"), {
    onChange: async (chosen) => {
      if (!chosen.length || state.open === null) return;
      picker.reset();
      for (const name of chosen) if (!(await call("PUT", memberPath(state.open, name)))) break;
    },
    onProblem: (problem) => ($("groups-error").textContent = problem),
  });
  $("group-add-form").addEventListener("submit", (event) => {
    event.preventDefault();
    picker.take($("group-add").value);
  });
  $("groups-open").addEventListener("click", openGroups);
  $("group-create-form").addEventListener("submit", create);
  $("group-edit-form").addEventListener("submit", edit);
  $("group-delete").addEventListener("click", remove);
  $("group-back").addEventListener("click", () => {
    state.open = null;
    redraw();
    $("groups-list").querySelector("button")?.focus();
  });
  for (const node of dialog.querySelectorAll("[data-close]")) node.addEventListener("click", () => dialog.close());
  // A group renamed or deleted elsewhere while shown: the view goes back to the list (redraw).
  onGroups(redraw);
}

// The room settings dialog: its members (add, remove, bar: room_bars.js), its title (rename), its topic (anyone who
// may post in it sets it: room_topic.js),
// archive or bring back, who posts in it (everyone, or only its owner and administrators), whether
// everyone is in it (an administrator's choice, for an open room), whether one starred it (stars.js),
// how one is notified of it, and leaving it. Only what one may do is offered
// (the server's rules, chatroom/access.py, from what the page knows: one's role in the member list,
// whether one administers the server); a change refused all the same shows the server's reason.

import {isAdministrator} from "./admin_api.js";
import {adminMark, learnAdmin} from "./admin_marks.js";
import {apiCall, failure, ownMembership, roomPath} from "./api.js";
import {element} from "./dom.js";
import {PeoplePicker} from "./picker.js";
import {barButton, loadBars, onBarsChanged, wireBars} from "./room_bars.js";
import {maySetTopic, topicOf} from "./room_topic.js";
import {roomLabel} from "./rooms.js";
import {isOwn, session} from "./session.js";
import {isStarred, mayStar, starRoom} from "./stars.js";
import {learnMarks, statusMark} from "./status.js";
import {lookupAsked} from "./told.js";
import {chooseLevel, levelOf} from "./unread.js";

const $ = (id) => document.getElementById(id);

// ``members``: the pages of the room's member list shown so far (null until loaded: nothing is offered on
// a guess); ``own``: this person's membership, asked apart, as they may be on a page not shown; ``next``:
// the address of the following page (null after the last).
const state = {entry: null, members: null, own: null, next: null, administrator: false};
let asked = 0; // the latest list asked for: an answer to an older filter, or for a room left, is dropped
let filtering = null; // the pause after a keystroke in "Find a member" before the server is asked

function myMembership() {
  return state.members && state.own;
}

// The owner or an administrator renames, archives and changes the members of an open or closed room;
// nobody does so to a direct conversation.
function mayManage() {
  if (!state.entry || state.entry.kind === "direct" || state.members === null) return false;
  return state.administrator || myMembership()?.role === "owner";
}

// Leaving is for members: reading an open room is not being in it, so there is nothing to leave.
function offerWhatOneMay() {
  const manage = mayManage();
  $("rename-form").hidden = !manage;
  $("add-member-form").hidden = !manage;
  $("archive-room").hidden = !manage;
  $("posting-choice").hidden = !manage;
  $("room-mentions-choice").hidden = !manage;
  // Every person's rooms change with it: an administrator's alone, and only an open room's.
  $("everyone-in-choice").hidden = !(manage && state.administrator && state.entry.kind === "open");
  $("leave-room").hidden = !myMembership();
  $("topic-form").hidden = !(state.entry && state.entry.room === session.room && maySetTopic());
}

function showError(answer) {
  $("settings-error").textContent = answer ? failure(answer) : "";
}

// Taking oneself out is "Leave room"; others are taken out by those who manage the room.
function memberItem(member, manage, marks) {
  const item = element("li", "member");
  item.append(element("bdi", "nick", member.name));
  learnAdmin(member.name, member.admin === true, marks);
  item.append(adminMark(member.name), statusMark(member.name));
  if (member.role === "owner") item.append(element("span", "badge", "owner"));
  if (member.bot) item.append(element("span", "badge", "bot"));
  if (manage && !isOwn(member.name)) {
    const remove = element("button", "link-button", "Remove");
    remove.type = "button";
    remove.setAttribute("aria-label", `Remove ${member.name}`);
    remove.addEventListener("click", () => removeMember(member.name));
    item.append(remove);
    // Nobody bars the room's owner, nor an administrator (the server says so when asked).
    if (member.role !== "owner") item.append(barButton(member.name));
  }
  return item;
}

// ``upTo``: after a change, the pages are read again as far as they had been (as many members at least),
// so the list does not fall back to its first page under the person reading it.
async function loadMembers({upTo = 0} = {}) {
  const ask = ++asked;
  const marks = lookupAsked();
  const prefix = $("member-filter").value.trim();
  const query = prefix ? `?prefix=${encodeURIComponent(prefix)}` : "";
  const [answer, own, administrator] = await Promise.all([
    apiCall("GET", roomPath(session.room) + "/members" + query),
    ownMembership(session.room),
    isAdministrator(),
  ]);
  if (ask !== asked) return;
  const members = answer.ok ? answer.body.members : null;
  let next = answer.ok ? answer.body.next : null;
  while (members && next && members.length < upTo) {
    const more = await apiCall("GET", next);
    if (ask !== asked) return;
    if (!more.ok) break;
    members.push(...more.body.members);
    next = more.body.next;
  }
  state.administrator = administrator;
  state.own = own.membership;
  state.members = members;
  state.next = next;
  const manage = mayManage();
  learnMarks(state.members || [], marks);
  $("settings-members").replaceChildren(...(state.members || []).map((member) => memberItem(member, manage, marks)));
  showCount(answer.ok ? answer.body.count : null, prefix);
  offerWhatOneMay();
  if (!answer.ok) showError(answer);
  await loadBars(manage);
}

// "1,234 members", and below the list, whether a filter found nobody and whether more follow.
function showCount(count, prefix) {
  const many = count === null ? "" : `${count.toLocaleString("en")} member${count === 1 ? "" : "s"}`;
  $("settings-member-count").textContent = many;
  const nobody = state.members !== null && !state.members.length && prefix;
  $("settings-members-none").textContent = nobody ? `No member's name starts with “${prefix}”.` : "";
  $("more-members").hidden = !state.next;
}

async function moreMembers() {
  const ask = asked;
  const marks = lookupAsked();
  const answer = await apiCall("GET", state.next);
  if (ask !== asked) return;
  if (!answer.ok) return showError(answer);
  const manage = mayManage();
  state.members.push(...answer.body.members);
  state.next = answer.body.next;
  learnMarks(answer.body.members, marks);
  $("settings-members").append(...answer.body.members.map((member) => memberItem(member, manage, marks)));
  // The keyboard was on "More", gone after the last page: it goes back to finding a member.
  if (!state.next) $("member-filter").focus();
  $("more-members").hidden = !state.next;
}

// The list again after a member was added, removed or barred, or a bar lifted: the pages read so far,
// with the filter typed, and the dialog scrolled where it was.
async function reloadMembers() {
  const dialog = $("settings-dialog");
  const top = dialog.scrollTop;
  await loadMembers({upTo: state.members?.length || 0});
  dialog.scrollTop = top;
}

function filterSoon() {
  clearTimeout(filtering);
  filtering = setTimeout(() => loadMembers(), 250);
}

const removeButtons = () => [...$("settings-members").querySelectorAll("button:not(.danger)")];

async function removeMember(name) {
  const answer = await apiCall("DELETE", `${roomPath(session.room)}/members/${encodeURIComponent(name)}`);
  if (!answer.ok) return showError(answer);
  showError(null);
  const at = removeButtons().indexOf(document.activeElement);
  await reloadMembers();
  // The keyboard was on the button that went: it goes on to the next member's, else to adding one.
  if (at !== -1) (removeButtons()[at] || removeButtons().at(-1) || $("add-member")).focus();
}

async function addMembers(names) {
  for (const name of names) {
    const answer = await apiCall("POST", roomPath(session.room) + "/members", {name});
    if (!answer.ok) return showError(answer);
  }
  showError(null);
  reloadMembers();
}

async function change(body) {
  const answer = await apiCall("PATCH", roomPath(session.room), body);
  if (!answer.ok) return showError(answer);
  showError(null);
  fill(answer.body);
}

// Two presses: the first asks "are you sure?" on the button itself.
async function leave() {
  const button = $("leave-room");
  if (!button.dataset.armed) {
    button.dataset.armed = "yes";
    button.textContent = "Press again to leave";
    return;
  }
  const answer = await apiCall("DELETE", `${roomPath(session.room)}/members/${encodeURIComponent(session.myNick)}`);
  if (!answer.ok) return showError(answer);
  location.assign("?room=lobby");
}

function fill(entry) {
  state.entry = entry;
  delete $("leave-room").dataset.armed;
  $("leave-room").textContent = entry.kind === "direct" ? "Leave conversation" : "Leave room";
  const direct = entry.kind === "direct";
  $("settings-title").textContent = direct ? "Conversation settings" : "Room settings";
  $("settings-room").textContent = roomLabel(entry);
  const kinds = {
    open: "Open room: everyone with an account can see and join it.",
    closed: "Closed room: only its members see it.",
    direct: "Direct messages: only the people in it see it.",
  };
  const managers = entry.posting === "managers";
  const posting = managers ? " Only its owner and administrators post." : "";
  const everyone = entry.everyone_in ? " Everyone is in it: new people join it too." : "";
  const archived = entry.archived ? " Archived: read only." : "";
  $("settings-kind").textContent = kinds[entry.kind] + posting + everyone + archived;
  $("settings-managers").checked = managers;
  $("settings-room-mentions").value = entry.room_mentions === "managers" ? "managers" : "everyone";
  $("settings-everyone-in").checked = entry.everyone_in === true;
  offerWhatOneMay();
  $("archive-room").textContent = entry.archived ? "Bring back" : "Archive";
  $("rename-title").value = entry.title && entry.title !== entry.room ? entry.title : "";
  $("settings-topic").value = topicOf(entry);
  $("notify-level").value = levelOf(entry.room);
  $("star-choice").hidden = !mayStar();
  $("settings-starred").checked = isStarred(entry.room);
}

export function openSettings(entry) {
  state.members = null;
  $("member-filter").value = "";
  $("bars-section").hidden = true;
  fill(entry || {room: session.room, kind: "open", title: session.room, archived: false});
  showError(null);
  $("settings-dialog").showModal();
  loadMembers();
}

export function wireSettings(currentEntry) {
  const picker = new PeoplePicker($("add-member"), $("add-member-suggestions"), $("add-member-chips"), {
    onChange: (chosen) => {
      if (!chosen.length) return;
      addMembers([...chosen]);
      picker.reset();
    },
    onProblem: (problem) => ($("settings-error").textContent = problem),
  });
  $("add-member-form").addEventListener("submit", (event) => {
    event.preventDefault();
    picker.take($("add-member").value);
  });
  $("topic-form").addEventListener("submit", (event) => {
    event.preventDefault();
    change({topic: $("settings-topic").value});
  });
  $("rename-form").addEventListener("submit", (event) => {
    event.preventDefault();
    change({title: $("rename-title").value});
  });
  $("archive-room").addEventListener("click", () => change({archived: !state.entry.archived}));
  $("settings-managers").addEventListener("change", (event) =>
    change({posting: event.target.checked ? "managers" : "everyone"}),
  );
  $("settings-room-mentions").addEventListener("change", (event) => change({room_mentions: event.target.value}));
  $("settings-everyone-in").addEventListener("change", async (event) => {
    await change({everyone_in: event.target.checked});
    loadMembers(); // turned on, everyone is a member now
  });
  $("leave-room").addEventListener("click", leave);
  $("member-filter").addEventListener("input", filterSoon);
  $("more-members").addEventListener("click", moreMembers);
  wireBars();
  onBarsChanged(reloadMembers);
  $("notify-level").addEventListener("change", async (event) => {
    const answer = await chooseLevel(state.entry.room, event.target.value);
    if (!answer.ok) {
      event.target.value = levelOf(state.entry.room);
      showError(answer);
    }
  });
  $("settings-starred").addEventListener("change", async (event) => {
    const answer = await starRoom(state.entry.room, event.target.checked);
    if (!answer.ok) {
      event.target.checked = isStarred(state.entry.room);
      showError(answer);
    }
  });
  $("settings-close").addEventListener("click", () => $("settings-dialog").close());
  $("room-settings").addEventListener("click", () => openSettings(currentEntry()));
}

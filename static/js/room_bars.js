// The room's bars, in the room settings: who its owner or an administrator keeps out of it, each
// with "Lift", and "Bar from this room" beside a member or for a name typed (someone who writes in
// an open room is seldom its member). Barring asks twice: the first press says who, on the button
// itself. Shown only to those who manage an open or closed room (chatroom/access.py, may_bar); the
// server refuses anyone else all the same, and its reason shows. The same bar is offered in a message's
// "⋯ More actions", on its author.

import {apiCall, failure, roomPath} from "./api.js";
import {announce, element} from "./dom.js";
import {nickKey} from "./protocol.js";
import {roomKind} from "./rooms.js";
import {session} from "./session.js";

const $ = (id) => document.getElementById(id);
let changed = () => {};

// ``fn()`` after a bar or a lift: the member list changes with it.
export function onBarsChanged(fn) {
  changed = fn;
}

function showError(answer) {
  $("settings-error").textContent = answer ? failure(answer) : "";
}

export async function loadBars(manage) {
  $("bars-section").hidden = !manage;
  if (!manage) return;
  const answer = await apiCall("GET", roomPath(session.room) + "/bars");
  const bars = answer.ok ? answer.body.bars : [];
  $("settings-bars").replaceChildren(...bars.map(barItem));
  $("bars-none").hidden = bars.length > 0;
  if (!answer.ok) showError(answer);
}

function barItem(bar) {
  const item = element("li", "member");
  item.append(element("bdi", "nick", bar.name));
  const lift = element("button", "link-button", "Lift");
  lift.type = "button";
  lift.setAttribute("aria-label", `Lift the bar on ${bar.name}`);
  lift.addEventListener("click", () => liftBar(bar.name));
  item.append(lift);
  return item;
}

// Two presses: the first arms the button and says whom it bars.
function armed(button, name) {
  if (button.dataset.armed === name) return true;
  button.dataset.armed = name;
  button.textContent = `Press again to bar ${name}`;
  button.removeAttribute("aria-label"); // what it now says is what it does
  return false;
}

// "Bar" beside a member in the member list.
export function barButton(name) {
  const button = element("button", "link-button danger", "Bar");
  button.type = "button";
  button.setAttribute("aria-label", `Bar ${name} from this room`);
  button.addEventListener("click", () => armed(button, name) && barAccount(name));
  return button;
}

async function barAccount(name) {
  const answer = await apiCall("POST", roomPath(session.room) + "/bars", {name});
  if (!answer.ok) return showError(answer);
  showError(null);
  $("bar-name").value = "";
  resetForm();
  changed();
}

async function liftBar(name) {
  const answer = await apiCall("DELETE", `${roomPath(session.room)}/bars/${encodeURIComponent(name)}`);
  if (!answer.ok) return showError(answer);
  showError(null);
  changed();
}

function resetForm() {
  const button = $("bar-submit");
  delete button.dataset.armed;
  button.textContent = "Bar from this room";
}

export function wireBars() {
  $("bar-name").addEventListener("input", resetForm);
  $("bar-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("bar-name").value.trim();
    if (name && armed($("bar-submit"), name)) barAccount(name);
  });
}

// --- "Bar NAME from this room" in a message's "⋯ More actions" --------------------------------------

// Whether the author of message ``item`` may be offered for barring, as far as the page knows at once (the
// actions' module asks whether this page's person manages the room): an open or closed room, and an
// account's message (a bot's too, never a guest's) that is not marked an administrator's.
export function mayOfferBar(item) {
  const admin = item.querySelector(".meta .admin-mark")?.hasChildNodes();
  return roomKind(session.room) !== "direct" && item.dataset.guest !== "1" && !admin;
}

// The menu's item: ``make(symbol, words, title, action, key)`` makes it as the menu's others are; ``done()``
// once barred.
export function barOffer(name, make, done) {
  const words = `Bar ${name} from this room`;
  const button = make("⛔", words, words, (node) => pressBar(node, name, done), "bar");
  showUnlessOwner(button, name);
  return button;
}

// Nor is the room's owner barred (nor an administrator the page had not marked): ``button`` shows once the
// member list says the author is neither.
async function showUnlessOwner(button, name) {
  button.hidden = true;
  const prefix = encodeURIComponent(name);
  const answer = await apiCall("GET", `${roomPath(session.room)}/members?prefix=${prefix}&limit=5`);
  if (!answer.ok) return;
  const member = answer.body.members.find((m) => nickKey(m.name) === nickKey(name));
  button.hidden = Boolean(member && (member.role === "owner" || member.admin === true));
  // Shown after the menu was scrolled into sight: the newest message's menu hangs below the list.
  if (!button.hidden) button.closest(".msg-actions")?.scrollIntoView({block: "nearest"});
}

// Two presses, as in the room settings. A refusal says the server's reason on the button, and aloud.
async function pressBar(button, name, done) {
  if (!armed(button, name)) return;
  const answer = await apiCall("POST", roomPath(session.room) + "/bars", {name});
  if (!answer.ok) {
    button.textContent = failure(answer);
    return announce(failure(answer));
  }
  announce(`${name} is barred from this room.`);
  changed();
  done();
}

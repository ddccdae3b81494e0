// The administration panel: people (deactivate, reactivate, sign out everywhere, make or remove an
// administrator, a link to a new password for someone who forgot theirs, delete all they wrote),
// closed rooms' members (admin_rooms.js), guest access (admin_settings.js), guests (remove
// and bar), bots (admin_bots.js) and the moderation history (admin_acts.js).
// Shown only to administrators.
// Every name reaches the page as text, never as markup.

import {renderActs, wireActs} from "./admin_acts.js";
import {adminCall, isAdministrator} from "./admin_api.js";
import {renderBots, wireBots} from "./admin_bots.js";
import {renderRooms, wireRooms} from "./admin_rooms.js";
import {renderSettings, wireSettings} from "./admin_settings.js";
import {copyField} from "./clipboard.js";
import {element} from "./dom.js";
import {isOwn, session} from "./session.js";

const $ = (id) => document.getElementById(id);
let asked = false;

// Once connected: ask whether we administer, and if so show the button.
export async function offerAdministration() {
  if (asked) return;
  asked = true;
  if (await isAdministrator()) $("admin-open").hidden = false;
}

export function wireAdministration() {
  $("admin-open").addEventListener("click", openPanel);
  $("admin-close").addEventListener("click", () => $("admin-dialog").close());
  $("guest-form").addEventListener("submit", removeGuest);
  $("person-form").addEventListener("submit", createPerson);
  $("person-link-copy").addEventListener("click", copyPersonLink);
  wireBots(say);
  wireRooms(say);
  wireSettings(say);
  wireActs(say);
}

async function openPanel() {
  $("admin-dialog").showModal();
  $("guest-room").value = $("guest-room").value || session.room;
  await refresh();
}

async function refresh() {
  try {
    const {accounts} = await adminCall("GET", "/api/admin/accounts?limit=500");
    renderPeople(accounts.filter((account) => account.kind === "person"));
    await renderRooms();
    await renderBots();
    await renderSettings();
    await renderActs();
  } catch (error) {
    say(error.message);
  }
}

// A short note of what happened, read out to screen readers.
function say(text) {
  $("admin-note").textContent = text;
}

function renderPeople(people) {
  $("admin-people").replaceChildren(...people.map(personItem));
}

// Oneself is marked "you", with nothing to press: the server refuses an administrator's deactivating
// their own account.
function personItem(person) {
  const item = element("li", person.active ? "" : "inactive");
  const me = session.account ? session.account.id === person.id : isOwn(person.name);
  const marks = [person.admin ? "administrator" : "", person.active ? "" : "deactivated", me ? "you" : ""];
  const said = marks.filter(Boolean).join(", ");
  item.append(element("bdi", "nick", person.name), element("span", "hint", said ? ` (${said})` : ""));
  if (me) return item;
  const actions = element("span", "person-actions");
  actions.append(activeButton(person), " ", deleteMessagesButton(person));
  if (person.active) actions.append(passwordLinkButton(person));
  if (person.active && person.kind === "person") {
    actions.append(" ", signOutButton(person), " ", roleButton(person));
  }
  item.append(" ", actions);
  return item;
}

// Someone forgot their password: a one-time link (for a day) to choose a new one, shown where a new
// person's link is, for the administrator to hand over. The old password works until it is used.
function passwordLinkButton(person) {
  const button = element("button", "link-button", "Password link");
  button.type = "button";
  button.setAttribute("aria-label", `New password link for ${person.name}`);
  button.addEventListener("click", async () => {
    try {
      const answer = await adminCall("POST", `/api/admin/accounts/${person.id}/reset-link`);
      showPersonLink(answer.account.name, answer.url);
      say(`Hand the link to ${answer.account.name}: with it they choose a new password.`);
    } catch (error) {
      say(error.message);
    }
  });
  return button;
}

function showPersonLink(name, url) {
  $("person-link-name").textContent = name;
  $("person-link").value = url;
  $("person-link-box").hidden = false;
  $("person-link-box").scrollIntoView({block: "nearest"});
  $("person-link").focus();
  $("person-link").select();
}

function activeButton(person) {
  const button = element("button", "link-button", person.active ? "Deactivate" : "Reactivate");
  button.type = "button";
  button.addEventListener("click", () => {
    // Deactivating signs someone out everywhere: the first click asks to click again.
    if (person.active && button.dataset.armed !== "yes") {
      button.dataset.armed = "yes";
      button.textContent = `Really deactivate ${person.name}?`;
      return;
    }
    setActive(person, !person.active);
  });
  return button;
}

// A lost phone, a password someone else has seen: every session of the person ends at once, on every
// device; they sign in again with their password. The first click asks to click again.
function signOutButton(person) {
  const button = element("button", "link-button", "Sign out");
  button.type = "button";
  button.setAttribute("aria-label", `Sign ${person.name} out everywhere`);
  button.addEventListener("click", async () => {
    if (button.dataset.armed !== "yes") {
      button.dataset.armed = "yes";
      button.textContent = `Really sign ${person.name} out everywhere?`;
      return;
    }
    try {
      const answer = await adminCall("POST", `/api/admin/accounts/${person.id}/sign-out`);
      say(`${person.name} is signed out everywhere (${counted(answer.signed_out, "session")} ended).`);
      await refresh();
    } catch (error) {
      say(error.message);
    }
  });
  return button;
}

// Handing someone the whole server, or taking it back: the first click asks to click again.
function roleButton(person) {
  const words = person.admin ? "Remove administrator" : "Make administrator";
  const button = element("button", "link-button", words);
  button.type = "button";
  button.setAttribute("aria-label", `${words}: ${person.name}`);
  button.addEventListener("click", async () => {
    if (button.dataset.armed !== "yes") {
      button.dataset.armed = "yes";
      button.textContent = person.admin
        ? `Really take the administration from ${person.name}?`
        : `Really make ${person.name} an administrator?`;
      return;
    }
    try {
      await adminCall(person.admin ? "DELETE" : "PUT", `/api/admin/accounts/${person.id}/admin`);
      say(`${person.name} is ${person.admin ? "no longer" : "now"} an administrator.`);
      await refresh();
    } catch (error) {
      say(error.message);
    }
  });
  return button;
}

// A troll's flood and its reactions, in every room, go at once: the first click asks to click again,
// then the server deletes a batch at a time while it says more are left.
function deleteMessagesButton(person) {
  const button = element("button", "link-button", "Delete messages");
  button.type = "button";
  button.setAttribute("aria-label", `Delete every message of ${person.name}`);
  button.addEventListener("click", () => {
    if (button.dataset.armed !== "yes") {
      button.dataset.armed = "yes";
      button.textContent = `Really delete all of ${person.name}'s messages?`;
      return;
    }
    deleteMessages(person, button);
  });
  return button;
}

const counted = (count, what) => `${count} ${what}${count === 1 ? "" : "s"}`;

async function deleteMessages(person, button) {
  button.disabled = true;
  const gone = {messages: 0, reactions: 0};
  const said = () => `${counted(gone.messages, "message")} and ${counted(gone.reactions, "reaction")}`;
  try {
    for (let more = true; more; ) {
      const answer = await adminCall("DELETE", `/api/admin/accounts/${person.id}/messages`);
      gone.messages += answer.deleted;
      gone.reactions += answer.reactions;
      more = answer.more;
    }
    say(`${said()} of ${person.name} deleted.`);
    await renderActs();
  } catch (error) {
    say(`${said()} deleted, then: ${error.message}`);
  }
  delete button.dataset.armed;
  button.textContent = "Delete messages";
  button.disabled = false;
}

async function setActive(person, active) {
  const action = active ? "reactivate" : "deactivate";
  try {
    await adminCall("POST", `/api/admin/accounts/${person.id}/${action}`);
    say(`${person.name} is ${active ? "active again" : "deactivated"}.`);
    await refresh();
  } catch (error) {
    say(error.message);
  }
}

async function removeGuest(event) {
  event.preventDefault();
  const body = {
    room: $("guest-room").value.trim(),
    nick: $("guest-nick").value.trim(),
    minutes: Number.parseInt($("guest-minutes").value, 10) || 0,
  };
  try {
    const answer = await adminCall("POST", "/api/admin/guests/removals", body);
    say(`${answer.nick} was removed from #${answer.room}; their address is barred until ${answer.barred_until_text}.`);
    $("guest-nick").value = "";
    await renderActs();
  } catch (error) {
    say(error.message);
  }
}

// A new person's account: the server answers with a one-time link to choose
// a password, which the administrator hands over (and never sees the password).
async function createPerson(event) {
  event.preventDefault();
  const body = {name: $("person-name").value.trim(), admin: $("person-admin").checked};
  try {
    const answer = await adminCall("POST", "/api/admin/accounts", body);
    showPersonLink(answer.account.name, answer.url);
    $("person-name").value = "";
    $("person-admin").checked = false;
    say(`${answer.account.name} has an account: hand them the link.`);
    await refresh();
  } catch (error) {
    say(error.message);
  }
}

async function copyPersonLink() {
  say((await copyField($("person-link"))) ? "The link is copied." : "Select the link and copy it.");
}

// The account menu of a signed-in person: name and avatar, the profile
// picture (profile_picture.js), rename, a new password, notifications
// (push.js), one's status and paused notifications (status_dialog.js), the people one blocked (blocks.js),
// one's devices (devices.js), the way to one's saved messages (saved.js), signing out (here or everywhere)
// and, for administrators, the join link to hand to new people. Everything goes through the JSON API.

import {askFor, avatarColor, initials, learnColors} from "./avatar.js";
import {apiCall, serverMessage} from "./api.js";
import {loadBlocks} from "./blocks.js";
import {pictureFor} from "./avatar_pictures.js";
import {copyField} from "./clipboard.js";
import {loadDevices} from "./devices.js";
import {forgetDrafts} from "./drafts.js";
import {showProfilePicture, wireProfilePicture} from "./profile_picture.js";
import {showPushState, wirePush} from "./push.js";
import {session} from "./session.js";
import {showOwnStatus, wireStatus} from "./status_dialog.js";

const $ = (id) => document.getElementById(id);
const menu = {
  dialog: $("account-dialog"),
  note: $("account-note"),
  name: $("account-name"),
  avatar: $("account-avatar"),
  close: $("account-close"),
  renameForm: $("account-rename-form"),
  newName: $("account-new-name"),
  passwordForm: $("password-form"),
  signOutOthers: $("sign-out-others"),
  signOut: $("sign-out"),
  signOutEverywhere: $("sign-out-everywhere"),
  joinSection: $("join-link-section"),
  joinUrl: $("join-link-url"),
  joinCopy: $("join-link-copy"),
  joinNew: $("join-link-new"),
  joinRevoke: $("join-link-revoke"),
};

// The note is at the top of the menu: it comes into view from the form at its bottom.
function say(text, bad = false) {
  menu.note.textContent = text;
  menu.note.classList.toggle("bad", bad);
  if (text) menu.note.scrollIntoView({block: "nearest"});
}

function paintAvatar(node, account) {
  node.textContent = initials(account.name);
  node.style.backgroundColor = avatarColor(account.name, account.color);
  node.hidden = false;
  pictureFor(node, account.name);
  askFor(account.name); // which picture it shows
}

// The chip in the header: the account's avatar beside its name.
export function showAccountChip(meAvatar) {
  if (!session.account) return;
  learnColors([session.account]); // one's own messages wear the chip's colour at once
  paintAvatar(meAvatar, session.account);
}

async function loadJoinLink() {
  const answer = await apiCall("GET", "/api/admin/join-links");
  if (!answer.ok) return say(serverMessage(answer), true);
  const newest = answer.body.join_links.at(-1);
  menu.joinUrl.value = newest && newest.url ? newest.url : "";
}

export function openAccountMenu() {
  const account = session.account;
  menu.name.textContent = account.name;
  paintAvatar(menu.avatar, account);
  showProfilePicture((node) => paintAvatar(node, account));
  menu.newName.value = account.name;
  menu.joinSection.hidden = !account.admin;
  say("");
  if (account.admin) loadJoinLink();
  showPushState();
  showOwnStatus();
  loadBlocks();
  loadDevices();
  if (!menu.dialog.open) menu.dialog.showModal();
}

async function onRename(event) {
  event.preventDefault();
  const name = menu.newName.value.trim();
  if (!name || name === session.account.name) return say("Type a new name first.", true);
  const answer = await apiCall("PATCH", "/api/me", {name});
  if (!answer.ok) return say(serverMessage(answer), true);
  location.reload(); // every part of the page (and the socket) takes the new name
}

async function onPassword(event) {
  event.preventDefault();
  const form = new FormData(menu.passwordForm);
  const body = {
    current_password: form.get("current_password"),
    password: form.get("password"),
    password_again: form.get("password_again"),
  };
  if (body.password !== body.password_again) return say("The two new passwords differ.", true);
  if (menu.signOutOthers.checked) body.sign_out_others = "yes";
  const answer = await apiCall("PATCH", "/api/me", body);
  if (!answer.ok) return say(serverMessage(answer), true);
  menu.passwordForm.reset();
  menu.signOutOthers.checked = true;
  // This browser holds a new session: its tabs' sockets are closed to come back with it.
  say(body.sign_out_others ? "Your password is changed, and your other devices are signed out." : "Your password is changed.");
}

async function signOut(path) {
  session.leaving = true; // the socket's close 4401 that follows is expected
  const answer = await apiCall(path === "/api/session" ? "DELETE" : "POST", path);
  if (!answer.ok && answer.status !== 401) {
    session.leaving = false;
    return say(serverMessage(answer), true);
  }
  forgetDrafts();
  location.assign("/signin");
}

async function newJoinLink() {
  const answer = await apiCall("POST", "/api/admin/join-links");
  if (!answer.ok) return say(serverMessage(answer), true);
  menu.joinUrl.value = answer.body.url;
  say("A new join link: the old one no longer works.");
}

async function revokeJoinLinks() {
  const answer = await apiCall("DELETE", "/api/admin/join-links");
  if (!answer.ok) return say(serverMessage(answer), true);
  menu.joinUrl.value = "";
  say("Nobody can join until you make a new link.");
}

async function copyJoinLink() {
  if (!menu.joinUrl.value) return say("There is no join link: make a new one first.", true);
  say((await copyField(menu.joinUrl)) ? "Join link copied." : "Selected: copy it with your keyboard or menu.");
}

export function wireAccountMenu() {
  if (!menu.dialog) return;
  menu.close.addEventListener("click", () => menu.dialog.close());
  menu.renameForm.addEventListener("submit", onRename);
  menu.passwordForm.addEventListener("submit", onPassword);
  menu.signOut.addEventListener("click", () => signOut("/api/session"));
  menu.signOutEverywhere.addEventListener("click", () => signOut("/api/session/everywhere"));
  menu.joinNew.addEventListener("click", newJoinLink);
  menu.joinRevoke.addEventListener("click", revokeJoinLinks);
  menu.joinCopy.addEventListener("click", copyJoinLink);
  wireProfilePicture(say);
  wirePush();
  wireStatus();
}

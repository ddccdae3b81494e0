// "Profile picture" in the account menu: upload one (``PUT /api/me/avatar``
// with the picture's bytes; the server keeps a square cut of it, stripped of
// its metadata) or remove it (``DELETE /api/me/avatar``). Every avatar of
// the account on this page follows at once, and on the others' open pages
// (its own other tabs too) as soon as the server tells them (an ``avatar``
// frame, avatar_pictures.js).

import {apiSendBytes, apiCall} from "./api.js";
import {hasPicture, onPicture, pictureChanged} from "./avatar_pictures.js";
import {nickKey} from "./protocol.js";
import {session} from "./session.js";
import {uploadFailure} from "./upload.js";

const $ = (id) => document.getElementById(id);
const parts = {
  preview: $("picture-preview"),
  upload: $("picture-upload"),
  remove: $("picture-remove"),
  input: $("picture-file"),
};

let say = (text, bad) => {};

function showState() {
  parts.remove.hidden = !hasPicture(session.account.name);
}

// The account has a picture from the moment the server keeps it: "Remove" is there before the picture
// itself is fetched to be shown (which may take a while), not only after.
function showUploaded() {
  parts.remove.hidden = false;
}

// The button the keyboard was on went (disabled while the picture is sent, hidden once there is
// none): the focus, fallen out of the menu, comes back to "Upload a picture".
function keepFocus() {
  if (document.activeElement === document.body && parts.upload.closest("dialog").open) parts.upload.focus();
}

async function upload() {
  const file = parts.input.files[0];
  parts.input.value = "";
  if (!file) return;
  say("Sending the picture…");
  parts.upload.disabled = true;
  const answer = await apiSendBytes("PUT", "/api/me/avatar", file);
  parts.upload.disabled = false;
  keepFocus();
  if (!answer.ok) return say(uploadFailure(answer, file.name), true);
  pictureChanged(session.account.name, answer.body.avatar.id);
  showUploaded();
  say("Your new picture is set.");
}

async function remove() {
  const answer = await apiCall("DELETE", "/api/me/avatar");
  if (!answer.ok && answer.status !== 404) return say(uploadFailure(answer, ""), true);
  pictureChanged(session.account.name, null);
  keepFocus();
  say("Your picture is removed: your initials show again.");
}

// The section shows the account's avatar as it is now.
export function showProfilePicture(paint) {
  paint(parts.preview);
  showState();
}

// ``tell(text, bad)``: the menu's note, for what happened.
export function wireProfilePicture(tell) {
  say = tell;
  parts.upload.addEventListener("click", () => parts.input.click());
  parts.input.addEventListener("change", upload);
  parts.remove.addEventListener("click", remove);
  onPicture((nick) => {
    if (session.account && nickKey(nick) === nickKey(session.account.name)) showState();
  });
}

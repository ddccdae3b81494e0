// Adding a custom emoji (``POST /api/emoji``, a form of its name and image),
// from the emoji picker's "Add emoji…" or the account menu, and removing
// those one added (an administrator: any) from the same dialog's list. The
// server has the last word on the name and the image, said in its words.

import {apiCall, apiSendForm, failure} from "./api.js";
import {customEmoji, customEmojiImage, learnCustomEmoji, onCustomEmoji} from "./custom_emoji.js";
import {announce, element, linkButton} from "./dom.js";
import {session} from "./session.js";

const $ = (id) => document.getElementById(id);
const MAX_BYTES = 256 * 1024;
const NAME = /^[a-z0-9_+-]{1,32}$/;

const form = {
  dialog: $("emoji-add-dialog"),
  form: $("emoji-add-form"),
  name: $("emoji-add-name"),
  file: $("emoji-add-file"),
  preview: $("emoji-add-preview"),
  error: $("emoji-add-error"),
  submit: $("emoji-add-submit"),
  list: $("emoji-list"),
  none: $("emoji-list-none"),
};

export function openAddEmoji() {
  form.form.reset();
  form.error.textContent = "";
  form.preview.hidden = true;
  showList();
  form.dialog.showModal();
  form.name.focus();
}

// The name the page would send, or the reason it would not.
export function nameProblem(name) {
  if (!name) return "Give the emoji a name.";
  if (!NAME.test(name)) return "A name is lower-case letters a-z, digits, _ + and - (at most 32).";
  return "";
}

function fileProblem(file) {
  if (!file) return "Choose an image.";
  return file.size > MAX_BYTES ? "The image is over 256 KB." : "";
}

async function add(event) {
  event.preventDefault();
  const name = form.name.value.trim().replace(/^:|:$/g, "");
  const file = form.file.files[0];
  const problem = nameProblem(name) || fileProblem(file);
  form.error.textContent = problem;
  if (problem) return;
  const body = new FormData();
  body.append("name", name);
  body.append("file", file);
  form.submit.disabled = true;
  const answer = await apiSendForm("POST", "/api/emoji", body);
  form.submit.disabled = false;
  if (!answer.ok) {
    form.error.textContent = failure(answer);
    return;
  }
  learnCustomEmoji(answer.body.emoji);
  announce(`Added :${name}:`);
  form.form.reset();
  form.preview.hidden = true;
  form.name.focus();
}

function previewFile() {
  const file = form.file.files[0];
  form.preview.hidden = !file;
  if (file) form.preview.src = URL.createObjectURL(file);
  // The file's name, as a name may be, unless one was typed already.
  if (file && !form.name.value) form.name.value = nameFromFile(file.name);
}

export function nameFromFile(fileName) {
  const stem = fileName.replace(/\.[^.]*$/, "").toLowerCase();
  return stem.replace(/[^a-z0-9_+-]+/g, "_").slice(0, 32);
}

// Every custom emoji, each with who added it; Remove on one's own (an administrator's: on all).
function showList() {
  const all = customEmoji();
  form.none.hidden = all.length > 0;
  form.list.replaceChildren(...all.map(listItem));
}

function listItem(entry) {
  const item = element("li", "emoji-list-item");
  item.append(customEmojiImage(entry.name), element("span", "emoji-list-name", `:${entry.name}:`));
  if (typeof entry.by === "string") item.append(element("span", "hint", ` by ${entry.by}`));
  if (entry.by === session.myNick || session.account?.admin) {
    const remove = linkButton("Remove", () => removeEmoji(entry.name));
    remove.classList.add("danger");
    remove.setAttribute("aria-label", `Remove :${entry.name}:`);
    item.append(remove);
  }
  return item;
}

async function removeEmoji(name) {
  const answer = await apiCall("DELETE", `/api/emoji/${encodeURIComponent(name)}`);
  form.error.textContent = answer.ok ? "" : failure(answer);
  if (answer.ok) announce(`Removed :${name}:`);
}

export function wireAddEmoji() {
  $("emoji-add-open").addEventListener("click", openAddEmoji);
  form.form.addEventListener("submit", add);
  form.file.addEventListener("change", previewFile);
  form.dialog.querySelector("[data-close]").addEventListener("click", () => form.dialog.close());
  onCustomEmoji(() => form.dialog.open && showList());
}

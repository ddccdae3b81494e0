// Making a poll from the page: "📊 Poll" beside the message box opens a form of a question, its
// options (added and removed) and "Allow several choices". The poll goes as a message in the poll form
// (docs/protocol.md, "Polls") through the outbox, so it waits while the page is offline and a refusal
// is said as a message's. The form checks what the server checks; the server has the last word.

import {announce, element} from "./dom.js";
import * as outbox from "./outbox.js";
import {mayWrite, session} from "./session.js";

const $ = (id) => document.getElementById(id);
const MIN_OPTIONS = 2;
const MAX_OPTIONS = 10;
const MAX_OPTION_CHARS = 100;
const MAX_QUESTION_CHARS = 300;

const form = {
  opener: $("poll-open"),
  dialog: $("poll-dialog"),
  form: $("poll-form"),
  question: $("poll-question"),
  options: $("poll-form-options"),
  add: $("poll-add-option"),
  several: $("poll-several"),
  error: $("poll-error"),
  refCounter: 0,
};

const inputs = () => [...form.options.querySelectorAll("input")];

function optionRow(value = "") {
  const row = element("li", "poll-form-option");
  const input = element("input");
  input.maxLength = MAX_OPTION_CHARS;
  input.value = value;
  const remove = element("button", "link-button poll-remove-option", "Remove");
  remove.type = "button";
  row.append(input, remove);
  remove.addEventListener("click", () => {
    if (inputs().length <= MIN_OPTIONS) return;
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    form.error.textContent = ""; // what it said may have been of the option gone
    renumber();
    next?.querySelector("input").focus();
  });
  return row;
}

// Each option's field and its Remove say which option they are; Remove goes below two, Add above ten.
function renumber() {
  const all = inputs();
  all.forEach((input, index) => {
    input.setAttribute("aria-label", `Option ${index + 1}`);
    input.placeholder = `Option ${index + 1}`;
    const remove = input.nextElementSibling;
    remove.setAttribute("aria-label", `Remove option ${index + 1}`);
    remove.hidden = all.length <= MIN_OPTIONS;
  });
  form.add.hidden = all.length >= MAX_OPTIONS;
}

function addOption() {
  if (inputs().length >= MAX_OPTIONS) return;
  const row = optionRow();
  form.options.append(row);
  renumber();
  row.querySelector("input").focus();
}

export function openPollForm() {
  form.form.reset();
  form.error.textContent = "";
  form.options.replaceChildren(optionRow(), optionRow());
  renumber();
  form.dialog.showModal();
  form.question.focus();
}

// What would be refused, in words, or "" (the server's rules: polls.py).
export function pollProblem(question, options) {
  if (!question) return "Write a question.";
  if ([...question].length > MAX_QUESTION_CHARS) return `A question has at most ${MAX_QUESTION_CHARS} characters.`;
  if (options.length < MIN_OPTIONS) return "A poll needs at least two options.";
  if (options.some((o) => !o)) return "Fill in every option, or remove the empty ones.";
  if (options.some((o) => [...o].length > MAX_OPTION_CHARS)) return `An option has at most ${MAX_OPTION_CHARS} characters.`;
  const keys = options.map((o) => o.toLocaleLowerCase());
  if (new Set(keys).size !== keys.length) return "Two options are the same.";
  return "";
}

export function pollText(question, options, several) {
  return [`${several ? "/poll+" : "/poll"} ${question}`, ...options].join("\n");
}

function create(event) {
  event.preventDefault();
  // One line each: a line break in a field would make two options of one.
  const clean = (value) => value.replace(/\s+/g, " ").trim();
  const question = clean(form.question.value);
  const options = inputs().map((input) => clean(input.value));
  const problem = pollProblem(question, options);
  form.error.textContent = problem;
  if (problem) return;
  const text = pollText(question, options, form.several.checked);
  form.refCounter += 1;
  outbox.add({ref: `poll-${Date.now().toString(36)}-${form.refCounter}`, raw: text, text});
  outbox.pump();
  form.dialog.close();
  announce(`Poll sent: ${question}`);
}

// The 📊 shows to people with an account where they may write (after the welcome, and as that changes).
export function offerPolls() {
  form.opener.hidden = !session.isAccount || !mayWrite();
}

export function wirePollForm() {
  form.opener.addEventListener("click", openPollForm);
  form.add.addEventListener("click", addOption);
  form.form.addEventListener("submit", create);
  form.dialog.querySelector("[data-close]").addEventListener("click", () => form.dialog.close());
  form.dialog.addEventListener("close", () => form.opener.hidden || form.opener.focus());
}

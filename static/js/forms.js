// The account pages' forms (templates/signin.html, setup.html, join.html,
// reset.html): checks a person can be told at once, then the JSON API,
// whose refusals are shown beside the field they are about.

import {apiCall, serverMessage} from "./api.js";
import {copyField} from "./clipboard.js";

const form = document.getElementById("account-form");
const errorLine = document.getElementById("form-error");

const ENDPOINTS = {signin: "/api/session", setup: "/api/setup", join: "/api/join", reset: "/api/reset"};
// Which field a refusal is about, to put the cursor there.
const FIELD_FOR = {
  bad_name: "name",
  name_taken: "name",
  bad_password: "password",
  passwords_differ: "password-again",
  bad_credentials: "password",
};
const MIN_PASSWORD = 10;

function fields() {
  const values = {};
  for (const input of form.querySelectorAll("input[name]")) values[input.name] = input.value;
  return values;
}

function refuse(message, fieldId) {
  errorLine.textContent = message;
  const field = fieldId && document.getElementById(fieldId);
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
    field.select();
  }
}

// What the page can say without asking the server.
function localProblem(values) {
  if ("name" in values && !values.name.trim()) return ["Type your name first.", "name"];
  if (!values.password) return ["Type a password first.", "password"];
  if (!("password_again" in values)) return null;
  if ([...values.password].length < MIN_PASSWORD) {
    return [`A password has at least ${MIN_PASSWORD} characters.`, "password"];
  }
  if (values.password !== values.password_again) return ["The two passwords differ.", "password-again"];
  return null;
}

function done(kind, answer) {
  if (kind === "signin") return location.assign(form.dataset.next || "/");
  if (kind !== "setup") return location.assign("/");
  document.getElementById("form-step").hidden = true;
  document.getElementById("done-step").hidden = false;
  const link = document.getElementById("join-link");
  link.value = answer.body.join_link || "";
  link.focus();
  link.select();
}

async function onSubmit(event) {
  event.preventDefault();
  const kind = form.dataset.form;
  const values = fields();
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const problem = localProblem(values);
  if (problem) return refuse(...problem);
  errorLine.textContent = "";
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  const answer = await apiCall("POST", ENDPOINTS[kind], values);
  button.disabled = false;
  if (answer.ok) return done(kind, answer);
  refuse(serverMessage(answer), FIELD_FOR[answer.body && answer.body.error]);
}

async function copyJoinLink() {
  const link = document.getElementById("join-link");
  const note = document.getElementById("copy-note");
  note.textContent = (await copyField(link)) ? "Copied." : "Selected: copy it with your keyboard or menu.";
}

if (form) {
  form.addEventListener("submit", onSubmit);
  const first = form.querySelector("input:not([type=hidden])");
  if (first) first.focus();
}
const copy = document.getElementById("copy-join-link");
if (copy) copy.addEventListener("click", copyJoinLink);

// Who one joins as: the nick prompt (or, when the server requires tokens,
// the token prompt), the "you are" chip that opens it again, and what a
// refused name or token means.

import {connect, resetBackoff} from "./connection.js";
import {ui} from "./dom.js";
import {nickKey, nickProblem, normalizeNick} from "./protocol.js";
import {explain} from "./refusals.js";
import {rememberIdentity, session} from "./session.js";

export function askForIdentity(problem) {
  const jwt = session.jwtRequired;
  ui.joinError.textContent = problem || "";
  ui.nickField.hidden = jwt;
  ui.tokenField.hidden = !jwt;
  ui.joinCancel.hidden = !session.connected;
  if (!jwt) ui.nick.value = session.nick || session.myNick || "";
  if (!ui.dialog.open) ui.dialog.showModal();
  const field = jwt ? ui.token : ui.nick;
  field.focus();
  field.select();
}

function closeJoinDialog() {
  if (ui.dialog.open) ui.dialog.close();
}

function onJoinSubmit(event) {
  event.preventDefault();
  if (session.jwtRequired) {
    const token = ui.token.value.trim();
    if (!token) return void (ui.joinError.textContent = "Paste your access token first.");
    session.token = token;
  } else {
    const nick = normalizeNick(ui.nick.value);
    const problem = nick ? nickProblem(nick) : "";
    if (problem) return void (ui.joinError.textContent = `That nick does not work: ${problem}.`);
    if (session.connected && nickKey(nick) === nickKey(session.myNick)) return closeJoinDialog();
    session.nick = nick;
  }
  ui.joinError.textContent = "";
  closeJoinDialog();
  resetBackoff();
  connect();
  ui.text.focus();
}

export function onWelcome(frame) {
  rememberIdentity();
  closeJoinDialog();
  ui.me.hidden = false;
  ui.meNick.textContent = frame.nick;
}

// The server refused the name or the token: its error frame says why.
export function onIdentityRefused(frame) {
  session.mustAct = true;
  askForIdentity(explain(frame.code, frame.message));
}

// The close after such a refusal (the prompt is open already if its error frame came first).
export function onIdentityClosed(code) {
  if (!ui.dialog.open) askForIdentity(explain(code));
}

export function wireIdentity() {
  ui.me.addEventListener("click", () => askForIdentity(""));
  ui.joinForm.addEventListener("submit", onJoinSubmit);
  ui.joinCancel.addEventListener("click", closeJoinDialog);
  ui.dialog.addEventListener("cancel", (event) => {
    if (!session.connected) event.preventDefault(); // someone must be chosen first
  });
}

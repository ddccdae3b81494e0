// Who one joins as: the nick prompt (or, when the server requires tokens,
// the token prompt), the "you are" chip that opens it again, and what a
// refused name or token means.

import {openAccountMenu, showAccountChip, wireAccountMenu} from "./account.js";
import {apiCall} from "./api.js";
import {connect, resetBackoff, retryLater, setStatus} from "./connection.js";
import {ui} from "./dom.js";
import {ERROR, nickKey, nickProblem, normalizeNick} from "./protocol.js";
import {explain} from "./refusals.js";
import {rememberIdentity, session} from "./session.js";

export function askForIdentity(problem) {
  if (session.account) return; // an account's name is its own: nothing to choose
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

// A signed-in page whose session ended elsewhere (signed out everywhere, or
// the account deactivated) says why, the server's words, and offers to sign
// in again and come back here; it does not reconnect. The close that follows
// the error frame has no words of its own: the first reason stays.
function sessionEnded(message) {
  if (message) session.endedBecause = message;
  const why = session.endedBecause || "your session has ended";
  setStatus("offline", "Signed out", `${why.charAt(0).toUpperCase()}${why.slice(1)}.`);
  ui.signInAgain.href = `/signin?${new URLSearchParams({next: location.pathname + location.search})}`;
  ui.signInAgain.hidden = false;
}

export function onWelcome(frame) {
  rememberIdentity();
  closeJoinDialog();
  showMe(frame.nick);
  // An account renamed in another tab or device: this tab came back under the new name.
  if (session.account && frame.nick !== session.account.name) {
    session.account.name = frame.nick;
    showAccountChip(ui.meAvatar);
  }
}

function showMe(nick) {
  ui.me.hidden = false;
  ui.meNick.textContent = nick;
}

// Who the page is when no welcome says it (the room was refused): the
// account the cookie or token speaks for, asked of the server, in the chip.
// A token that holds is kept, as a welcome keeps it, for the next room.
export async function showAccount() {
  const answer = await apiCall("GET", "/api/me");
  const name = answer.ok && answer.body && answer.body.account ? answer.body.account.name : null;
  if (typeof name !== "string") return;
  session.myNick = name;
  rememberIdentity();
  showMe(name);
}

// The server refused the name or the token: its error frame says why.
export function onIdentityRefused(frame) {
  session.mustAct = true;
  if (session.account) return accountRefused(frame.code, frame.message);
  if (tokenNameHeld(frame.code)) return nameHeld(frame.message);
  askForIdentity(explain(frame.code, frame.message));
}

// A token's name is the token's (its ``sub``), as an account's is: held, there is no other to choose.
const tokenNameHeld = (code) => code === ERROR.NICK_TAKEN && session.jwtRequired;

// An account is refused: signed out (sign in again), its name held for now, or something to read.
function accountRefused(code, message) {
  if (session.leaving) return; // signing out here: the page is on its way to /signin
  if (code === ERROR.UNAUTHORIZED) return sessionEnded(message);
  if (code === ERROR.NICK_TAKEN) return nameHeld(message);
  setStatus("offline", "Offline", explain(code, message));
}

// Someone else in the room holds the account's name (or a look-alike): an account cannot pick
// another, so the page says why (the error frame) and, once closed, tries again until they leave.
const held = {why: ""};
function nameHeld(message) {
  if (message) {
    held.why = message;
    return setStatus("offline", "Offline", `Not connected: ${message}.`);
  }
  retryLater(held.why || "someone else in this room is using your name");
}

// The close after such a refusal (the prompt is open already if its error frame came first).
export function onIdentityClosed(code) {
  if (session.account) return accountRefused(code);
  if (tokenNameHeld(code)) return nameHeld();
  if (!ui.dialog.open) askForIdentity(explain(code));
}

export function wireIdentity() {
  ui.signInLink.hidden = !session.signInOffered;
  if (session.account) {
    ui.me.title = "Your account";
    ui.me.addEventListener("click", openAccountMenu);
    showAccountChip(ui.meAvatar);
    wireAccountMenu();
  } else {
    ui.me.addEventListener("click", () => askForIdentity(""));
  }
  ui.joinForm.addEventListener("submit", onJoinSubmit);
  ui.joinCancel.addEventListener("click", closeJoinDialog);
  ui.dialog.addEventListener("cancel", (event) => {
    if (!session.connected) event.preventDefault(); // someone must be chosen first
  });
}

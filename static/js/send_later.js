// Send later (docs/protocol.md, "Scheduled messages"): the ⏰ button beside
// Send (of the message box, or of the thread panel's) opens a menu of times
// (in 30 minutes, in 1 hour, tomorrow at 9:00, next Monday at 9:00, or a date
// and time of one's choosing, in the browser's time); the box's text, with the
// message it replies to (or its thread, and whether it also goes to the room),
// goes to the server to be sent then, and the box empties. A line above the
// message box says how many messages wait to be sent to this room, with a way
// to the list (scheduled.js). People with an account only.

import {apiCall, failure} from "./api.js";
import {hasFilesToSend} from "./attach.js";
import {fitTextBox, showSendError} from "./composer.js";
import {announce, ui} from "./dom.js";
import {keepDraft} from "./drafts.js";
import {ERROR, MAX_MESSAGE_CHARS, codePoints} from "./protocol.js";
import {explain} from "./refusals.js";
import {cancelReply, replyTarget} from "./reply.js";
import {session} from "./session.js";
import {slashCommand} from "./slash_commands.js";
import {threadRoot} from "./thread.js";
import {closeTimeMenu, openTimeMenu, sayWhen, timeMenuOpener, wireTimeMenu} from "./time_menu.js";

const $ = (id) => document.getElementById(id);

// The ⏰ of the box and of the thread panel: the menu's choices, and the box its message comes from.
const CHOICES = [
  ["30", "In 30 minutes"],
  ["60", "In 1 hour"],
  ["tomorrow", "Tomorrow at 9:00"],
  ["monday", "Next Monday at 9:00"],
  ["custom", "At a date and time I choose…"],
];
const openers = () => [ui.scheduleOpen, $("thread-schedule")];
const inThread = (opener) => opener?.id === "thread-schedule";

function openMenu(opener) {
  const use = {label: "Send later", choices: CHOICES, customLabel: "Send at (your time)", submit: "Schedule"};
  openTimeMenu(opener, {...use, onPick: (ms) => schedule(ms, inThread(opener))});
}

// --- scheduling the box's message ------------------------------------------------------

function threadProblem(words) {
  $("thread-error").textContent = words;
  $("thread-error").hidden = false;
}

// The box the menu's opener belongs to: its field, what the message answers, where to say a problem,
// and what to do once it is scheduled.
function boxOf(thread) {
  if (thread) {
    const also = $("thread-broadcast");
    const answers = {thread: threadRoot(), broadcast: also.checked};
    const done = () => ((also.checked = false), ($("thread-error").hidden = true));
    return {field: $("thread-text"), answers, problem: threadProblem, done, files: false};
  }
  const done = () => (cancelReply(), fitTextBox(), keepDraft());
  return {field: ui.text, answers: {reply_to: replyTarget() ?? null}, problem: showSendError, done, files: hasFilesToSend()};
}

async function schedule(ms, thread) {
  const box = boxOf(thread);
  const typed = box.field.value;
  // "/me" and "/shrug" go later as they would now; a command that acts on the page is done now or never.
  const command = slashCommand(typed);
  if (command?.refusal) return box.problem(command.refusal);
  if (command?.run) return box.problem("A command cannot be sent later: press Enter to do it now.");
  const raw = command ? command.text : typed;
  const text = raw.trim();
  if (box.files) return box.problem("Files cannot be sent later: send them now, or remove them first.");
  if (!text) return box.problem(explain(ERROR.EMPTY));
  if (codePoints(text) > MAX_MESSAGE_CHARS) return box.problem(explain(ERROR.TOO_LONG));
  if (!Number.isFinite(ms) || ms <= Date.now()) return box.problem("Pick a time that is still ahead.");
  const body = {room: session.room, message: raw, at: Math.ceil(ms / 1000), ...box.answers};
  const answer = await apiCall("POST", "/api/me/scheduled", body);
  if (!answer.ok) return box.problem(failure(answer));
  if (box.field.value === typed) box.field.value = "";
  box.done();
  announce(`Scheduled: it will be sent ${sayWhen(answer.body.at * 1000)}.`);
  showLine();
}

// --- the line above the box ---------------------------------------------------------------

// ``asked``: the number of the latest request of the list, whose answer alone is shown.
const line = {asked: 0};

// How many of one's messages wait to be sent to this room, as the server has them now.
export async function showLine() {
  const asked = ++line.asked;
  const answer = session.isAccount ? await apiCall("GET", "/api/me/scheduled") : null;
  if (asked !== line.asked) return;
  const list = answer?.ok && Array.isArray(answer.body.scheduled) ? answer.body.scheduled : [];
  const waiting = list.filter((row) => row.room === session.room && !row.not_sent).length;
  $("scheduled-count").textContent =
    waiting === 1 ? "1 message scheduled in this room" : `${waiting} messages scheduled in this room`;
  $("scheduled-line").hidden = waiting === 0;
}

// The ⏰ shows once the page knows it speaks for an account (after its welcome).
export function offerSendLater() {
  for (const opener of openers()) opener.hidden = !session.isAccount;
  showLine();
}

export function wireSendLater(openList) {
  wireTimeMenu();
  for (const opener of openers()) {
    opener.addEventListener("click", () => (timeMenuOpener() === opener ? closeTimeMenu() : openMenu(opener)));
  }
  $("scheduled-see").addEventListener("click", openList);
}

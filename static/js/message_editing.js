// Editing one's own message in place: the text in a box where it was, Enter to save (Shift+Enter
// for a new line), Escape to keep it as it was; Up in the empty message box opens one's newest.
// The edit goes out as a frame with a ref, through the message actions (message_actions.js).

import {element, ui} from "./dom.js";
import {currentText, isDeleted} from "./message_state.js";
import {FRAME, MAX_MESSAGE_CHARS, codePoints} from "./protocol.js";
import {mayChangeMessages, mayWrite} from "./session.js";

// ``send(frame)``: sends a change with a ref of its own; ``before()``: what goes first (the toolbar hides).
const editing = {send: () => {}, before: () => {}};

export function configureEditing(given) {
  Object.assign(editing, given);
}

// One's own message, not deleted, in a room where messages may be changed (never a guest's page).
// An edit is new words: not where only the room's owner and administrators post, for the others.
// A poll is never edited (docs/protocol.md, "Polls").
export const mayEdit = (item) =>
  item.classList.contains("own") && !item.classList.contains("has-poll") && !isDeleted(item) && mayChangeMessages() && mayWrite();

// Up in an empty box, as in other chats: one's newest message of ``list`` that may be edited is opened
// for editing; saving or Escape gives the focus back to the ``box``. False when there is none. The
// message box edits the timeline's; a thread's reply box the thread's.
export function editLastOwn(list = ui.list, box = ui.text) {
  const item = [...list.querySelectorAll(".msg.own")].reverse().find(mayEdit);
  if (!item || item.classList.contains("editing")) return false;
  startEditing(item, box);
  return true;
}

// ``backTo``: where the focus goes when the edit ends (the message itself when not given).
export function startEditing(item, backTo = item) {
  editing.before();
  const body = item.querySelector(".text");
  const form = element("form", "edit-form");
  const field = element("textarea");
  field.value = currentText(item);
  field.rows = Math.min(8, field.value.split("\n").length + 1);
  field.setAttribute("aria-label", "Edit the message");
  const save = element("button", "", "Save");
  save.type = "submit";
  const cancel = element("button", "secondary", "Cancel");
  cancel.type = "button";
  const problem = element("span", "edit-problem");
  form.append(field, save, cancel, problem);
  const finish = () => {
    const hadFocus = form.contains(document.activeElement);
    form.remove();
    body.hidden = false;
    item.classList.remove("editing");
    if (hadFocus) backTo.focus(); // the keyboard goes on from where it came, not from the top of the page
  };
  cancel.addEventListener("click", finish);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = field.value.trim();
    if (!text) return (problem.textContent = "The text is empty: delete the message instead.");
    if (codePoints(text) > MAX_MESSAGE_CHARS) return (problem.textContent = "That is too long.");
    if (text !== currentText(item)) editing.send({type: FRAME.EDIT, id: Number(item.dataset.id), message: field.value});
    finish();
  });
  field.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault(); // the edit ends, not the thread panel it may be in
      finish();
    }
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault(); // the focus may go back to the message box: no new line there
    form.requestSubmit();
  });
  item.classList.add("editing");
  body.hidden = true;
  body.after(form);
  field.focus();
}

// Edits under way end (the room was archived): the messages show their text again, in the timeline and
// in an open thread's panel alike.
export function cancelEditing() {
  for (const item of document.querySelectorAll(".msg.editing")) {
    item.querySelector(".edit-form")?.remove();
    item.querySelector(".text").hidden = false;
    item.classList.remove("editing");
  }
}

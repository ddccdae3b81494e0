// The "New room" and "New direct message" dialogs: a name, open or closed,
// who posts in it (everyone, or only its owner and administrators), people picked with name autocomplete; POST /api/rooms and POST /api/direct,
// then off to the room.

import {apiCall, failure, roomUrl} from "./api.js";
import {PeoplePicker} from "./picker.js";
import {normalizeRoom, roomProblem} from "./protocol.js";

const $ = (id) => document.getElementById(id);

function wireClose(dialog) {
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close());
  }
}

function newRoomDialog() {
  const dialog = $("new-room-dialog");
  const name = $("new-room-name");
  const error = $("new-room-error");
  const picker = new PeoplePicker($("new-room-people"), $("new-room-suggestions"), $("new-room-chips"), {
    onProblem: (problem) => (error.textContent = problem),
  });
  const open = () => {
    $("new-room-form").reset();
    picker.reset();
    error.textContent = "";
    dialog.showModal();
    name.focus();
  };
  $("new-room-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const room = normalizeRoom(name.value);
    const problem = roomProblem(room);
    if (problem) {
      error.textContent = `That room name does not work: ${problem}.`;
      return name.focus();
    }
    const kind = dialog.querySelector("input[name=kind]:checked").value;
    const members = await picker.names();
    if (members === null) return;
    const posting = $("new-room-managers").checked ? "managers" : "everyone";
    const answer = await apiCall("POST", "/api/rooms", {room, kind, members, posting});
    if (!answer.ok) return void (error.textContent = failure(answer));
    dialog.close();
    location.assign(roomUrl(answer.body.room));
  });
  name.addEventListener("input", () => (error.textContent = ""));
  wireClose(dialog);
  return open;
}

function directDialog() {
  const dialog = $("direct-dialog");
  const error = $("direct-error");
  const picker = new PeoplePicker($("direct-people"), $("direct-suggestions"), $("direct-chips"), {
    onChange: () => (error.textContent = ""),
    onProblem: (problem) => (error.textContent = problem),
  });
  const open = () => {
    picker.reset();
    error.textContent = "";
    dialog.showModal();
    $("direct-people").focus();
  };
  $("direct-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const members = await picker.names();
    if (members === null) return;
    if (!members.length) return void (error.textContent = "Type the name of someone to write to.");
    const answer = await apiCall("POST", "/api/direct", {members});
    if (!answer.ok) return void (error.textContent = failure(answer));
    dialog.close();
    location.assign(roomUrl(answer.body.room));
  });
  wireClose(dialog);
  return open;
}

export function wireRoomDialogs() {
  $("new-room").addEventListener("click", newRoomDialog());
  $("new-direct").addEventListener("click", directDialog());
}

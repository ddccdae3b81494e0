// One's devices, in the account menu: the browsers signed in to one's account (docs/protocol.md,
// "Version 2: accounts, sessions and links"), each with when it was last used, this one marked.
// "Sign out" beside another ends its session there at once (a lost phone, a shared computer);
// signing this one out is the menu's own "Sign out".

import {apiCall, serverMessage} from "./api.js";
import {announce, element, textNode, timeElement} from "./dom.js";

const $ = (id) => document.getElementById(id);
const shown = {list: $("devices-list"), note: $("devices-note")};

// The list as the server has it now (each time the account menu opens).
export async function loadDevices() {
  if (!shown.list) return;
  const answer = await apiCall("GET", "/api/me/sessions");
  if (!answer.ok || !Array.isArray(answer.body.sessions)) {
    shown.note.textContent = answer.ok ? "" : serverMessage(answer);
    return;
  }
  shown.note.textContent = "";
  shown.list.replaceChildren(...answer.body.sessions.map(deviceRow));
}

function deviceRow(entry) {
  const device = String(entry.device);
  const row = element("li", "member device"); // as blocked people are listed: the button at the edge
  const about = element("span", "device-about");
  about.append(element("bdi", "device-name", device), textNode(" "));
  if (entry.current === true) {
    about.append(element("span", "hint", "this device"));
    row.append(about);
    return row;
  }
  const signOut = element("button", "link-button danger", "Sign out");
  signOut.type = "button";
  signOut.setAttribute("aria-label", `Sign out ${device}`);
  if (Number.isFinite(entry.last_seen_at)) {
    const time = timeElement(entry.last_seen_at);
    const when = element("span", "hint", "last active ");
    when.append(time);
    about.append(when);
    signOut.setAttribute("aria-label", `Sign out ${device}, last active ${time.textContent}`);
  }
  signOut.addEventListener("click", () => signOutDevice(String(entry.id), device, row));
  row.append(about, signOut);
  return row;
}

// Ended already (404: signed out there meanwhile) is as good as ended now.
async function signOutDevice(id, device, row) {
  const answer = await apiCall("DELETE", `/api/me/sessions/${encodeURIComponent(id)}`);
  if (!answer.ok && answer.status !== 404) {
    shown.note.textContent = serverMessage(answer);
    return;
  }
  row.remove();
  const said = `${device} is signed out.`;
  shown.note.textContent = said;
  announce(said);
}

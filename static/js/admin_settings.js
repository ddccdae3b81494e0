// The administration panel's switch for guest access: on, guests join open
// rooms with just a nick; off, they are disconnected and only accounts get in.
// Under --guests the switch stays on and cannot be turned off here.

import {adminCall} from "./admin_api.js";

const $ = (id) => document.getElementById(id);

export function wireSettings(say) {
  $("admin-guests").addEventListener("change", async (event) => {
    const wanted = event.target.checked;
    try {
      show(await adminCall("PATCH", "/api/admin/settings", {guests: wanted}));
      say(wanted ? "Guests may join open rooms." : "Guests are turned away, and those connected were disconnected.");
    } catch (error) {
      event.target.checked = !wanted;
      say(error.message);
    }
  });
}

export async function renderSettings() {
  show(await adminCall("GET", "/api/admin/settings"));
}

function show(settings) {
  const box = $("admin-guests");
  box.checked = settings.guests;
  box.disabled = settings.guests_forced;
  $("admin-guests-hint").textContent = settings.guests_forced
    ? "This server runs with --guests: guests are let in whatever this says."
    : "";
}

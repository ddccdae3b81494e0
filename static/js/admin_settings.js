// The administration panel's switch for guest access: on, guests join open
// rooms with just a nick; off, they are disconnected and only accounts get in.
// Under --guests the switch stays on and cannot be turned off here.

import {adminCall} from "./admin_api.js";

const $ = (id) => document.getElementById(id);

// Counts the switch's changes, so that settings read before a change do not
// undo it when they arrive after it.
let changes = 0;

export function wireSettings(say) {
  $("admin-guests").addEventListener("change", async (event) => {
    const wanted = event.target.checked;
    changes += 1;
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
  const before = changes;
  const settings = await adminCall("GET", "/api/admin/settings");
  if (changes === before) show(settings);
}

function show(settings) {
  const box = $("admin-guests");
  box.checked = settings.guests;
  box.disabled = settings.guests_forced;
  $("admin-guests-hint").textContent = settings.guests_forced
    ? "This server runs with --guests: guests are let in whatever this says."
    : "";
}

// The rooms' panel as a drawer on a phone (on a wide screen the panel is
// always there): opened by its button, closed by its own, by the scrim or
// Escape; each opening brings the list up to date.

import {ui} from "./dom.js";

const hooks = {
  opened: () => {}, // the drawer opened: the rooms list is asked for again
};

const drawerOpen = () => ui.sidebar.classList.contains("open");

// On a phone the open drawer lies over the page: what it covers is out of reach (of Tab, of a screen
// reader) until it closes. On a wide screen the panel covers nothing.
const COVERED = ["topbar", "conversation", "composer-area"];

function coverPage() {
  const covered = drawerOpen() && getComputedStyle(ui.drawerToggle).display !== "none";
  for (const id of COVERED) document.getElementById(id).inert = covered;
}

export function toggleDrawer(open) {
  ui.sidebar.classList.toggle("open", open);
  ui.drawerToggle.setAttribute("aria-expanded", String(open));
  ui.scrim.hidden = !open;
  coverPage();
  if (open) {
    hooks.opened();
    ui.sidebarClose.focus();
  }
}

// The rooms list: the drawer on a phone, its first room on a wide screen.
export function showYourRooms() {
  if (getComputedStyle(ui.drawerToggle).display !== "none") return toggleDrawer(true);
  (ui.rooms.querySelector("a") || ui.roomSearch).focus();
}

function closeDrawer() {
  toggleDrawer(false);
  ui.drawerToggle.focus();
}

// ``opened()`` runs each time the drawer opens.
export function wireDrawer(opened) {
  hooks.opened = opened;
  ui.drawerToggle.addEventListener("click", () => toggleDrawer(!drawerOpen()));
  window.addEventListener("resize", coverPage); // a phone turned, a window widened: covered no more
  ui.sidebarClose.addEventListener("click", closeDrawer);
  ui.scrim.addEventListener("click", closeDrawer);
  ui.sidebar.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && drawerOpen()) closeDrawer();
  });
}

// Profile pictures (``GET /avatars/{name}``, docs/protocol.md "Avatars"):
// each name is asked for once a page, by a probe image; only once it has
// loaded do the avatars of that name get an <img> over their initials (the
// browser serves the same address from its memory then), so a name without
// a picture (404) keeps its initials and never shows a broken image.

import {authorizedUrl} from "./api.js";
import {nickKey} from "./protocol.js";

const pictures = new Map(); // name key -> {state: "loading" | "shown" | "none", url}
const listeners = [];

function pictureUrl(nick, version) {
  return authorizedUrl(`/avatars/${encodeURIComponent(nick)}${version ? `?v=${version}` : ""}`);
}

// ``node`` (an avatar showing ``nick``'s initials) shows the picture when there is one.
export function pictureFor(node, nick) {
  node.dataset.picture = nick;
  const known = pictures.get(nickKey(nick));
  if (!known) load(nick, "");
  else if (known.state === "shown") cover(node, known.url);
}

export const hasPicture = (nick) => pictures.get(nickKey(nick))?.state === "shown";

// Told when a name's picture is known to be there or not: ``listener(nick)``.
export function onPicture(listener) {
  listeners.push(listener);
}

// One's own picture changed (uploaded: ``has``; removed: not): every avatar of the name follows.
export function pictureChanged(nick, has) {
  if (has) return load(nick, Date.now().toString(36));
  pictures.set(nickKey(nick), {state: "none", url: ""});
  for (const node of nodesOf(nick)) uncover(node);
  listeners.forEach((listener) => listener(nick));
}

function load(nick, version) {
  const key = nickKey(nick);
  const entry = {state: "loading", url: pictureUrl(nick, version)};
  pictures.set(key, entry);
  const probe = new Image();
  const settle = (state) => {
    if (pictures.get(key) !== entry) return; // asked again since: the newer answer counts
    entry.state = state;
    for (const node of nodesOf(nick)) (state === "shown" ? cover(node, entry.url) : uncover(node));
    listeners.forEach((listener) => listener(nick));
  };
  probe.addEventListener("load", () => settle("shown"));
  probe.addEventListener("error", () => settle("none"));
  probe.src = entry.url;
}

function nodesOf(nick) {
  const key = nickKey(nick);
  return [...document.querySelectorAll("[data-picture]")].filter((node) => nickKey(node.dataset.picture) === key);
}

function cover(node, url) {
  let image = node.querySelector(".avatar-picture");
  if (!image) {
    image = document.createElement("img");
    image.className = "avatar-picture";
    image.alt = "";
    image.decoding = "async";
    node.append(image);
  }
  if (image.getAttribute("src") !== url) image.src = url;
  node.classList.add("pictured");
}

function uncover(node) {
  node.querySelector(".avatar-picture")?.remove();
  node.classList.remove("pictured");
}

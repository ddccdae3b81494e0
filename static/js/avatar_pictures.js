// Profile pictures (``GET /avatars/{name}``, docs/protocol.md "Avatars"):
// each name's picture is fetched once a page and kept as a blob: every
// avatar of that name shows the same copy (the server answers ``no-cache``,
// so an <img> per avatar would ask again). A name without a picture (404)
// keeps its initials and never shows a broken image.

import {apiHeaders} from "./api.js";
import {nickKey} from "./protocol.js";

const pictures = new Map(); // name key -> {state: "loading" | "shown" | "none", url: a blob's address}
const listeners = [];

// ``node`` (an avatar showing ``nick``'s initials) shows the picture when there is one.
export function pictureFor(node, nick) {
  node.dataset.picture = nick;
  const known = pictures.get(nickKey(nick));
  if (!known) load(nick, false);
  else if (known.state === "shown") cover(node, known.url);
}

export const hasPicture = (nick) => pictures.get(nickKey(nick))?.state === "shown";

// Told when a name's picture is known to be there or not: ``listener(nick)``.
export function onPicture(listener) {
  listeners.push(listener);
}

// One's own picture changed (uploaded: ``has``; removed: not): every avatar of the name follows.
export function pictureChanged(nick, has) {
  if (has) return load(nick, true);
  settle(nick, pictures.get(nickKey(nick)), null);
}

async function load(nick, fresh) {
  const entry = {state: "loading", url: ""};
  const before = pictures.get(nickKey(nick));
  pictures.set(nickKey(nick), entry);
  const picture = await fetchPicture(nick, fresh);
  if (pictures.get(nickKey(nick)) !== entry) return; // asked again since: the newer answer counts
  if (before && before.url) URL.revokeObjectURL(before.url);
  settle(nick, entry, picture);
}

// The picture as a blob, or null when there is none (or it cannot be had now).
async function fetchPicture(nick, fresh) {
  const headers = {...apiHeaders("GET"), Accept: "image/*"};
  // Just changed: a new address gets past what the browser kept (a 404 is kept five minutes).
  const query = fresh ? `?v=${Date.now().toString(36)}` : "";
  try {
    const response = await fetch(`/avatars/${encodeURIComponent(nick)}${query}`, {headers, credentials: "same-origin"});
    const type = response.headers.get("Content-Type") || "";
    return response.ok && type.startsWith("image/") ? await response.blob() : null;
  } catch {
    return null;
  }
}

function settle(nick, entry, picture) {
  const shown = {state: picture ? "shown" : "none", url: picture ? URL.createObjectURL(picture) : ""};
  if (entry && entry.url && entry.url !== shown.url) URL.revokeObjectURL(entry.url);
  pictures.set(nickKey(nick), shown);
  for (const node of nodesOf(nick)) (picture ? cover(node, shown.url) : uncover(node));
  listeners.forEach((listener) => listener(nick));
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

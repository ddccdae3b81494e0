// Profile pictures (``GET /avatars/{name}``, docs/protocol.md "Avatars"):
// each name's picture is fetched once a page and kept as a blob (asked
// again after a reconnect for the names shown, see picturesTold): every
// avatar of that name shows the same copy (the server answers ``no-cache``,
// so an <img> per avatar would ask again). A name without a picture keeps
// its initials and never shows a broken image.
//
// A page that may look people up is told by /api/accounts (avatar.js asks
// once per name) which picture each account shows, and asks for those alone,
// at ``?v={that picture}``: a changed picture is a new address. Such a page
// is also told of every change as it happens (an ``avatar`` frame, or its own
// upload's answer), and every avatar of the name follows at once. Any other
// page (a guest's) asks for each name, and a 404 says none.

import {apiHeaders} from "./api.js";
import {nickKey} from "./protocol.js";

const pictures = new Map(); // name key -> {state: "loading" | "shown" | "none", url: a blob's address, version}
const listeners = [];
// name key -> the picture a change told of (a file id, or null): newer than a lookup's answer, which may
// have been read before the change (docs/protocol.md, "Live changes").
const changed = new Map();
let told = null; // whether /api/accounts tells which pictures there are; null: not known yet

// ``node`` (an avatar showing ``nick``'s initials) shows the picture when there is one.
export function pictureFor(node, nick) {
  node.dataset.picture = nick;
  const known = pictures.get(nickKey(nick));
  if (!known && told === false) load(nick, "");
  else if (known && known.state === "shown") cover(node, known.url);
}

// At every welcome: the page may look people up (``yes``): pictures wait to be told of (``learnPicture``,
// the lookups about to be made being newer than any change told before); else each name shown has its
// picture asked for (again: one changed while the page was offline shows; an unchanged one is a 304).
export function picturesTold(yes) {
  told = yes;
  changed.clear();
  if (yes) return;
  const shown = new Map(); // name key -> a name shown: one request each, however many avatars
  for (const node of document.querySelectorAll("[data-picture]")) {
    shown.set(nickKey(node.dataset.picture), node.dataset.picture);
  }
  for (const nick of shown.values()) load(nick, "");
}

// ``nick``'s account shows the picture ``version`` (an /api/accounts entry's ``avatar``), or none (null).
export function learnPicture(nick, version) {
  if (changed.has(nickKey(nick))) version = changed.get(nickKey(nick));
  const known = pictures.get(nickKey(nick));
  if (known && known.version === version) return;
  if (version) return load(nick, version);
  settle(nick, known, null, null);
}

export const hasPicture = (nick) => pictures.get(nickKey(nick))?.state === "shown";

// Told when a name's picture is known to be there or not: ``listener(nick)``.
export function onPicture(listener) {
  listeners.push(listener);
}

// ``nick``'s picture changed (a new one's file id; removed: null): every avatar of the name follows. A name
// the page has not looked up yet shows it once it is looked up (nothing is fetched for it before).
export function pictureChanged(nick, version) {
  changed.set(nickKey(nick), version);
  if (pictures.has(nickKey(nick))) learnPicture(nick, version);
}

// An ``avatar`` frame: someone's picture changed, on any page of the deployment.
export function onAvatarFrame(frame) {
  const version = frame.avatar;
  if (typeof frame.name === "string" && (version === null || typeof version === "string")) {
    pictureChanged(frame.name, version);
  }
}

async function load(nick, version) {
  const entry = {state: "loading", url: "", version};
  const before = pictures.get(nickKey(nick));
  pictures.set(nickKey(nick), entry);
  const picture = await fetchPicture(nick, version);
  if (pictures.get(nickKey(nick)) !== entry) return; // asked again since: the newer answer counts
  if (before && before.url) URL.revokeObjectURL(before.url);
  settle(nick, entry, picture, version);
}

// The picture as a blob, or null when there is none (or it cannot be had now).
async function fetchPicture(nick, version) {
  const headers = {...apiHeaders("GET"), Accept: "image/*"};
  // Each picture has an address of its own: a new one gets past what the browser kept.
  const query = version ? `?${new URLSearchParams({v: version})}` : "";
  try {
    const response = await fetch(`/avatars/${encodeURIComponent(nick)}${query}`, {headers, credentials: "same-origin"});
    const type = response.headers.get("Content-Type") || "";
    return response.ok && type.startsWith("image/") ? await response.blob() : null;
  } catch {
    return null;
  }
}

function settle(nick, entry, picture, version) {
  const shown = {state: picture ? "shown" : "none", url: picture ? URL.createObjectURL(picture) : "", version};
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

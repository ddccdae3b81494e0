// The addresses the page puts in its pictures, players and download links
// (docs/security.md, "Files"). A page with a session cookie uses the files'
// plain addresses: the cookie goes along. A page signed in with a token has
// no cookie, and an <img>, a <video> or a link cannot send the token, so it
// asks the server for signed links to the files it shows (POST
// /api/file-links, many at once), each good for one file for about an hour,
// and never puts the token in an address. Links are renewed before they
// lapse; a picture or a player that fails (a video played past its link's
// hour, say) asks for a fresh one and carries on where it was.

import {apiCall} from "./api.js";
import {session} from "./session.js";

const ASKED_AT_ONCE = 100; // the server's limit (api_file_links.MAX_FILES_ASKED)
const RENEW_BEFORE_MS = 2 * 60 * 1000;
const RENEW_AT_LEAST_AFTER_MS = 60 * 1000; // even when this computer's clock is far off
const FAILED_AGAIN_MS = 15 * 1000; // a link that fails this soon after it came is not asked for again

const links = new Map(); // file id -> {file, thumb, renewAt, came}
const watched = new WeakSet();
let wanted = new Set();
let batch = null;
let renewal = 0;

const signedByToken = () => session.jwtRequired && Boolean(session.token);

function plainPath(file, variant) {
  if (variant === "thumb" && file.thumb) return `/files/${file.id}/thumb`;
  return `/files/${file.id}/${encodeURIComponent(file.name)}`;
}

// Point ``element[attribute]`` ("src", "href") at the file: its thumbnail
// when ``variant`` is "thumb" and it has one, else the file itself.
export function linkFile(element, attribute, file, variant = "file") {
  if (!signedByToken()) {
    element[attribute] = plainPath(file, variant);
    return;
  }
  element.dataset.fileId = file.id;
  element.dataset.fileVariant = variant;
  element.dataset.fileAttribute = attribute;
  element.removeAttribute(attribute);
  if (attribute === "src" && !watched.has(element)) {
    watched.add(element);
    element.addEventListener("error", () => recover(element));
  }
  if (links.has(file.id) && links.get(file.id).renewAt > Date.now()) apply(element);
  else ask([file.id]).then(() => apply(element));
}

// Stop keeping the element's link fresh (the lightbox, closed).
export function unlinkFile(element, attribute) {
  delete element.dataset.fileId;
  element.removeAttribute(attribute);
}

function apply(element) {
  const known = links.get(element.dataset.fileId);
  if (!known) return; // the server gave none: the file is gone, or not ours to see
  const address = element.dataset.fileVariant === "thumb" ? known.thumb : known.file;
  const attribute = element.dataset.fileAttribute;
  if (element.getAttribute(attribute) !== address) element.setAttribute(attribute, address);
}

// Asks for the links of ``ids`` together with whatever else is asked for in this turn of the page.
function ask(ids) {
  for (const id of ids) wanted.add(id);
  if (!batch) {
    batch = new Promise((resolve) => {
      setTimeout(() => {
        const asked = [...wanted];
        wanted = new Set();
        batch = null;
        fetchLinks(asked).then(resolve);
      }, 0);
    });
  }
  return batch;
}

async function fetchLinks(ids) {
  for (let start = 0; start < ids.length; start += ASKED_AT_ONCE) {
    const chunk = ids.slice(start, start + ASKED_AT_ONCE);
    const answer = await apiCall("POST", "/api/file-links", {files: chunk});
    if (!answer.ok || !answer.body || typeof answer.body.links !== "object") continue;
    const now = Date.now();
    const left = Number(answer.body.expires) * 1000 - now - RENEW_BEFORE_MS;
    const renewAt = now + Math.max(RENEW_AT_LEAST_AFTER_MS, Number.isFinite(left) ? left : 0);
    for (const id of chunk) {
      const given = answer.body.links[id];
      if (given && typeof given.file === "string") {
        links.set(id, {file: given.file, thumb: typeof given.thumb === "string" ? given.thumb : given.file, renewAt, came: now});
      } else {
        links.delete(id);
      }
    }
  }
  scheduleRenewal();
}

function scheduleRenewal() {
  clearTimeout(renewal);
  let soonest = Infinity;
  for (const known of links.values()) soonest = Math.min(soonest, known.renewAt);
  if (soonest !== Infinity) renewal = setTimeout(renew, Math.max(0, soonest - Date.now()));
}

// Fresh links for every file the page shows. Links and pictures not yet
// loaded take theirs; a picture shown stays as it is, and a player too (a
// new address would start it again): they take a new one if they fail.
async function renew() {
  const elements = [...document.querySelectorAll("[data-file-id]")];
  const ids = new Set(elements.map((element) => element.dataset.fileId));
  for (const id of links.keys()) if (!ids.has(id)) links.delete(id);
  if (!ids.size) return;
  await ask([...ids]);
  for (const element of elements) {
    if (element instanceof HTMLMediaElement && !element.error) continue;
    if (element instanceof HTMLImageElement && element.complete && element.naturalWidth > 0) continue;
    apply(element);
  }
}

// A picture or a player failed: with a fresh link, it tries again (a player from where it was).
async function recover(element) {
  const id = element.dataset.fileId;
  const known = id && links.get(id);
  if (!known || Date.now() - known.came < FAILED_AGAIN_MS) return;
  const media = element instanceof HTMLMediaElement ? element : null;
  const position = media ? media.currentTime : 0;
  const playing = media ? !media.paused : false;
  await ask([id]);
  if (element.dataset.fileId !== id) return; // shows another file by now
  const before = element.getAttribute(element.dataset.fileAttribute);
  apply(element);
  if (!media) return;
  // The same link still holds (the failure was the network's): the player tries it again.
  if (element.getAttribute(element.dataset.fileAttribute) === before) media.load();
  media.addEventListener(
    "loadedmetadata",
    () => {
      media.currentTime = position;
      if (playing) media.play().catch(() => {});
    },
    {once: true},
  );
}

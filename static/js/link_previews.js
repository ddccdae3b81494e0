// Link previews under a message (docs/protocol.md, "Link previews"): a card for each of its links —
// the site, the title as a link opening in a new tab, a clamped description, the picture the chat
// server keeps (never the linked site's own address: it would learn who reads). The author's page
// offers a × that removes them for everyone. A card that arrives while the reader is further up does
// not move what they read. Every text goes in as text, never as markup.

import {apiHeaders} from "./api.js";
import {sendFrame} from "./connection.js";
import {element, ui} from "./dom.js";
import {FRAME} from "./protocol.js";
import {session} from "./session.js";

const MAX_CARDS = 3;
const ALONE_BOX = [320, 240];

// The address of card ``index``'s picture of message ``id`` of the room, on this server.
export const pictureUrl = (room, id, index) => `/previews/${encodeURIComponent(room)}/${id}/${index}`;

const isText = (value) => typeof value === "string";
const isWebAddress = (url) => isText(url) && /^https?:\/\//i.test(url);

// Shows ``previews`` (a frame's list; none: takes them away) under the message ``item``.
export function showPreviews(item, previews) {
  item.querySelector(":scope > .link-previews")?.remove();
  const cards = (Array.isArray(previews) ? previews : []).slice(0, MAX_CARDS);
  const id = Number(item.dataset.id);
  const shown = cards.map((card, index) => cardElement(card, id, index)).filter(Boolean);
  if (!shown.length) return;
  const block = element("div", "link-previews");
  block.append(...shown);
  if (item.classList.contains("own")) shown[0].append(removeButton(id));
  (item.querySelector(":scope > .file") || item.querySelector(":scope > .text")).after(block);
}

function cardElement(card, id, index) {
  if (!card || !isWebAddress(card.url)) return null;
  const title = isText(card.title) ? card.title : "";
  const description = isText(card.description) ? card.description : "";
  const onlyPicture = !title && !description;
  const node = element("div", onlyPicture ? "link-preview picture-only" : "link-preview");
  if (card.image && typeof card.image === "object") node.append(pictureLink(card, id, index, title, onlyPicture));
  if (onlyPicture) return node.querySelector("a") ? node : null;
  const about = element("div", "link-preview-about");
  if (isText(card.site) && card.site) about.append(element("div", "link-preview-site", card.site));
  const heading = element("a", "link-preview-title", title || card.url);
  opensApart(heading, card.url);
  about.append(heading);
  if (description) {
    const words = element("p", "link-preview-description", description);
    words.dir = "auto";
    about.append(words);
  }
  heading.dir = "auto";
  node.append(about);
  return node;
}

// The picture, laid out at its size before it loads, opening the link as the title does (for the
// mouse: the keyboard reaches the link by its title, once).
function pictureLink(card, id, index, title, alone) {
  const link = element("a", "link-preview-picture");
  opensApart(link, card.url);
  link.tabIndex = -1;
  link.setAttribute("aria-hidden", "true");
  const picture = element("img");
  showPicture(picture, pictureUrl(session.room, id, index));
  picture.alt = title;
  picture.loading = "lazy";
  picture.decoding = "async";
  const {width, height} = card.image;
  if (Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) {
    picture.width = width;
    picture.height = height;
    // A picture on its own is shown whole, at most ALONE_BOX, its size known before it loads.
    const scale = Math.min(1, ALONE_BOX[0] / width, ALONE_BOX[1] / height);
    if (alone) picture.style.width = `${Math.round(width * scale)}px`;
  }
  link.append(picture);
  return link;
}

// A page with a session cookie points the picture at its address: the cookie goes along. One signed in
// with a token has no cookie and an <img> cannot send the token: it reads the picture with the token
// and shows what it read (never putting the token in an address).
async function showPicture(picture, url) {
  if (!(session.jwtRequired && session.token)) {
    picture.src = url;
    return;
  }
  try {
    const response = await fetch(url, {headers: apiHeaders("GET"), credentials: "same-origin"});
    if (!response.ok) return;
    const shown = URL.createObjectURL(await response.blob());
    picture.addEventListener("load", () => URL.revokeObjectURL(shown), {once: true});
    picture.src = shown;
  } catch {
    // Offline for a moment: the card stays, without its picture.
  }
}

function opensApart(link, url) {
  link.href = url;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
}

function removeButton(id) {
  const button = element("button", "link-preview-remove", "×");
  button.type = "button";
  button.title = "Remove the preview for everyone";
  button.setAttribute("aria-label", "Remove the link preview");
  button.addEventListener("click", () => sendFrame({type: FRAME.REMOVE_PREVIEW, id}));
  return button;
}

// A card came or went under ``item``: a reader at the bottom stays there, one further up keeps
// what they read where it is (the first message in view does not move).
export function keepingReadersPlace(item, change) {
  const scroller = ui.scroller;
  if (!scroller.contains(item)) return change();
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  const anchor = firstInView(scroller);
  const before = anchor?.getBoundingClientRect().top;
  change();
  if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  else if (anchor) scroller.scrollTop += anchor.getBoundingClientRect().top - before;
}

function firstInView(scroller) {
  const top = scroller.getBoundingClientRect().top;
  for (const item of scroller.querySelectorAll("#messages > li")) {
    if (item.getBoundingClientRect().bottom > top) return item;
  }
  return null;
}

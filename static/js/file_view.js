// A message's file as the page shows it (docs/protocol.md, "Files"): a
// picture inline as its thumbnail, sized from the frame's width and height
// before it loads (the list does not jump), opening the full picture in the
// lightbox; video and audio in the browser's own player; anything else as a
// card with an icon, its name, its size and a download link. Names go in as
// text only; addresses come from file_links.js (built from the file's id and
// its name, encoded, or signed links on a page signed in with a token).

import {element, textNode} from "./dom.js";
import {linkFile} from "./file_links.js";

// The server's own detection says what a file is (never the uploader's word).
const PICTURES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);
const SHOWN_WIDTH_PX = 360;
const SHOWN_HEIGHT_PX = 280;
const FILE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const UNITS = ["KB", "MB", "GB", "TB"];

// The file of a frame when it is well formed, else null.
export function fileOf(frame) {
  const file = frame && frame.file;
  if (!file || typeof file !== "object") return null;
  if (typeof file.id !== "string" || !FILE_ID.test(file.id) || typeof file.name !== "string") return null;
  return {
    id: file.id,
    name: file.name || "file",
    size: Number.isFinite(file.size) ? file.size : 0,
    type: typeof file.type === "string" ? file.type.split(";")[0].trim().toLowerCase() : "",
    width: Number.isInteger(file.width) && file.width > 0 ? file.width : 0,
    height: Number.isInteger(file.height) && file.height > 0 ? file.height : 0,
    thumb: file.thumb === true,
  };
}

// What a quote of a message that is only a file says.
export const fileLabel = (name) => `📎 ${name}`;

// ``bytes`` in the unit a person reads: "812 bytes", "4.2 KB", "25 MB".
export function humanSize(bytes) {
  if (bytes < 1024) return bytes === 1 ? "1 byte" : `${bytes} bytes`;
  let value = bytes;
  let unit = -1;
  do {
    value /= 1024;
    unit += 1;
  } while (value >= 1024 && unit < UNITS.length - 1);
  const shown = value < 10 ? value.toFixed(1).replace(/\.0$/, "") : String(Math.round(value));
  return `${shown} ${UNITS[unit]}`;
}

// The element for a message's file; ``open`` shows a picture full size.
export function fileElement(file, open) {
  if (PICTURES.has(file.type)) return pictureElement(file, open);
  if (file.type.startsWith("video/")) return playerElement(file, "video");
  if (file.type.startsWith("audio/")) return playerElement(file, "audio");
  return cardElement(file);
}

// The size the picture takes on the page: within the box, its shape kept.
export function shownSize(file) {
  if (!file.width || !file.height) return null;
  const scale = Math.min(1, SHOWN_WIDTH_PX / file.width, SHOWN_HEIGHT_PX / file.height);
  return {width: Math.max(1, Math.round(file.width * scale)), height: Math.max(1, Math.round(file.height * scale))};
}

function pictureElement(file, open) {
  const box = element("div", "file file-picture");
  const link = element("a", "file-open");
  linkFile(link, "href", file);
  link.target = "_blank";
  link.rel = "noopener";
  link.title = `${file.name} (${humanSize(file.size)}): open full size`;
  const image = element("img");
  image.alt = file.name;
  image.decoding = "async";
  image.loading = "lazy";
  const size = shownSize(file);
  if (size) {
    image.width = size.width;
    image.height = size.height;
  }
  linkFile(image, "src", file, "thumb");
  link.append(image);
  link.addEventListener("click", (event) => {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    open(file);
  });
  box.append(link);
  return box;
}

function playerElement(file, kind) {
  const box = element("div", `file file-${kind}`);
  const player = element(kind);
  player.controls = true;
  player.preload = "metadata";
  linkFile(player, "src", file);
  player.setAttribute("aria-label", file.name);
  box.append(player, aboutLine(file));
  return box;
}

// Under a player: the name, its size, and a link to keep the file.
function aboutLine(file) {
  const line = element("div", "file-about");
  line.append(downloadLink(file, "file-name"), textNode(" "), element("span", "file-size", humanSize(file.size)));
  return line;
}

function downloadLink(file, className) {
  const link = element("a", className);
  linkFile(link, "href", file);
  link.download = file.name;
  link.append(element("bdi", "", file.name));
  link.title = `Download ${file.name}`;
  return link;
}

function cardElement(file) {
  const card = element("div", "file file-card");
  const icon = element("span", "file-icon", iconOf(file));
  icon.setAttribute("aria-hidden", "true");
  const about = element("div", "file-card-about");
  about.append(downloadLink(file, "file-name"), element("span", "file-size", `${humanSize(file.size)} · ${kindOf(file)}`));
  const save = element("a", "file-download", "⬇");
  linkFile(save, "href", file);
  save.download = file.name;
  save.setAttribute("aria-label", `Download ${file.name}`);
  save.title = "Download";
  card.append(icon, about, save);
  return card;
}

function iconOf(file) {
  if (file.type === "application/pdf") return "📄";
  if (file.type.startsWith("text/")) return "📝";
  if (/\.(zip|gz|tgz|bz2|xz|7z|rar|tar)$/i.test(file.name)) return "🗜️";
  return "📦";
}

// What kind of file it is, in a word: "PDF", "text", or its name's extension.
function kindOf(file) {
  if (file.type === "application/pdf") return "PDF";
  if (file.type.startsWith("text/")) return "text";
  const extension = file.name.match(/\.([A-Za-z0-9]{1,8})$/);
  return extension ? extension[1].toUpperCase() : "file";
}

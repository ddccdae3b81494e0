// The lightbox: a picture of a message full size over the page, with its
// name, a link that opens it in a tab of its own, and Close (Escape, or a
// click beside the picture, closes it too).

import {linkFile, unlinkFile} from "./file_links.js";
import {humanSize} from "./file_view.js";

const $ = (id) => document.getElementById(id);
const box = {
  dialog: $("lightbox"),
  image: $("lightbox-image"),
  name: $("lightbox-name"),
  size: $("lightbox-size"),
  open: $("lightbox-open"),
  close: $("lightbox-close"),
  fileId: "",
};

const MARGIN_PX = 16;
const BAR_PX = 80; // the name, and under it the size and the links

// The picture at its own size, or smaller to fit the window with the bar under it.
function fit(file) {
  if (!file.width || !file.height) return null;
  const room = {width: window.innerWidth - 2 * MARGIN_PX, height: window.innerHeight - 2 * MARGIN_PX - BAR_PX};
  const scale = Math.min(1, room.width / file.width, room.height / file.height);
  return {width: Math.round(file.width * scale), height: Math.round(file.height * scale)};
}

export function showFull(file) {
  box.fileId = file.id;
  unlinkFile(box.image, "src");
  box.image.alt = file.name;
  // Its size on screen from the start (the frame's width and height): the box does not jump as it loads.
  const fitted = fit(file);
  box.image.style.width = fitted ? `${fitted.width}px` : "";
  box.image.style.height = fitted ? `${fitted.height}px` : "";
  linkFile(box.image, "src", file);
  box.name.textContent = file.name;
  box.size.textContent = humanSize(file.size);
  linkFile(box.open, "href", file);
  if (!box.dialog.open) box.dialog.showModal();
  box.close.focus();
}

// The message of the picture shown was deleted: it goes from the lightbox too.
export function forgetFile(fileId) {
  if (box.fileId === fileId && box.dialog.open) box.dialog.close();
}

export function wireLightbox() {
  box.close.addEventListener("click", () => box.dialog.close());
  box.dialog.addEventListener("click", (event) => {
    if (event.target === box.dialog) box.dialog.close();
  });
  box.dialog.addEventListener("close", () => {
    box.fileId = "";
    unlinkFile(box.image, "src");
    unlinkFile(box.open, "href");
  });
}

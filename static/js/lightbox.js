// The lightbox: a picture of a message full size over the page, with its
// name, a link that opens it in a tab of its own, and Close (Escape, or a
// click beside the picture, closes it too).

import {fileUrl, humanSize} from "./file_view.js";

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

export function showFull(file) {
  box.fileId = file.id;
  box.image.removeAttribute("src");
  box.image.alt = file.name;
  // The full picture's own shape, from the start: the box does not jump as it loads.
  if (file.width && file.height) {
    box.image.width = file.width;
    box.image.height = file.height;
  } else {
    box.image.removeAttribute("width");
    box.image.removeAttribute("height");
  }
  box.image.src = fileUrl(file);
  box.name.textContent = file.name;
  box.size.textContent = humanSize(file.size);
  box.open.href = fileUrl(file);
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
    box.image.removeAttribute("src");
  });
}
